"""Multi-objective acquisition of the ``botorch`` strategy: p(target) and property objectives.

Used when the campaign has ``[objectives]`` (e.g. ``density = "minimize"``).

**Model.** One BoTorch ``EnsembleModel`` with outputs ``[logit p(target), s₁·prop₁(c), …]``
(``s = +1`` maximize, ``−1`` minimize; BoTorch maximizes), :class:`MultiOutputEnsemble`.
The properties are deterministic functions of the composition (:class:`PropertyOutputs`,
the featurizer's formulas in torch), so every member carries the same property values and
its own logit: the ensemble posterior is exact on the properties and keeps the
classifier's spread on the target. (A ``ModelList`` of the ensemble and a
``GenericDeterministicModel`` computes the same, but needs a ``ListSampler`` that pairs
the S member draws with S copies of one deterministic draw; one model is simpler.)

**Acquisition.** ``qLogNoisyExpectedHypervolumeImprovement`` (Daulton et al. 2021, the
log form of Ament et al. 2023) with the members as its MC samples and the labelled
alloys of the palette as ``X_baseline``. Reference point (:func:`reference_point`): on the
target ``logit(p_ref)`` (default ``p_ref = 0.5``: an alloy less likely than not to have the
target structure adds no hypervolume, a soft outcome constraint); on a property its
limit on the bad side when the design space has one (``density = { max = 9 }`` → 9),
otherwise the labelled alloys' nadir minus 10 % of their range (BoTorch's
``infer_reference_point``).

**Batch.** Greedy and sequential: each pick maximizes qLogNEHVI of one more alloy given
the earlier picks as ``X_pending`` (so the batch spreads along the front by itself),
at most ``max_per_system`` alloys per element system counting the lab's pending ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace

import numpy as np
import torch
from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
from botorch.models.ensemble import EnsembleModel
from botorch.utils.multi_objective.hypervolume import infer_reference_point
from botorch.utils.multi_objective.pareto import is_non_dominated
from torch import Tensor, nn

from alloyloop.agent.strategies.dvae_posterior import DVAEEnsemble
from alloyloop.featurize.descriptors import descriptor_columns
from alloyloop.featurize.elements import element_table
from alloyloop.featurize.properties import get_property
from alloyloop.models.torch_features import TORCH_OPS

P_REF = 0.5
_TABLE_COLUMNS = ("radius_pm", "electronegativity", "vec", "valence_all", "melting_K",
                  "bulk_modulus_GPa", "molar_volume_cm3", "pair_enthalpy_kJ")


class PropertyOutputs(nn.Module):
    """Fractions ``(*b, n, E)`` → ``(*b, n, k)`` signed property values, differentiably.

    Linear-fractional properties (density, cost, T_m, VEC, …) as ``(c·a)/(c·b)``; the
    other descriptors (δ, ΔH_mix, …) through the featurizer's own formulas with torch ops.
    """

    def __init__(self, objectives: Mapping[str, str], elements: Sequence[str]) -> None:
        super().__init__()
        self.names = tuple(objectives)
        self.register_buffer("signs", torch.tensor(
            [1.0 if objectives[n] == "maximize" else -1.0 for n in self.names],
            dtype=torch.float64))
        e = len(elements)
        a = torch.zeros(e, len(self.names), dtype=torch.float64)
        b = torch.ones(e, len(self.names), dtype=torch.float64)
        self.ratio = []
        for j, name in enumerate(self.names):
            prop = get_property(name)
            have = [i for i, el in enumerate(elements) if not prop.missing_elements([el])]
            form = prop.ratio_form([elements[i] for i in have]) if have else None
            self.ratio.append(form is not None)
            if form is not None:
                a[have, j] = torch.as_tensor(form[0], dtype=torch.float64)
                b[have, j] = torch.as_tensor(form[1], dtype=torch.float64)
        self.register_buffer("a", a)
        self.register_buffer("b", b)
        table = element_table().subset(list(elements))
        for col in _TABLE_COLUMNS:
            self.register_buffer(f"t_{col}", torch.as_tensor(getattr(table, col),
                                                             dtype=torch.float64))

    def forward(self, c: Tensor) -> Tensor:
        flat = c.reshape(-1, c.shape[-1])
        flat = flat / flat.sum(-1, keepdim=True).clamp_min(1e-12)
        cols = []
        others = [n for n, r in zip(self.names, self.ratio) if not r]
        desc = {}
        if others:
            table = SimpleNamespace(**{col: getattr(self, f"t_{col}") for col in _TABLE_COLUMNS})
            values = descriptor_columns(flat, table, others, TORCH_OPS)
            desc = {n: values[:, i] for i, n in enumerate(others)}
        for j, (name, is_ratio) in enumerate(zip(self.names, self.ratio)):
            cols.append((flat @ self.a[:, j]) / (flat @ self.b[:, j]) if is_ratio else desc[name])
        out = torch.stack(cols, dim=-1) * self.signs
        return out.reshape(*c.shape[:-1], len(self.names))


class MultiOutputEnsemble(EnsembleModel):
    """``X`` ``(*b, n, d)`` → ``(*b, S, n, 1 + k)``: each member's target logit beside the
    (member-independent) signed property values."""

    def __init__(self, target: DVAEEnsemble, properties: PropertyOutputs) -> None:
        super().__init__()
        self.target = target
        self.properties = properties
        self._num_outputs = 1 + len(properties.names)

    @property
    def n_members(self) -> int:
        return self.target.n_members

    def forward(self, X: Tensor) -> Tensor:
        logits = self.target(X)  # (*b, S, n, 1)
        props = self.properties(self.target.to_fractions(X))  # (*b, n, k)
        props = props.unsqueeze(-3).expand(*logits.shape[:-1], props.shape[-1])
        return torch.cat([logits, props], dim=-1)

    def member_values(self, X: Tensor) -> Tensor:
        """``X`` ``(n, d)`` → ``(S, n, 1 + k)`` without gradients."""
        with torch.no_grad():
            return self.forward(X)


def reference_point(model: MultiOutputEnsemble, baseline: Tensor,
                    limits: Mapping[str, tuple[float | None, float | None]],
                    p_ref: float = P_REF) -> Tensor:
    """``(1 + k,)`` reference point (module docstring), in the model's signed outputs;
    ``limits``: the design space's property limits."""
    k = len(model.properties.names)
    if len(baseline):
        y = model.member_values(baseline).mean(0)
        ref = infer_reference_point(y[is_non_dominated(y)]) if len(y) > 1 else y[0] - 1.0
    else:
        ref = torch.full((1 + k,), -1e6, dtype=torch.float64)
    ref = ref.clone()
    ref[0] = float(np.log(p_ref / (1.0 - p_ref)))
    for j, name in enumerate(model.properties.names):
        lo, hi = limits.get(name, (None, None))
        bad = hi if model.properties.signs[j] < 0 else lo
        if bad is not None:
            ref[1 + j] = float(model.properties.signs[j]) * float(bad)
    return ref


def hypervolume_acquisition(model: MultiOutputEnsemble, baseline: Tensor, ref_point: Tensor,
                            sampler) -> qLogNoisyExpectedHypervolumeImprovement:
    """qLogNEHVI on ``model`` with ``baseline`` ``(m, d)`` (may be empty)."""
    if len(baseline) == 0:
        raise ValueError("the multi-objective acquisition needs labelled alloys of the "
                         "palette as its baseline: label some first")
    return qLogNoisyExpectedHypervolumeImprovement(
        model, ref_point=ref_point, X_baseline=pareto_baseline(model, baseline),
        sampler=sampler, prune_baseline=False, cache_root=False)


def pareto_baseline(model: MultiOutputEnsemble, baseline: Tensor) -> Tensor:
    """The rows of ``baseline`` on the Pareto front of at least one member: the only ones
    that shape the hypervolume. (BoTorch's own ``prune_baseline`` draws 2,048 posterior
    samples and sorts the whole baseline under each: minutes for 2,000 labelled alloys;
    with S exact members, S fronts suffice.)"""
    values = model.member_values(baseline)  # (S, m, 1 + k)
    keep = torch.zeros(len(baseline), dtype=torch.bool)
    for member in values:
        keep |= is_non_dominated(member)
    return baseline[keep]


def greedy_hypervolume_batch(acq: qLogNoisyExpectedHypervolumeImprovement, x: Tensor, n: int,
                             systems: Sequence[str], taken: Sequence[str],
                             max_per_system: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pick up to ``n`` rows of ``x`` ``(m, d)``, each maximizing qLogNEHVI given the
    earlier picks (module docstring).

    Returns:
        ``(rows, log-HVI of each pick when it was picked)``.
    """
    counts: dict[str, int] = {}
    for s in taken:
        counts[s] = counts.get(s, 0) + 1
    rows: list[int] = []
    values: list[float] = []
    for _ in range(min(n, len(x))):
        acq.set_X_pending(x[rows] if rows else None)
        with torch.no_grad():
            v = torch.cat([acq(c.unsqueeze(-2)) for c in x.split(256)]).numpy()
        v[rows] = -np.inf
        if max_per_system:
            full = [i for i, s in enumerate(systems) if counts.get(s, 0) >= max_per_system]
            v[full] = -np.inf
        best = int(np.argmax(v))
        if not np.isfinite(v[best]):
            break
        rows.append(best)
        values.append(float(v[best]))
        counts[systems[best]] = counts.get(systems[best], 0) + 1
    acq.set_X_pending(None)
    return np.array(rows, dtype=np.intp), np.array(values)
