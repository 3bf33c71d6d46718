"""σ, Laves (C14, C15) and μ phases found among the peaks, and patterns no lattice here fits.

After the solid solutions and B2 / L1₂ are indexed (:mod:`.indexing`), each prototype of
:mod:`.prototypes` is fitted to the peaks: its lattice (a, and c/a for σ, C14, μ) is searched
on a grid (σ: ±6 % around the composition's estimate; Laves and μ: the range of real
compounds, see :class:`~.prototypes.Prototype`), each reflection matched to the nearest peak
within a few peak widths, and the grid point whose matched reflections carry the largest share
of the phase's predicted intensity (its *coverage*) is refined by linear least squares in 1/a²,
1/c². A prototype is a phase when

- its coverage is at least :data:`MIN_COVERAGE` (a σ or μ pattern has dozens of strong lines:
  matching most of their intensity by chance is implausible), and
- it explains at least :data:`MIN_NEW_PEAKS` peaks no other phase explains — or it *absorbs*
  a phase the cubic/HCP indexing made of its lines (every peak of that phase is one of the
  prototype's, and no stronger than the prototype predicts there).

Two checks guard the cubic phases against structures they only imitate:

- an ordered B2 / L1₂ whose superlattice reflections are as strong as its fundamental ones
  (:data:`MAX_SUPERLATTICE_SHARE`) is not a chemically ordered solid solution: a simple cubic
  compound (LaB₆, a calibrant: Pm-3m) looks like that. The phase is dropped;
- when no phase remains but strong peaks do, the pattern is an **unindexed structure**: no
  FCC/BCC/HCP solid solution, and nothing this analysis can name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, replace

import numpy as np

from alloyloop.agent.xrd.indexing import IndexedPhase, Match
from alloyloop.agent.xrd.lattices import Reflection, Structure
from alloyloop.agent.xrd.peaks import Peak
from alloyloop.agent.xrd.prototypes import PROTOTYPES, NamedStructure, admits, intensities, starting_a, table

MIN_COVERAGE = 0.62
"""Share of the intensity of the reflections that should be seen that is matched (or hidden)."""
MIN_GRID_COVERAGE = 0.35
"""Share of all visible reflections' intensity matched for a lattice to be considered at all
(a minority phase shows only its strongest lines)."""
HIDDEN_WIDTHS = 2.0
"""A predicted reflection this many widths from a found peak may be hidden under it."""
MIN_NEW_PEAKS = 3
VISIBLE = 0.04
"""A reflection is expected to be seen when its intensity is ≥ this share of the strongest."""
FAINT = 0.004
A_STEP = 0.0012
"""Relative step of the lattice-parameter grid (a 0.05° shift at 2θ = 45°); the grid matches
with :data:`GRID_SLACK` more tolerance, least squares then refine."""
CA_STEP = 0.003
GRID_SLACK = 0.05
GRID_STARTS = 8
"""Grid points refined (the best few c/a rows' best points): aliases of the lattice score
well on the coarse grid too."""
GRID_REFLECTIONS = 14
"""The grid search matches the strongest reflections only."""
OFFSETS = np.arange(-0.4, 0.4001, 0.08)
"""Whole-phase 2θ offsets tried (zero shift and sample displacement, nearly constant over the
35–55° where these phases' strong lines lie); refined afterwards."""
MAX_SUPERLATTICE_SHARE = 0.6
"""Superlattice over fundamental intensity above which an 'ordered phase' is a simple cubic
compound: a chemically ordered alloy's superlattice lines are weaker (NiAl ≈ 0.2)."""
STRONG_SNR = 8.0
WEAK_SHARE = 0.03
"""A peak below this share of the strongest one's area does not keep a cubic/HCP phase from being
absorbed by a named phase: it would not count as an unexplained phase either (the analysis's
``UNEXPLAINED_SHARE``), and a σ / μ pattern has many such small lines (or noise) nearby."""
TEXTURE_SPREAD = 6.0
"""Preferred orientation can make a line this many times weaker than predicted (as in
:mod:`.indexing`); a peak weaker still does not show the reflection."""
MAX_LINE_EXCESS = 3.0
"""A peak a named phase absorbs may be up to this many times stronger than the phase predicts
there: preferred orientation (March–Dollase r 0.7 triples a line along the texture axis)."""


@dataclass(frozen=True)
class Completion:
    """What this step changes: the phases (named ones appended), the peaks still unexplained,
    whether the pattern is an unindexed structure, and notes for the person."""

    phases: list[IndexedPhase]
    unexplained: list[int]
    unindexed: bool
    notes: tuple[str, ...]


def _tolerance(peaks: Sequence[Peak]) -> np.ndarray:
    return np.array([max(0.08, min(0.3, 0.6 * p.fwhm)) for p in peaks])


def _nearest(tt_peaks: np.ndarray, tt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest peak to each of ``tt`` (any shape) and the distance."""
    pos = np.clip(np.searchsorted(tt_peaks, tt), 1, len(tt_peaks) - 1)
    left = pos - 1
    take_left = np.abs(tt_peaks[left] - tt) <= np.abs(tt_peaks[pos] - tt)
    idx = np.where(take_left, left, pos)
    return idx, np.abs(tt_peaks[idx] - tt)


def _two_theta(d: np.ndarray, wavelength: float) -> np.ndarray:
    s = wavelength / (2 * d)
    with np.errstate(invalid="ignore"):
        return np.where(s < 1, np.degrees(2 * np.arcsin(np.minimum(s, 1))), np.nan)


@dataclass(frozen=True)
class _Fit:
    structure: NamedStructure
    a: float
    c: float | None
    coverage: float
    matched: dict[int, int]
    """reflection index → peak index (visible reflections only)."""
    expected: np.ndarray
    tt: np.ndarray
    visible: np.ndarray
    """Reflections expected to be seen (coverage is counted over these)."""
    listed: np.ndarray
    """Reflections down to :data:`FAINT` (they may explain weak peaks)."""
    offset: float = 0.0
    """2θ offset of the whole phase (zero shift and displacement, degrees); ``tt`` includes it."""


def _evaluate(structure: NamedStructure, a: float, c: float | None, order: np.ndarray, tt_sorted: np.ndarray,
              tol_sorted: np.ndarray, wavelength: float, lo: float, hi: float, offset: float = 0.0,
              slack: float = 0.0) -> _Fit | None:
    tab = table(structure)
    d = tab.d(a, c)
    tt = _two_theta(d, wavelength) + offset
    inside = np.isfinite(tt) & (tt >= lo) & (tt <= hi)
    rel = np.where(inside, intensities(tab, d, wavelength), 0.0)
    if rel.max() <= 0:
        return None
    visible = np.flatnonzero(rel >= VISIBLE * rel.max())
    listed = np.flatnonzero(rel >= FAINT * rel.max())
    if len(visible) < 4:
        return None
    idx, dist = _nearest(tt_sorted, tt[listed])
    hit = dist <= tol_sorted[idx] + slack
    best: dict[int, tuple[float, int]] = {}  # peak → (distance, reflection): a peak to its nearest reflection
    for r, j, dj, ok in zip(listed.tolist(), idx.tolist(), dist.tolist(), hit.tolist()):
        if ok and (int(order[j]) not in best or dj < best[int(order[j])][0]):
            best[int(order[j])] = (dj, r)
    matched = {r: j for j, (_, r) in best.items()}
    seen = [r for r in visible.tolist() if r in matched]
    coverage = float(rel[seen].sum() / rel[visible].sum()) if seen else 0.0
    return _Fit(structure, a, c, coverage, matched, rel, tt, visible, listed, offset)


def lattice_grid(structure: NamedStructure, composition: Mapping[str, float] | None) -> tuple[np.ndarray, np.ndarray | None]:
    """The prototype's trial a values (log-spaced by :data:`A_STEP`) and c/a values (None: cubic)."""
    proto = PROTOTYPES[structure]
    lo, hi = proto.a_range
    if proto.vegard and composition:
        try:
            a0 = starting_a(structure, composition)
            lo, hi = a0 * (1 - proto.window), a0 * (1 + proto.window)
        except KeyError:  # an element without a molar volume: the prototype's range
            pass
    a = np.exp(np.arange(math.log(lo), math.log(hi), A_STEP))
    if proto.c_over_a is None:
        return a, None
    return a, np.arange(proto.c_over_a[0], proto.c_over_a[1] + 1e-9, CA_STEP)


def fit_prototype(structure: NamedStructure, peaks: Sequence[Peak], *, wavelength: float,
                  two_theta_range: tuple[float, float], composition: Mapping[str, float] | None = None) -> _Fit | None:
    """The best lattice of ``structure`` for ``peaks`` (grid search, then least squares)."""
    if len(peaks) < MIN_NEW_PEAKS:
        return None
    tt_all = np.array([p.two_theta for p in peaks])
    order = np.argsort(tt_all)
    tt_sorted = tt_all[order]
    tol_sorted = _tolerance(peaks)[order]
    area = np.array([p.area for p in peaks])
    lo, hi = two_theta_range
    tab = table(structure)
    a_grid, ca_grid = lattice_grid(structure, composition)
    starts: list[tuple[float, float, float, float | None]] = []
    for ca in (ca_grid if ca_grid is not None else [None]):
        unit = tab.d(1.0, None if ca is None else ca)  # d at a = 1: d scales with a at fixed c/a
        a_mid = float(np.median(a_grid))
        rel = intensities(tab, unit * a_mid, wavelength)
        tt_mid = _two_theta(unit * a_mid, wavelength)
        inside = np.isfinite(tt_mid) & (tt_mid >= lo) & (tt_mid <= hi)
        rel = np.where(inside, rel, 0.0)
        if rel.max() <= 0:
            continue
        vis = np.flatnonzero(rel >= VISIBLE * rel.max())
        if len(vis) < 4:
            continue
        vis = vis[np.argsort(-rel[vis])[:GRID_REFLECTIONS]]
        tt = _two_theta(np.outer(a_grid, unit[vis]), wavelength)  # (grid, reflections)
        tt = tt[None, :, :] + OFFSETS[:, None, None]  # (offsets, grid, reflections)
        finite = np.where(np.isfinite(tt), tt, -1e3)
        idx, dist = _nearest(tt_sorted, finite)
        hit = (dist <= tol_sorted[idx] + GRID_SLACK) & np.isfinite(tt)
        cov = (hit * rel[vis]).sum(axis=2) / rel[vis].sum()
        cov = cov - np.abs(OFFSETS)[:, None] * 0.05  # prefer a smaller offset
        for flat in np.argsort(-cov, axis=None)[:3]:
            o, k = np.unravel_index(int(flat), cov.shape)
            starts.append((float(cov[o, k]), float(a_grid[k]), float(OFFSETS[o]), None if ca is None else float(ca)))
    starts.sort(key=lambda t: -t[0])
    best: _Fit | None = None
    for grid_cov, a, offset, ca in starts[:GRID_STARTS]:
        if grid_cov < MIN_GRID_COVERAGE:
            break
        fit = _refined(structure, a, None if ca is None else a * ca, offset, peaks, order, tt_sorted, tol_sorted,
                       wavelength, lo, hi)
        if fit is not None and (best is None or fit.coverage - abs(fit.offset) * 0.1
                                > best.coverage - abs(best.offset) * 0.1):
            best = fit
    return best


def _refined(structure: NamedStructure, a: float, c: float | None, offset: float, peaks: Sequence[Peak],
             order: np.ndarray, tt_sorted: np.ndarray, tol_sorted: np.ndarray, wavelength: float, lo: float,
             hi: float) -> _Fit | None:
    tab = table(structure)
    fit = _evaluate(structure, a, c, order, tt_sorted, tol_sorted, wavelength, lo, hi, offset, GRID_SLACK)
    first = True
    for _ in range(4):  # refine on the matched peaks, then match again (the grid's tolerance first)
        if fit is None or len(fit.matched) < 3:
            return fit
        refined = _least_squares(tab.planar, tab.axial, fit, peaks, c is not None, wavelength)
        if refined is None:
            break
        a, c = refined
        plain = _two_theta(tab.d(a, c), wavelength)
        offset = float(np.median([peaks[j].two_theta - plain[r] for r, j in fit.matched.items()]))
        again = _evaluate(structure, a, c, order, tt_sorted, tol_sorted, wavelength, lo, hi, offset)
        if again is None or (not first and again.coverage < fit.coverage - 1e-9):
            break
        fit, first = again, False
    if first and fit is not None:  # never refined: match with the strict tolerance
        fit = _evaluate(structure, fit.a, fit.c, order, tt_sorted, tol_sorted, wavelength, lo, hi, fit.offset)
    return fit


def _least_squares(planar: np.ndarray, axial: np.ndarray, fit: _Fit, peaks: Sequence[Peak],
                   two: bool, wavelength: float) -> tuple[float, float | None] | None:
    """a (and c) from the matched peaks, their 2θ corrected by the fit's offset."""
    rows = list(fit.matched.items())
    corrected = np.radians(np.array([peaks[j].two_theta for _, j in rows]) - fit.offset) / 2
    target = (2 * np.sin(corrected) / wavelength) ** 2
    w = fit.expected[[r for r, _ in rows]] ** 0.5
    if two:
        design = np.array([[planar[r], axial[r]] for r, _ in rows])
        if np.linalg.matrix_rank(design) < 2:
            return None
        sol, *_ = np.linalg.lstsq(design * w[:, None], target * w, rcond=None)
        if sol[0] <= 0 or sol[1] <= 0:
            return None
        return 1 / math.sqrt(sol[0]), 1 / math.sqrt(sol[1])
    p = planar[[r for r, _ in rows]]
    inv_a2 = float(np.sum(w * w * p * target) / np.sum(w * w * p * p))
    return (1 / math.sqrt(inv_a2), None) if inv_a2 > 0 else None


def _as_phase(fit: _Fit, peaks: Sequence[Peak]) -> IndexedPhase:
    tab = table(fit.structure)
    scale = _scale(fit, peaks)
    matches = tuple(Match(Reflection(tab.hkl[r], 1, float(tab.weight[r])), float(fit.tt[r]), fit.matched.get(r),
                          float(fit.expected[r] * scale)) for r in fit.listed.tolist()
                    if r in fit.matched or fit.expected[r] >= VISIBLE * fit.expected.max())
    offsets = [peaks[j].two_theta - fit.tt[r] for r, j in fit.matched.items()]
    rms = float(math.sqrt(sum(o * o for o in offsets) / len(offsets))) if offsets else 0.0
    top = int(fit.visible[np.argmax(fit.expected[fit.visible])])
    return IndexedPhase(fit.structure, fit.a, fit.c, float("nan"), None if fit.c is None else float("nan"),  # type: ignore[arg-type]
                        matches, fit.coverage, round(min(1.0, fit.coverage), 3), rms, fit.matched.get(top))


def _expected_at(fit: _Fit, peaks: Sequence[Peak]) -> dict[int, float]:
    """Matched peak → the phase's predicted intensity under it (unit scale): every listed
    reflection within half the peak's width (at least the matching tolerance), since a broad
    peak holds several of a σ / μ phase's close lines, not only the one it was matched to."""
    tt, expected = fit.tt[fit.listed], fit.expected[fit.listed]
    reach = _tolerance(peaks)
    out = {}
    for r, j in fit.matched.items():
        near = np.abs(tt - peaks[j].two_theta) <= max(0.5 * peaks[j].fwhm, reach[j])
        out[j] = max(float(expected[near].sum()), float(fit.expected[r]))
    return out


def _scale(fit: _Fit, peaks: Sequence[Peak], owned: Set[int] = frozenset()) -> float:
    """Observed area per unit predicted intensity: the median over peaks no other phase claims
    (a shared peak carries the other phase's intensity too)."""
    under = _expected_at(fit, peaks)
    ratios = [peaks[j].area / e for j, e in under.items() if e > 0 and j not in owned]
    if not ratios:
        ratios = [peaks[j].area / e for j, e in under.items() if e > 0]
        return float(np.percentile(ratios, 25)) if ratios else 0.0
    return float(np.median(ratios))


def detectable_coverage(fit: _Fit, peaks: Sequence[Peak], owned: Set[int] = frozenset()) -> float:
    """The share of the predicted intensity of the reflections strong enough to be found (at the
    phase's observed scale, against the weakest peak found) that is matched to a peak, or lies
    under one (within :data:`HIDDEN_WIDTHS` widths) — a peak not far weaker than the reflection
    predicts there (:data:`TEXTURE_SPREAD`): a strong line is not seen by a faint peak."""
    area = np.array([p.area for p in peaks])
    tt = np.array([p.two_theta for p in peaks])
    widths = np.array([p.fwhm for p in peaks])
    scale = _scale(fit, peaks, owned)
    detect = 1.5 * float(area.min())
    # a matched reflection was seen, whatever its predicted strength: a minority phase near
    # the detection limit shows only its strongest few lines, and they count
    rows = [r for r in fit.visible.tolist() if fit.expected[r] * scale >= detect or r in fit.matched]
    if len(rows) < 3:
        return 0.0
    reach = np.clip(HIDDEN_WIDTHS * widths, 0.15, 0.5)
    ok = [r for r in rows if np.any((np.abs(tt - fit.tt[r]) <= reach)
                                    & (area >= fit.expected[r] * scale / TEXTURE_SPREAD))]
    return float(fit.expected[ok].sum() / fit.expected[rows].sum())


def _peaks_of(phase: IndexedPhase) -> set[int]:
    return {m.peak for m in phase.matches if m.peak is not None}


def _implausible_order(phase: IndexedPhase, peaks: Sequence[Peak]) -> bool:
    """An ordered phase whose superlattice lines carry as much intensity as its fundamental ones."""
    if not isinstance(phase.structure, Structure) or not phase.structure.ordered:
        return False
    sup = sum(peaks[m.peak].area for m in phase.matches if m.peak is not None and m.reflection.superlattice)
    fund = sum(peaks[m.peak].area for m in phase.matches if m.peak is not None and not m.reflection.superlattice)
    return fund <= 0 or sup >= MAX_SUPERLATTICE_SHARE * fund


def _made_of(phase: IndexedPhase, k: int, kept: Sequence[IndexedPhase], mine: set[int],
             predicted: Mapping[int, float], peaks: Sequence[Peak], coverage: float = 1.0) -> bool:
    """Whether ``phase`` (the ``k``-th kept) is made of a named phase's lines: its peaks that no
    other kept phase explains are the named phase's (a further phase may have one more, a
    shoulder), each no stronger than the named phase predicts there. For a cubic/HCP phase
    its weak peaks (:data:`WEAK_SHARE`) do not count and a line may be :data:`MAX_LINE_EXCESS`
    times too strong; a named phase already accepted is replaced only on the strict rule (its
    many weak lines are its own, and its intensities are modelled) and only by a fit that covers
    its own predicted lines better (``coverage``) — else a weaker prototype fitted to a few of
    its lines would take it over."""
    cubic = isinstance(phase.structure, Structure)
    if not cubic and coverage <= phase.score:
        return False
    others = set().union(*(_peaks_of(p) for i, p in enumerate(kept) if i != k))
    own = _peaks_of(phase) - others
    if k == 0:
        own = _peaks_of(phase)
    top = max(p.area for p in peaks)
    outside = {j for j in own - mine if not cubic or peaks[j].area >= WEAK_SHARE * top}
    if len(outside) > (0 if k == 0 else 1) or len(own & mine) < 2:
        return False
    excess = MAX_LINE_EXCESS if cubic else 2.0
    return all(peaks[j].area <= excess * predicted[j] for j in own & mine)


def _absorb(kept: Sequence[IndexedPhase], mine: set[int], predicted: Mapping[int, float],
            peaks: Sequence[Peak], coverage: float) -> list[IndexedPhase]:
    """The phases left when those made of a named phase's lines (:func:`_made_of`) are taken
    out, until none is: two spurious lattices made of the same lines share a peak, and each
    keeps the other from looking made of them until one of them goes."""
    rest = list(kept)
    while True:
        gone = [p for k, p in enumerate(rest) if _made_of(p, k, rest, mine, predicted, peaks, coverage)]
        if not gone:
            return rest
        rest = [p for p in rest if p not in gone]


def _order_seen(phase: IndexedPhase, kept: Sequence[IndexedPhase], peaks: Sequence[Peak]) -> IndexedPhase:
    """An ordered B2 / L1₂ phase whose superlattice peaks are all a named phase's lines is its
    disordered parent: those peaks are no evidence of order (a μ phase has lines at the
    (100) and (110) of an L1₂ on an FCC matrix's lattice)."""
    if not isinstance(phase.structure, Structure) or not phase.structure.ordered:
        return phase
    named = set().union(*(_peaks_of(p) for p in kept if isinstance(p.structure, NamedStructure)))
    superlattice = {m.peak for m in phase.matches if m.peak is not None and m.reflection.superlattice}
    if not superlattice or not superlattice <= named:
        return phase
    matches = tuple(m for m in phase.matches if not m.reflection.superlattice)
    return replace(phase, structure=phase.structure.parent, matches=matches)


def _without_shadows(kept: list[IndexedPhase], peaks: Sequence[Peak], notes: list[str]) -> list[IndexedPhase]:
    """A further cubic/HCP phase is dropped when, with a named phase among the phases, it no
    longer explains two peaks no other phase does — the rule it was accepted by
    (:mod:`.indexing`), now that the named phase's many lines explain peaks too (its lone peak
    stays unexplained) — or when all its peaks are below :data:`WEAK_SHARE` of the strongest:
    unexplained, they would not make an unidentified phase either (Kα2-stripping ghosts of
    Kβ lines, noise)."""
    top = max((p.area for p in peaks), default=0.0)
    named = any(isinstance(p.structure, NamedStructure) for p in kept)
    while True:
        for k, phase in enumerate(kept):
            if k == 0 or isinstance(phase.structure, NamedStructure):
                continue
            others = set().union(*(_peaks_of(p) for i, p in enumerate(kept) if i != k))
            if named and len(_peaks_of(phase) - others) < 2:
                notes.append(f"{phase.structure.value} a = {phase.a:.4f} Å dropped: it explains fewer than two peaks "
                             "the other phases do not")
            elif max((peaks[j].area for j in _peaks_of(phase)), default=0.0) < WEAK_SHARE * top:
                notes.append(f"{phase.structure.value} a = {phase.a:.4f} Å dropped: its peaks are all below "
                             f"{WEAK_SHARE:.0%} of the strongest (they would not count as an unexplained phase either)")
            else:
                continue
            kept = [p for i, p in enumerate(kept) if i != k]
            break
        else:
            return kept


def complete(peaks: Sequence[Peak], phases: Sequence[IndexedPhase], unexplained: Sequence[int], *,
             wavelength: float, two_theta_range: tuple[float, float],
             composition: Mapping[str, float] | None = None, reserved: Set[int] = frozenset()) -> Completion:
    """The phases with implausible ordered ones dropped and σ / Laves / μ added (module notes).
    ``reserved`` peaks (Kβ / W Lα twins, :mod:`.tube_lines`) are never a new phase's."""
    notes: list[str] = []
    kept: list[IndexedPhase] = []
    for phase in phases:
        if _implausible_order(phase, peaks):
            notes.append(f"{phase.structure.value} a = {phase.a:.4f} Å dropped: its superlattice reflections are as "
                         "strong as its fundamental ones — a simple cubic compound, not an ordered alloy")
        else:
            kept.append(phase)
    area = np.array([p.area for p in peaks]) if peaks else np.zeros(0)
    spare = (set(unexplained) | set().union(*(_peaks_of(p) for p in kept[1:]))) - set(reserved)
    if kept and len(spare) < MIN_NEW_PEAKS:  # nothing a further phase could explain
        return Completion(kept, sorted(set(range(len(peaks))) - set(reserved).union(*(_peaks_of(p) for p in kept))),
                          False, tuple(notes))
    # a Laves or μ phase needs a large atom (prototypes.admits): without one in the alloy, its
    # lines are another prototype's (a few σ lines fit a C14 as well)
    fits = [f for s in NamedStructure if admits(s, composition)
            and (f := fit_prototype(s, peaks, wavelength=wavelength, two_theta_range=two_theta_range,
                                   composition=composition)) is not None]
    # strongest evidence first: coverage × the area of the peaks a fit would newly explain (the
    # matrix's strong peaks, which every prototype matches somewhere, say nothing about which
    # prototype it is: a C14 on a BCC's (110) outranked the C15 that covered all its own lines)
    taken = set(reserved).union(*(_peaks_of(p) for p in kept[:1]))
    fits.sort(key=lambda f: -(f.coverage * sum(area[j] for j in f.matched.values() if j not in taken)))
    for fit in fits:
        mine = set(fit.matched.values())
        owned_before = set(reserved).union(*(_peaks_of(p) for p in kept))
        if detectable_coverage(fit, peaks, owned_before) < MIN_COVERAGE:
            continue
        scale = _scale(fit, peaks, owned_before)
        predicted = {j: e * scale for j, e in _expected_at(fit, peaks).items()}
        rest = _absorb(kept, mine, predicted, peaks, fit.coverage)
        absorbed = [p for p in kept if p not in rest]
        owned = set(reserved).union(*(_peaks_of(p) for p in rest))
        if len(mine - owned) < MIN_NEW_PEAKS:
            continue
        if any(isinstance(p.structure, NamedStructure) for p in rest) and fit.structure in (NamedStructure.C14,
                                                                                             NamedStructure.C15):
            continue  # one Laves polytype at most
        for p in absorbed:
            notes.append(f"{p.structure.value} a = {p.a:.4f} Å was made of {fit.structure.value} reflections: replaced")
        kept = rest + [_as_phase(fit, peaks)]
    kept = _without_shadows([_order_seen(p, kept, peaks) for p in kept], peaks, notes)
    explained = set(reserved).union(*(_peaks_of(p) for p in kept))
    left = [i for i in range(len(peaks)) if i not in explained]
    strong = [i for i in left if peaks[i].snr >= STRONG_SNR]
    unindexed = not kept and len(strong) >= 3
    if unindexed:
        notes.append("unindexed structure: no FCC, BCC, HCP, B2, L12, sigma, Laves or mu lattice explains the "
                     "peaks — no solid solution recognised; choose the label yourself")
    return Completion(kept, left, unindexed, tuple(notes))
