"""Torch views of a fitted DVAE for acquisition: the decoder and the classifier's members.

Two frozen, float64 copies of a fitted :class:`~alloyloop.models.dvae.DisentangledVAE`'s
networks, for code that needs gradients or an ensemble posterior (the ``botorch``
strategy in ``agent/strategies``):

- :class:`TorchDecoder`: ``z`` → the decoder's mean composition (softmax over the palette);
- :class:`MemberLogits`: fractions → the calibrated logit (logit / T) of every ensemble
  member, through :class:`~alloyloop.models.torch_features.TorchClassifierInputs` (the
  featurizer's own formulas);
- :class:`DomainScore`: fractions → the domain-of-applicability score of
  :class:`~alloyloop.models.domain.DomainModel` (nearest labelled alloy's descriptor
  distance / threshold, ≤ 1 inside), differentiable almost everywhere.

The members are the classifier's heads when it has two or more (``n_ensemble``, eval
mode); a single-head classifier trained with dropout gives ``dropout_members`` MC-dropout
members instead, each with its own dropout mask drawn once from ``seed`` (a member is
one fixed function, the same at every input, as an ensemble posterior needs).

Processing route (``DVAEConfig.processing_input`` models): every view takes
``processing``, one route for all inputs; None is the model's design route
(``DisentangledVAE(..., design_processing=route)``), so the strategies, which pass none, score
for the route the campaign designs for.

Per class (phase4 models, ``DVAEConfig.label = "phase4"``): :func:`member_class_logits`
gives every member's calibrated logits of all of ``model.classes`` (``(*b, S, n, K)``;
softmax over the last axis = class probabilities; a binary model has K = 1, the logit of
p(single)), and :func:`member_logodds` the log-odds of a set of classes, ``(*b, S, n)``
like :func:`member_logits`. Which classes mean the campaign's target (a class name such
as "BCC", or "single": p(FCC) + p(BCC) + p(HCP)) is
:func:`alloyloop.models.target.target_members`. :func:`member_logits` of a phase4 model
is the log-odds of single, so existing callers of p(single) work unchanged.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from alloyloop.models.processing import route_one_hot
from alloyloop.models.target import single_columns
from alloyloop.models.torch_features import RouteInputs, TorchClassifierInputs


def _frozen(module: nn.Module) -> nn.Module:
    out = copy.deepcopy(module).double().eval()
    for p in out.parameters():
        p.requires_grad_(False)
    return out


class TorchDecoder(nn.Module):
    """``z`` ``(*b, n, d)`` → ``(*b, n, E)`` decoded fractions (rows sum to 1) for label y."""

    def __init__(self, decoder: nn.Module, y: float | Tensor) -> None:
        super().__init__()
        self.decoder = _frozen(decoder)
        # a float (binary label) or a (K,) one-hot code (phase4)
        self.register_buffer("code", torch.as_tensor(y, dtype=torch.float64).reshape(-1))

    def forward(self, z: Tensor) -> Tensor:
        flat = z.reshape(-1, z.shape[-1])
        code = self.code.to(flat.dtype)
        y = code.expand(flat.shape[0]) if code.numel() == 1 else code.expand(flat.shape[0], -1)
        logp = self.decoder(flat, y)
        return logp.exp().reshape(*z.shape[:-1], -1)


class MemberLogits(nn.Module):
    """Fractions ``(*b, n, E)`` → ``(*b, S, n)`` calibrated logits of the S members.

    Args:
        inputs: fractions → classifier inputs (float64).
        heads: the classifier's head MLPs (``nn.Sequential``), frozen copies.
        temperature: the model's calibration temperature (logits are divided by it).
        masks: per member, one ``(width,)`` keep-mask (already scaled by 1 / (1 − rate))
            per dropout layer; None = one member per head, dropout off.
        positive: for heads with K class logits, the classes whose summed probability the
            output is the log-odds of (e.g. the three structures: p(single)); None with
            one logit per head (binary) or with ``per_class``.
        per_class: output every class's calibrated logit, ``(*b, S, n, K)``.
    """

    def __init__(self, inputs: TorchClassifierInputs, heads: nn.ModuleList, temperature: float,
                 masks: list[list[Tensor]] | None = None, *,
                 positive: tuple[int, ...] | None = None, per_class: bool = False) -> None:
        super().__init__()
        self.inputs = inputs
        self.heads = heads
        self.inv_temperature = 1.0 / float(temperature)
        self.masks = masks
        self.n_members = len(heads) if masks is None else len(masks)
        self.positive = positive
        self.per_class = per_class

    def _head(self, head: nn.Sequential, f: Tensor, mask: list[Tensor] | None) -> Tensor:
        k = 0
        for layer in head:
            if isinstance(layer, nn.Dropout):
                if mask is not None:
                    f = f * mask[k]
                    k += 1
            else:
                f = layer(f)
        return f.squeeze(-1) if f.shape[-1] == 1 and not self.per_class else f

    def forward(self, c: Tensor) -> Tensor:
        flat = c.reshape(-1, c.shape[-1])
        f = self.inputs(flat)
        if self.masks is None:
            out = torch.stack([self._head(h, f, None) for h in self.heads], dim=0)
        else:
            out = torch.stack([self._head(self.heads[0], f, m) for m in self.masks], dim=0)
        out = out * self.inv_temperature  # (S, N) or (S, N, K)
        if self.per_class:
            return out.reshape(self.n_members, *c.shape[:-1], -1).movedim(0, -3)
        if self.positive is not None:
            pos = torch.zeros(out.shape[-1], dtype=torch.bool)
            pos[list(self.positive)] = True
            out = torch.logsumexp(out[..., pos], dim=-1) - torch.logsumexp(out[..., ~pos], dim=-1)
        return out.reshape(self.n_members, *c.shape[:-1]).movedim(0, -2)


class DomainScore(nn.Module):
    """Fractions ``(*b, n, E)`` → ``(*b, n)`` domain score (distance / threshold)."""

    def __init__(self, inputs: TorchClassifierInputs, reference: Tensor, threshold: float) -> None:
        super().__init__()
        self.inputs = inputs
        self.register_buffer("reference", reference)
        self.threshold = float(threshold)

    def forward(self, c: Tensor) -> Tensor:
        flat = c.reshape(-1, c.shape[-1])
        d = (self.inputs.descriptors(flat) - self.inputs.mean) / self.inputs.std
        # cdist (a matrix product) rather than an (n, R, D) difference tensor: the latent
        # search evaluates this a few hundred times per suggest step, and the broadcast
        # and its backward were a third of the step's CPU time (issue #32)
        return (torch.cdist(d, self.reference).min(dim=1).values / self.threshold
                ).reshape(c.shape[:-1])


def route_inputs(model, processing: str | None = None) -> TorchClassifierInputs:
    """The classifier's inputs of a fitted DVAE as a float64 torch module; with
    ``processing_input`` the route's one-hot appended: one route for every input, None =
    the model's design route (``DisentangledVAE.design_processing``; None: unknown)."""
    assert model.standardizer_ is not None
    inputs = TorchClassifierInputs(model.elements, model.schema, model.standardizer_,
                                   model.config.classifier_inputs, dtype=torch.float64)
    if not model.config.processing_input:
        return inputs
    return RouteInputs(inputs, route_one_hot(model.prediction_routes(processing, 1))[0])


def domain_score(model) -> DomainScore:
    """The domain score of a fitted DVAE as a torch module (element coverage, the
    domain's other check, is left to the numpy model)."""
    model._check_fitted()
    assert model.domain_ is not None
    return DomainScore(route_inputs(model), torch.as_tensor(model.domain_.reference,
                                                            dtype=torch.float64),
                       model.domain_.threshold)


def torch_decoder(model, y: int | str = 1) -> TorchDecoder:
    """A frozen float64 copy of a fitted DVAE's decoder with label ``y`` (0 / 1 for the
    binary label, a class name such as ``"BCC"`` for phase4)."""
    net = model._check_fitted()
    return TorchDecoder(net.decoder, model._y_tensor(y, 1)[0])


def member_logits(model, *, dropout_members: int = 8, seed: int = 0,
                  processing: str | None = None) -> MemberLogits:
    """The members of a fitted DVAE's classifier: ``(*b, S, n)`` calibrated log-odds of
    single-phase (see the module docstring).

    Raises:
        ValueError: a single-head classifier without dropout (no spread to sample).
    """
    return member_logodds(model, single_columns(tuple(model.classes)),
                          dropout_members=dropout_members, seed=seed, processing=processing)


def member_class_logits(model, *, dropout_members: int = 8, seed: int = 0,
                        processing: str | None = None) -> MemberLogits:
    """``(*b, S, n, K)`` every member's calibrated logits of ``model.classes`` (K = 1 for a
    binary model: the logit of p(single))."""
    return _members(model, dropout_members, seed, processing, per_class=True)


def member_logodds(model, positive: tuple[int, ...] | None, *, dropout_members: int = 8,
                   seed: int = 0, processing: str | None = None) -> MemberLogits:
    """``(*b, S, n)`` every member's calibrated log-odds of the summed probability of the
    ``positive`` columns of ``model.classes`` (None: a binary model's one logit). Which
    columns mean the campaign's target is :func:`alloyloop.models.target.target_members`'s
    business.

    Raises:
        ValueError: a single-head classifier without dropout (no spread to sample).
    """
    return _members(model, dropout_members, seed, processing, positive=positive)


def _members(model, dropout_members: int, seed: int, processing: str | None,
             **kwargs) -> MemberLogits:
    net = model._check_fitted()
    inputs = route_inputs(model, processing)
    heads = _frozen(net.classifier.heads)
    if len(heads) >= 2:
        return MemberLogits(inputs, heads, model.temperature_, **kwargs)
    drops = [m for m in heads[0] if isinstance(m, nn.Dropout)]
    if not drops or drops[0].p <= 0:
        raise ValueError("the classifier has one head and no dropout, so it has no spread to "
                         "sample: set [model.dvae] n_ensemble = 5 (or dropout > 0)")
    if dropout_members < 2:
        raise ValueError(f"dropout_members={dropout_members} must be at least 2, e.g. 8")
    widths = [layer.out_features for layer in heads[0] if isinstance(layer, nn.Linear)][:-1]
    gen = torch.Generator().manual_seed(int(seed))
    masks = [[(torch.rand(w, generator=gen, dtype=torch.float64) >= d.p).double() / (1 - d.p)
              for w, d in zip(widths, drops)] for _ in range(dropout_members)]
    return MemberLogits(inputs, heads, model.temperature_, masks, **kwargs)
