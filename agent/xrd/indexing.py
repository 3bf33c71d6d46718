"""Index found peaks against FCC, BCC, HCP, B2 and L1₂ lattices: phases one at a time.

Candidates come from the data: each strong peak taken as each of a lattice's first
reflections gives a lattice parameter (HCP: pairs of peaks as (100) and (002) or (101),
1.55 < c/a < 1.70), kept within ±``window`` of the composition's Vegard estimate. Each
candidate is matched to the peaks (nearest within a tolerance of a few peak widths), refined by
weighted least squares on its matched peaks (cubic: a from d√(h²+k²+l²), weights tan²θ;
HCP: linear least squares in 1/a², 1/c²), matched again, and scored:

    score = intensity of newly explained peaks − intensity of the reflections the phase
            should show at its observed scale but does not (missing), as fractions of all

Greedily, the best candidate is accepted as a phase while it explains at least two new peaks
and scores above ``min_score``; its peaks are then explained. An ordered variant (B2, L1₂) is
only a candidate when at least two of its superlattice reflections in the range are found
(one if only one lies in the range), since their strength (the degree of order) is not
predicted; a phase of the same lattice family within 0.3 % of an accepted one is not a new
phase (it would be a Kα2 residue or a shoulder). A cubic pair with the same lattice parameter
— ordered and disordered FCC, say — cannot be told apart from peak positions and is reported
as the ordered phase.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from alloyloop.agent.xrd.lattices import Reflection, Structure, reflection_table, reflections, relative_intensities
from alloyloop.agent.xrd.peaks import EDGE, Peak
from alloyloop.agent.xrd.vegard import StartingLattice

STRUCTURES = (Structure.FCC, Structure.BCC, Structure.HCP, Structure.B2, Structure.L12)
SAME_LATTICE = 0.003
MISSING_WEIGHT = 2.5
"""How much a reflection that should be visible but is not costs, against an explained one."""
HIDDEN_WIDTHS = 1.5
"""A predicted reflection within this many widths of a found peak may hide under it."""
TEXTURE_SPREAD = 6.0
"""Preferred orientation can make a reflection this many times weaker than predicted."""
LONE_SUPERLATTICE_SNR = 8.0
"""An ordered phase with a single superlattice peak needs it this far above the noise."""


@dataclass(frozen=True)
class Match:
    """A reflection of a phase and the peak it was matched to (index into the peak list)."""

    reflection: Reflection
    predicted_two_theta: float
    peak: int | None
    expected: float
    """Predicted intensity at the phase's observed scale (0 for superlattice reflections)."""


@dataclass(frozen=True)
class IndexedPhase:
    structure: Structure
    a: float
    c: float | None
    a_sigma: float
    c_sigma: float | None
    matches: tuple[Match, ...]
    score: float
    confidence: float
    rms_two_theta: float
    strongest: int | None = None
    """The peak matched to the phase's strongest predicted fundamental reflection."""


@dataclass(frozen=True)
class _Context:
    peaks: Sequence[Peak]
    tt: np.ndarray
    area: np.ndarray
    tol: np.ndarray
    wavelength: float
    lo: float
    hi: float
    detect: float
    """Smallest area a peak can have to be found (at the noise threshold)."""
    total: float


def _tolerance(peaks: Sequence[Peak], floor: float = 0.0) -> np.ndarray:
    """How far (2θ) a peak may lie from a predicted reflection: half its width within
    0.06–0.5°, widened to ``floor`` (a multiple of the shift refinement's residual)."""
    return np.array([max(floor, 0.06, min(0.5, 0.5 * p.fwhm)) for p in peaks])


def _predict(structure: Structure, a: float, c: float | None,
             ctx: _Context) -> tuple[list[Reflection], np.ndarray, np.ndarray]:
    """The reflections in the range, their 2θ and their relative intensities."""
    table = reflection_table(structure)
    d = table.d(a, c if structure is Structure.HCP else None)
    s = ctx.wavelength / (2 * d)
    ok = s <= 1.0
    tt = np.full_like(d, np.nan)
    tt[ok] = np.degrees(2 * np.arcsin(s[ok]))
    keep = np.flatnonzero(ok & (tt >= ctx.lo) & (tt <= ctx.hi))
    rel = relative_intensities(table, keep, d[keep], ctx.wavelength)
    return [table.reflections[i] for i in keep], tt[keep], rel


def _match(structure: Structure, a: float, c: float | None, ctx: _Context,
           used: set[int]) -> list[Match]:
    """Each predicted reflection with its nearest peak within tolerance (a peak at most once,
    to its nearest reflection)."""
    refls, tts, rels = _predict(structure, a, c, ctx)
    if ctx.tt.size == 0 or not refls:
        return [Match(r, float(t), None, 0.0) for r, t in zip(refls, tts)]
    pos = np.clip(np.searchsorted(ctx.tt, tts), 1, len(ctx.tt) - 1) if len(ctx.tt) > 1 else np.zeros(len(tts), int)
    left = np.maximum(pos - 1, 0)
    nearest = np.where(np.abs(ctx.tt[left] - tts) <= np.abs(ctx.tt[pos] - tts), left, pos)
    dist = np.abs(ctx.tt[nearest] - tts)
    hit = dist <= ctx.tol[nearest]
    best: dict[int, int] = {}
    for i in np.flatnonzero(hit).tolist():
        j = int(nearest[i])
        if j not in best or dist[best[j]] > dist[i]:
            best[j] = i
    peak_of = {i: j for j, i in best.items()}
    observed = [(rels[i], ctx.area[j]) for i, j in peak_of.items() if rels[i] > 0]
    scale = (sum(o * r for r, o in observed) / sum(r * r for r, _ in observed)) if observed else 0.0
    return [Match(r, float(t), peak_of.get(i), float(rels[i] * scale)) for i, (r, t) in enumerate(zip(refls, tts))]


def _refine(structure: Structure, matches: Sequence[Match], ctx: _Context, a: float,
            c: float | None) -> tuple[float, float | None, float, float | None]:
    """Least-squares lattice parameter(s) from the matched peaks, and their standard errors."""
    rows = [(m.reflection.hkl, ctx.peaks[m.peak].d, ctx.tt[m.peak]) for m in matches if m.peak is not None]
    if structure is Structure.HCP:
        if len(rows) < 2:
            return a, c, float("nan"), float("nan")
        design = np.array([[4 / 3 * (h * h + h * k + k * k), l * l] for (h, k, l), _, _ in rows], float)  # noqa: E741
        target = np.array([1 / d**2 for _, d, _ in rows])
        w = np.array([math.tan(math.radians(t / 2)) for _, _, t in rows])
        if np.linalg.matrix_rank(design) < 2:
            return a, c, float("nan"), float("nan")
        sol, *_ = np.linalg.lstsq(design * w[:, None], target * w, rcond=None)
        if sol[0] <= 0 or sol[1] <= 0:
            return a, c, float("nan"), float("nan")
        a_new, c_new = 1 / math.sqrt(sol[0]), 1 / math.sqrt(sol[1])
        resid = target - design @ sol
        dof = max(1, len(rows) - 2)
        cov = np.linalg.pinv((design * w[:, None]).T @ (design * w[:, None])) * float(np.sum((resid * w) ** 2) / dof)
        sa = 0.5 * a_new**3 * math.sqrt(max(cov[0, 0], 0.0))
        sc = 0.5 * c_new**3 * math.sqrt(max(cov[1, 1], 0.0))
        return a_new, c_new, sa, sc
    if not rows:
        return a, None, float("nan"), None
    est = np.array([d * math.sqrt(h * h + k * k + l * l) for (h, k, l), d, _ in rows])  # noqa: E741
    w = np.array([math.tan(math.radians(t / 2)) ** 2 for _, _, t in rows])
    a_new = float(np.sum(w * est) / np.sum(w))
    if len(rows) < 2:
        return a_new, None, float("nan"), None
    var = float(np.sum(w * (est - a_new) ** 2) / np.sum(w) / (len(rows) - 1))
    return a_new, None, math.sqrt(var), None


def _fit(structure: Structure, a: float, c: float | None, ctx: _Context) -> IndexedPhase | None:
    """The candidate matched and refined (its score is the missing-intensity penalty only; the
    gain depends on which peaks are already explained, see :func:`_scored`)."""
    explained: set[int] = set()
    matches = _match(structure, a, c, ctx, explained)
    for _ in range(2):
        a2, c2, sa, sc = _refine(structure, matches, ctx, a, c)
        if not math.isfinite(a2) or a2 <= 0:
            return None
        a, c = a2, c2
        matches = _match(structure, a, c, ctx, explained)
    found = [m for m in matches if m.peak is not None]
    fundamental = [m for m in found if not m.reflection.superlattice]
    if len(fundamental) < 2:
        return None
    if structure.ordered:
        # a superlattice reflection within a few widths of the scan's start cannot be measured
        # (peaks there are not kept, see peaks.EDGE): the first one past it must be seen
        start = ctx.lo + min(EDGE * float(np.median([p.fwhm for p in ctx.peaks])), 1.0) + float(np.max(ctx.tol))
        superlattice = [m for m in matches if m.reflection.superlattice and m.predicted_two_theta >= start]
        seen = [m for m in superlattice if m.peak is not None]
        if not superlattice or superlattice[0].peak is None:
            return None  # the first superlattice reflection (the strongest) must be seen
        if len(seen) == 1 and ctx.peaks[superlattice[0].peak].snr < LONE_SUPERLATTICE_SNR:
            return None  # and clearly, when it is the only one
    visible = [m for m in matches if m.expected > 3 * ctx.detect]
    # missing: a visible reflection with no peak, or a peak far weaker than the phase predicts
    # (beyond what texture does)
    # a reflection under a broader peak of another phase (overlap) is hidden, not missing
    widths = np.array([p.fwhm for p in ctx.peaks])
    hidden = {id(m) for m in visible if m.peak is None and ctx.tt.size
              and np.any(np.abs(ctx.tt - m.predicted_two_theta) <= HIDDEN_WIDTHS * widths)}
    missing = sum(0.0 if id(m) in hidden else m.expected if m.peak is None
                  else max(0.0, m.expected / TEXTURE_SPREAD - ctx.area[m.peak]) for m in visible) / ctx.total
    # a weak minority phase may have no reflection predicted clearly visible (3 × the detection
    # limit): its coverage is then counted over all its reflections, not taken as nil
    # a reflection hidden under another peak is neither seen nor missing: not counted either way
    # and when every clearly visible one hides under a stronger phase's peak (a minority lattice
    # 0.5–1 % off the matrix's: its (111) and (200) inside the matrix's), the phase is judged by
    # its other reflections, not given coverage nil
    shown = [m for m in visible if id(m) not in hidden]
    counted = shown or [m for m in matches if m.expected > 0 and id(m) not in hidden] or visible or [
        m for m in matches if m.expected > 0]
    expected_total = sum(m.expected for m in counted)
    coverage = (sum(m.expected for m in counted if m.peak is not None) / expected_total) if expected_total else 0.0
    offsets = [ctx.tt[m.peak] - m.predicted_two_theta for m in found]
    rms = float(math.sqrt(sum(o * o for o in offsets) / len(offsets)))
    mean_tol = float(np.mean([ctx.tol[m.peak] for m in found]))
    fit = math.exp(-((rms / mean_tol) ** 2))
    confidence = max(0.0, min(1.0, coverage * fit * min(1.0, len(fundamental) / 3)))
    top = max((m for m in matches if not m.reflection.superlattice), key=lambda m: m.expected)
    return IndexedPhase(structure, a, c, sa, sc, tuple(matches), -MISSING_WEIGHT * missing, confidence, rms, top.peak)


def _scored(phase: IndexedPhase, ctx: _Context, explained: set[int]) -> IndexedPhase | None:
    """``phase`` with the intensity of its newly explained peaks added to its score; None if it
    explains fewer than two new peaks."""
    new = {m.peak for m in phase.matches if m.peak is not None} - explained
    if len(new) < 2:
        return None
    if explained and phase.strongest is None and not _overlapped(phase, ctx):
        return None  # a further phase must show its strongest reflection (or have it hidden under a peak)
    return replace(phase, score=phase.score + sum(ctx.area[j] for j in new) / ctx.total)


def _candidates(structure: Structure, ctx: _Context, start: StartingLattice | None,
                window: float) -> list[tuple[float, float | None]]:
    strong = np.argsort(-ctx.area)[:12]
    lo_a, hi_a = ((start.a * (1 - window), start.a * (1 + window)) if start else (2.3, 4.6))
    out: list[tuple[float, float | None]] = []
    if structure is Structure.HCP:
        # two peaks as two of the first reflections fix 1/a² and 1/c² (a 2 × 2 linear system)
        firsts = [r.hkl for r in reflections(Structure.HCP)[:6]]
        strong = strong[:8]
        for i in strong:
            for j in strong:
                if i == j:
                    continue
                for p, q in itertools.permutations(firsts, 2):
                    m = np.array([[4 / 3 * (p[0] ** 2 + p[0] * p[1] + p[1] ** 2), p[2] ** 2],
                                  [4 / 3 * (q[0] ** 2 + q[0] * q[1] + q[1] ** 2), q[2] ** 2]], float)
                    det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
                    if abs(det) < 1e-9:
                        continue
                    rhs = (1 / ctx.peaks[i].d ** 2, 1 / ctx.peaks[j].d ** 2)
                    inv_a2 = (rhs[0] * m[1, 1] - m[0, 1] * rhs[1]) / det
                    inv_c2 = (m[0, 0] * rhs[1] - m[1, 0] * rhs[0]) / det
                    if inv_a2 <= 0 or inv_c2 <= 0:
                        continue
                    a, c = 1 / math.sqrt(inv_a2), 1 / math.sqrt(inv_c2)
                    if (lo_a <= a <= hi_a and 1.55 < c / a < 1.70
                            and all(abs(a - b) / a > 0.002 or abs(c - d) / c > 0.002 for b, d in out)):
                        out.append((a, c))
        return out
    firsts = [r for r in reflections(structure) if not r.superlattice][:4]
    for i in strong:
        for r in firsts:
            a = ctx.peaks[i].d * math.sqrt(sum(v * v for v in r.hkl))
            if lo_a <= a <= hi_a and all(abs(a - b) / a > 0.002 for b, _ in out):
                out.append((a, None))
    return out


def index_peaks(peaks: Sequence[Peak], *, wavelength: float, two_theta_range: tuple[float, float],
                noise: float, starts: dict[Structure, StartingLattice] | None = None,
                window: float = 0.06, min_score: float = 0.01, min_confidence: float = 0.3, max_phases: int = 3,
                min_snr: float = 5.0, ka2_ratio: float | None = None,
                tolerance: float = 0.0,
                structures: Sequence[Structure] = STRUCTURES) -> tuple[list[IndexedPhase], list[int]]:
    """The phases found (strongest first) and the indices of the peaks none explains.

    ``ka2_ratio`` (λ(Kα2)/λ(Kα1) of the tube) marks a lattice of an accepted phase's family
    that differs from it by that ratio (or its square) as the accepted phase's Kα2 residue;
    ``structures`` limits the lattices tried (a tilted scan's cubic reading, see :mod:`.tilt`)."""
    if not peaks:
        return [], []
    fwhm = float(np.median([p.fwhm for p in peaks]))
    ctx = _Context(peaks, np.array([p.two_theta for p in peaks]), np.array([p.area for p in peaks]),
                   _tolerance(peaks, tolerance), wavelength, two_theta_range[0], two_theta_range[1],
                   min_snr * noise * fwhm, float(sum(p.area for p in peaks)))
    fitted = [phase for structure in structures
              for a, c in _candidates(structure, ctx, (starts or {}).get(structure), window)
              if (phase := _fit(structure, a, c, ctx)) is not None and phase.confidence >= min_confidence]
    # lattices of one family closer than the peaks can resolve are one phase
    mid = math.radians(float(np.median(ctx.tt)) / 2)
    same = max(SAME_LATTICE, 0.5 * math.radians(fwhm) / (2 * math.tan(mid)))
    phases: list[IndexedPhase] = []
    explained: set[int] = set()
    for _ in range(max_phases):
        best: IndexedPhase | None = None
        for candidate in fitted:
            phase = _scored(candidate, ctx, explained)
            if phase is not None:
                if any(_same_phase(p, phase, ka2_ratio, same) for p in phases):
                    continue
                if best is None or phase.score > best.score + 1e-9 or (
                        abs(phase.score - best.score) <= 1e-9 and _simpler(phase, best)):
                    best = phase
        if best is None or best.score < min_score:
            break
        phases.append(best)
        explained |= {m.peak for m in best.matches if m.peak is not None}
    unexplained = [i for i in range(len(peaks)) if i not in explained]
    return phases, unexplained


KA2_GHOST = 0.0008
"""A lattice of an accepted phase's structure within this (relative) of it scaled by (λ₂/λ₁)^k,
k = 1, 2, 4, is a ghost: Rachinger stripping of an absent doublet leaves a dip at the twin and
positive ghosts at even multiples of its spacing."""


def _same_phase(accepted: IndexedPhase, phase: IndexedPhase, ka2_ratio: float | None,
                same: float = SAME_LATTICE) -> bool:
    """Whether ``phase`` is ``accepted`` seen again: the same lattice family within ``same``
    (relative; :data:`SAME_LATTICE`, or what the peak widths resolve), or shifted by the
    Kα1/Kα2 ratio (a residue of the doublet)."""
    if accepted.structure.parent is not phase.structure.parent:
        return False
    ratio = phase.a / accepted.a
    if abs(ratio - 1) < same:
        return True
    if ka2_ratio is None or phase.structure is not accepted.structure:
        return False  # an ordered variant shows its own superlattice peaks: not a ghost
    return any(abs(ratio - ka2_ratio ** k) < KA2_GHOST for k in (-4, -2, -1, 1, 2, 4))


def _overlapped(phase: IndexedPhase, ctx: _Context) -> bool:
    """Whether the phase's strongest predicted reflection lies under a found peak (within its width)."""
    top = max((m for m in phase.matches if not m.reflection.superlattice), key=lambda m: m.expected)
    if top.expected == 0.0 and ctx.tt.size:
        top = phase.matches[0]
    widths = np.array([p.fwhm for p in ctx.peaks])
    return bool(ctx.tt.size and np.any(np.abs(ctx.tt - top.predicted_two_theta) <= HIDDEN_WIDTHS * widths))


def _simpler(a: IndexedPhase, b: IndexedPhase) -> bool:
    """Between equal scores prefer the disordered lattice."""
    return not a.structure.ordered and b.structure.ordered
