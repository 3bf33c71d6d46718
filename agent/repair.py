"""Decode-repair: move decoded fractions onto the design space's constrained grid.

A decoder returns a point inside the simplex over the model's palette; a suggestion must be
a composition the lab can weigh: palette elements only, an allowed element count, each
present element within its bounds, on the step grid, no forbidden combination. Repair
does, per row:

1. keep the required elements plus the largest remaining ones (skipping any that would
   complete a forbidden combination), as many as the decoded point carries (entries of
   at least half a step), clipped to the element-count range;
2. project onto {x : Σx = 1, lo ≤ x ≤ hi} over that support (Euclidean projection, by
   bisection on the shift τ of x_i = clip(v_i − τ, lo_i, hi_i));
3. round to the step grid by largest remainders, keeping the sum and the bounds.

The repair distance is the total-variation distance ½ Σ|x − v| (the fraction of atoms
moved), recorded with every suggestion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alloyloop.campaigns.design_space import DesignSpace


@dataclass(frozen=True)
class RepairResult:
    """``x``: ``(n, E)`` repaired fractions over the space's palette; ``distance``:
    ``(n,)`` total-variation distance to the input; ``valid``: ``(n,)`` whether the
    repaired row satisfies every constraint (descriptor limits included)."""

    x: np.ndarray
    distance: np.ndarray
    valid: np.ndarray


def repair(v: np.ndarray, space: DesignSpace) -> RepairResult:
    """Repair an ``(n, E)`` matrix of decoded fractions over ``space.palette``."""
    v = np.asarray(v, dtype=np.float64)
    if v.ndim != 2 or v.shape[1] != len(space.palette):
        raise ValueError(
            f"decoded fractions must be (n, {len(space.palette)}) over the palette "
            f"{space.palette}, got shape {v.shape}")
    v = np.clip(np.nan_to_num(v, nan=0.0), 0.0, None)
    sums = v.sum(axis=1, keepdims=True)
    v = np.where(sums > 0, v / np.where(sums > 0, sums, 1.0), 1.0 / v.shape[1])
    out = np.vstack([_repair_row(row, space) for row in v]) if len(v) else v.copy()
    distance = 0.5 * np.abs(out - v).sum(axis=1)
    return RepairResult(x=out, distance=distance, valid=space.feasible(out))


def _support_order(v: np.ndarray, space: DesignSpace) -> list[int]:
    """Element indices in the order they join the support: required ones first, then by
    decreasing decoded fraction, skipping those that would complete a forbidden set."""
    pal = space.palette
    chosen = [pal.index(el) for el in space.required]
    for i in np.argsort(-v, kind="stable"):
        if i in chosen:
            continue
        names = {pal[j] for j in chosen} | {pal[i]}
        if any(combo <= names for combo in space.forbidden):
            continue
        chosen.append(int(i))
    return chosen


def repair_support(v: np.ndarray, space: DesignSpace) -> list[int]:
    """Step 1 for one renormalized row ``v`` ``(E,)``: the palette indices repair keeps
    (the first support size, nearest the decoded element count, whose bounds can sum to 1).
    The latent search's differentiable projection uses the same support, so the alloy it
    scores differs from the repaired one by the grid rounding alone."""
    lo, hi = space.bound_arrays()
    order = _support_order(v, space)
    n_req = len(space.required)
    k0 = int((v >= space.step / 2).sum())
    k0 = min(max(k0, space.min_elements, n_req), space.max_elements, len(order))
    # Try the natural support size first, then neighbours, until the bounds can sum to 1.
    sizes = sorted(range(max(space.min_elements, n_req), min(space.max_elements, len(order)) + 1),
                   key=lambda k: (abs(k - k0), k))
    for k in sizes:
        s = order[:k]
        if lo[s].sum() <= 1 + 1e-12 <= hi[s].sum() + 2e-12:
            return s
    # The design space was validated feasible, so some support works.
    raise RuntimeError("no feasible support found for a validated design space")


def _repair_row(v: np.ndarray, space: DesignSpace) -> np.ndarray:
    units = round(1 / space.step)
    lo, hi = space.bound_arrays()
    s = repair_support(v, space)
    x = np.zeros_like(v)
    x[s] = _project_box_simplex(v[s], lo[s], hi[s])
    return _round_to_grid(x, s, lo, hi, units)


def _project_box_simplex(v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Euclidean projection of v onto {Σx = 1, lo ≤ x ≤ hi} (bisection on the shift)."""
    a, b = (v - hi).min() - 1.0, (v - lo).max() + 1.0  # Σ at a >= 1 >= Σ at b
    for _ in range(100):
        tau = 0.5 * (a + b)
        if np.clip(v - tau, lo, hi).sum() > 1.0:
            a = tau
        else:
            b = tau
    return np.clip(v - 0.5 * (a + b), lo, hi)


def _round_to_grid(x: np.ndarray, support: list[int], lo: np.ndarray, hi: np.ndarray,
                   units: int) -> np.ndarray:
    s = np.array(support)
    lo_u = np.round(lo[s] * units).astype(int)
    hi_u = np.round(hi[s] * units).astype(int)
    raw = x[s] * units
    base = np.clip(np.floor(raw + 1e-9).astype(int), lo_u, hi_u)
    remainder = raw - base
    diff = units - int(base.sum())
    while diff != 0:
        if diff > 0:
            room = base < hi_u
            i = np.flatnonzero(room)[np.argmax(remainder[room])]
            base[i] += 1
            remainder[i] -= 1
            diff -= 1
        else:
            room = base > lo_u
            i = np.flatnonzero(room)[np.argmin(remainder[room])]
            base[i] -= 1
            remainder[i] += 1
            diff += 1
    out = np.zeros_like(x)
    out[s] = base / units
    return out
