"""Strategy (b): decode a targeted region of the latent space with y = single-phase.

The region is the latent box spanned by labelled single-phase alloys of an element group
(magnetic, noble, refractory — the paper's map shows each group in its own region), or any
box given explicitly. Quasi-random (Sobol) points of the box are decoded with y = 1,
repaired onto the design space, de-duplicated, scored and ranked by p(single).

For a structure ``target`` (FCC / BCC / HCP, a phase4 model) the same with the target in
place of single-phase: the box spans the labelled alloys of that structure
(``Observations.outcomes(target)`` = 1), they are encoded and the box decoded with y = the
structure (:func:`~alloyloop.models.target.decode_class`), and the
decodes are ranked by p(target).
"""

from __future__ import annotations


import attrs
import numpy as np
import torch

from alloyloop.campaigns.options.strategies import LatentRegionOptions
from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.strategies.common import decode_to_space, fresh_unique
from alloyloop.models.target import check_target, decode_class, target_proba
from alloyloop.agent.suggestion import Observations, Suggestion, build_suggestions, to_model_columns
from alloyloop.featurize.elements import GROUPS


def group_region(model, obs: Observations, group: str | None, margin: float = 0.25,
                 min_share: float = 0.5, target: str = "single") -> np.ndarray:
    """``(2, d)`` latent box around labelled single-phase alloys whose ``group`` elements
    make up at least ``min_share`` of the atoms (all single-phase alloys if group is None);
    for a structure ``target``, around the labelled alloys of that structure
    (``obs.outcomes(target)`` = 1), encoded with y = the structure.

    Raises:
        ValueError: unknown group, no labelled single-phase (target) alloy in it, or a
            structure target without ``obs.phase4`` words.
    """
    single = obs.outcomes(target) == 1
    if group is not None:
        if group not in GROUPS:
            raise ValueError(f"unknown element group {group!r}: use one of "
                             f"{', '.join(GROUPS)} or give a latent box")
        cols = [i for i, el in enumerate(obs.elements) if el in GROUPS[group]]
        single &= obs.X[:, cols].sum(axis=1) >= min_share
    if not single.any():
        what = "single-phase" if target == "single" else target
        raise ValueError(f"no labelled {what} alloy of group {group!r} to define a "
                         "latent region: give an explicit latent box instead")
    z = model.encode(obs.X[single], decode_class(model, target))
    lo, hi = z.min(axis=0), z.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-3)
    return np.vstack([lo - pad, hi + pad])


@attrs.frozen
class LatentRegion(LatentRegionOptions):
    """Decode Sobol points of a latent box with y = single-phase (or the target structure).

    Attributes:
        group: element group whose single-phase alloys define the box (None = all).
        box: explicit ``((lo...), (hi...))`` latent box; overrides ``group``.
        n_points: latent points decoded per call.
        max_repair_distance: drop decodes that repair had to move by more than this
            fraction of atoms (they stand for another region, not the targeted one).
        target: the campaign's target (``single``, ``FCC``, ``BCC`` or ``HCP``; a
            structure needs a phase4 model).
    """

    target: str = "single"

    def __attrs_post_init__(self) -> None:
        check_target(self.target)

    def suggest(self, model, observations: Observations, space: DesignSpace, n: int,
                seed: int) -> list[Suggestion]:
        score = target_proba(model, self.target)  # raises first if the model cannot
        box = np.asarray(self.box, dtype=np.float64) if self.box is not None else \
            group_region(model, observations, self.group, target=self.target)
        d = model.config.latent_dim
        if box.shape != (2, d):
            raise ValueError(f"latent box {self.box!r} does not fit the model's latent space "
                             f"(latent_dim = {d}): give ((lo, …), (hi, …)) with {d} values "
                             "each, or a group instead of a box")
        sobol = torch.quasirandom.SobolEngine(d, scramble=True, seed=seed)
        z = box[0] + (box[1] - box[0]) * sobol.draw(self.n_points).double().numpy()
        x, dist, valid = decode_to_space(model, z, space, observations.elements,
                                         y=decode_class(model, self.target))
        ok = valid & (dist <= self.max_repair_distance)
        x, dist = x[ok], dist[ok]
        keep = fresh_unique(x, space, observations)
        x, dist = x[keep], dist[keep]
        if len(x) == 0:
            return []
        p = score(to_model_columns(x, space, observations.elements))
        top = np.argsort(-p, kind="stable")[:n]
        return build_suggestions(model, x[top], space, observations, self.name, p[top],
                                 repair_distance=dist[top])
