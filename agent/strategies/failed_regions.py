"""Leave a region whose labels keep coming back multi-phase (issue #32, the trap rule).

A classifier trained on a literature corpus and a handful of the campaign's own labels
learns slowly that a region it rates well is wrong for *this* lab: six misses lower its
p there, but where everything else is rated lower still, greedy screening and the latent
search send the region's next-best alloys round after round. The ``cocrfenbti-hea``
discovery study (seed 4) saw both send Co30–50 Cr5–25 Fe15–45 Ti15 for three rounds with
no hit (p 0.33, then 0.14, then 0.05) while the hits lay in the Fe- and Cr-rich corners.

The rule, in the lab's own unit (atomic fractions), TuRBO-like: a candidate is in a
**failed region** when at least ``misses`` of the campaign's own labelled alloys lie
within ``radius`` of it (max-abs: the largest per-element difference) and all of them
came back not the target (none of the campaign's hits lies within ``radius``). Its
p(target) counts ``factor`` times (0: the region is closed while anything else is open):
the strategy moves to the next best *distinct* region, and comes back only when that one
fails too (its candidates then compete at their own discounted p). A hit re-opens its
neighbourhood. Only the campaign's own labels count (:attr:`Observations.own`): the
corpus's labels come from other labs and other methods, and the model has learned them.

**Probes** (``probe_count``): a region is *unproven* while none of the campaign's hits lies
within ``radius`` of it. A batch sends at most ``probe_count`` alloys into one unproven
region (counting the alloys in the lab and earlier picks of the batch within ``radius``):
the model's best alloys are often one corner's neighbours, and six of them teach the lab
no more than two when the corner is wrong (seed 4 sent six Co75–85 alloys in round 0, all
multi-phase, while the model's 9th and 53rd best, in the Fe- and Cr-rich corners, were
single-phase). Once a region has a hit, the cap is off there: a found corner is filled.
Where every open alloy is crowded out, the cap gives way.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from alloyloop.agent.suggestion import Observations

# candidate rows compared against the labelled alloys per pass: bounds the (rows, labels, E)
# difference array of a lattice chunk to a few MB
_ROWS = 4096


def failed_region_factor(x_model: np.ndarray, obs: Observations, outcomes: np.ndarray, *,
                         misses: int, radius: float, factor: float) -> np.ndarray:
    """``(m,)`` multiplier of p(target) for ``x_model`` ``(m, E)`` (model columns):
    ``factor`` where the candidate is in a failed region (module docstring), 1 elsewhere.

    Args:
        obs: the campaign's observations; only rows of ``obs.own`` count.
        outcomes: ``(len(obs.X),)`` the target's outcome per labelled alloy (1 = hit,
            0 = miss, NaN = no verdict for this target; :meth:`Observations.outcomes`).
        misses: how many of the campaign's misses make a region failed (0: the rule is off).
        radius: the region's half-width, share of atoms per element (max-abs).
        factor: p(target) multiplier inside a failed region, in [0, 1].
    """
    out = np.ones(len(x_model))
    own = obs.own_rows()
    if misses <= 0 or len(own) < misses or len(x_model) == 0:
        return out
    y = np.asarray(outcomes, dtype=np.float64)[own]
    lab = obs.X[own][np.isfinite(y)]
    hit = y[np.isfinite(y)] > 0.5
    if (~hit).sum() < misses:
        return out
    near = _near(np.asarray(x_model, dtype=np.float64), lab, radius)
    failed = (near[:, ~hit].sum(axis=1) >= misses) & ~near[:, hit].any(axis=1)
    out[failed] = factor
    return out


def failed_region_discount(options, obs: Observations, target: str
                           ) -> Callable[[np.ndarray], np.ndarray]:
    """``(m, E_model)`` fractions → ``(m,)`` multiplier of p(target) under ``options``'
    ``avoid_misses`` / ``avoid_radius`` / ``avoid_factor``
    (:class:`~alloyloop.campaigns.options.strategies.FailedRegionOptions`); ones when the
    rule is off or the campaign has too few misses of its own."""
    if options.avoid_misses == 0 or len(obs.own_rows()) < options.avoid_misses:
        return lambda x: np.ones(len(x))
    outcomes = obs.outcomes(target)
    return lambda x: failed_region_factor(x, obs, outcomes, misses=options.avoid_misses,
                                          radius=options.avoid_radius,
                                          factor=options.avoid_factor)


def _near(a: np.ndarray, b: np.ndarray, radius: float) -> np.ndarray:
    """``(len(a), len(b))`` bool: max-abs distance ≤ ``radius`` (grid-exact)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=bool)
    out = np.empty((len(a), len(b)), dtype=bool)
    for s in range(0, len(a), _ROWS):  # grid fractions are not exact in floating point
        out[s:s + _ROWS] = np.abs(a[s:s + _ROWS, None, :] - b[None, :, :]).max(axis=2) \
            <= radius + 1e-9
    return out


class ProbeLimit:
    """The probe cap over candidates ``x_model`` ``(m, E)`` (module docstring): called with
    the rows chosen so far, the ``(m,)`` mask of rows it closes."""

    def __init__(self, x_model: np.ndarray, obs: Observations, outcomes: np.ndarray, *,
                 radius: float, count: int) -> None:
        x = np.asarray(x_model, dtype=np.float64)
        own = obs.own_rows()
        y = np.asarray(outcomes, dtype=np.float64)[own]
        hits = obs.X[own][np.nan_to_num(y) > 0.5]
        self.x, self.radius = x, radius
        self.unproven = ~_near(x, hits, radius).any(axis=1)
        self.count = int(count)
        self.crowd = _near(x, obs.X_pending, radius).sum(axis=1)

    def __call__(self, chosen: list[int]) -> np.ndarray:
        # distances to the chosen rows only: an (m, m) matrix would be quadratic in the pool
        crowd = self.crowd + _near(self.x, self.x[list(chosen)], self.radius).sum(axis=1)
        return self.unproven & (crowd >= self.count)


def probe_limit(options, x_model: np.ndarray, obs: Observations, target: str
                ) -> ProbeLimit | None:
    """The probe cap of ``options``' ``probe_count`` and ``avoid_radius`` over
    ``x_model``, or None when it is off."""
    if options.probe_count == 0:
        return None
    # without labels of its own the campaign has no hit: every region is unproven (and a
    # structure target's outcomes need words the observations may not carry)
    outcomes = obs.outcomes(target) if len(obs.own_rows()) else np.zeros(len(obs.X))
    return ProbeLimit(x_model, obs, outcomes, radius=options.avoid_radius,
                      count=options.probe_count)
