"""Zero shift and sample displacement: Δ2θ = z + D·cos θ, shared by every phase of a pattern.

A sample off the focusing circle (displacement) moves every reflection by D·cos θ; a
miscalibrated goniometer adds a constant z. Real lab scans carry 0.1–0.4° and more, more
than any fixed matching window allows. So the shift is found before indexing and refined with
the phases:

1. :func:`search_shift` — for each trial shift on a grid (D, or z, from −1° to +1° in 0.05°
   steps) the peaks are corrected and every FCC, BCC and HCP lattice a strong peak suggests
   (one peak as one of the first reflections; HCP: two peaks as two of them) is scored at
   once (vectorised): the share of its predicted intensity that finds a peak within the
   matching tolerance × the share of all peak area it explains. The trial shift whose best
   lattice scores highest wins (small shifts preferred on ties).
2. Indexing runs on the peaks corrected by that shift.
3. :func:`refine_shift` — z, D and the lattice parameters of the phases found are refined
   together by least squares on the matched peaks (z with a 0.1° prior, D with 1°: the two
   are nearly collinear over a scan and a goniometer's zero is usually calibrated), and the
   root-mean-square residual sets the matching tolerance of the final indexing.

A short-wavelength scan analysed on the Cu Kα1 scale (:mod:`.angle_scale`) keeps its shift on
its own angles (``Shift.scan``, :func:`.angle_scale.moved`): z and D are its instrument's, and
the grid and priors above are scaled to its degrees (:func:`.angle_scale.degree`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import least_squares

from alloyloop.agent.xrd.angle_scale import degree, moved
from alloyloop.agent.xrd.indexing import _tolerance
from alloyloop.agent.xrd.lattices import Structure, reflection_table, relative_intensities
from alloyloop.agent.xrd.peaks import Peak

GRID = np.round(np.arange(-1.0, 1.0 + 1e-9, 0.05), 2)
"""Trial shifts (degrees 2θ at θ → 0)."""
ZERO_PRIOR = 0.1
DISPLACEMENT_PRIOR = 1.0
SHIFT_COST = 0.02
"""Score a trial shift loses per degree: a shift must explain more to be preferred."""


@dataclass(frozen=True)
class Shift:
    """Δ2θ = ``zero`` + ``displacement``·cos θ (degrees) on the scan's own 2θ; observed =
    predicted + Δ2θ. ``scan``: the scan's wavelength when it is analysed on the Cu Kα1 scale
    (then the analysis's positions are mapped to the scan's angles and back, :func:`.angle_scale.moved`);
    None when the analysis's scale is the scan's own."""

    zero: float = 0.0
    displacement: float = 0.0
    zero_sigma: float | None = None
    displacement_sigma: float | None = None
    rms: float | None = None
    """Root-mean-square 2θ residual of the refinement (degrees, the analysis's scale)."""
    sigma_60: float | None = None
    """Standard error of the shift at 2θ = 60° on the analysis's scale (z and D are correlated:
    this is tighter than either)."""
    scan: float | None = None

    @property
    def moves(self) -> bool:
        return self.zero != 0.0 or self.displacement != 0.0

    def moved(self, two_theta: np.ndarray | float, sign: float = 1.0) -> np.ndarray:
        """Positions on the analysis's scale moved by the shift (``sign`` −1: taken out)."""
        return moved(two_theta, sign * self.zero, sign * self.displacement, self.scan)

    def at(self, two_theta: np.ndarray | float) -> np.ndarray | float:
        """Δ2θ on the analysis's scale at (predicted) ``two_theta`` there."""
        return self.moved(two_theta) - np.asarray(two_theta, float)

    def corrected(self, peaks: Sequence[Peak], wavelength: float) -> list[Peak]:
        """``peaks`` moved to where they would be without the shift (d recomputed)."""
        if not self.moves:
            return list(peaks)
        back = self.moved(np.array([p.two_theta for p in peaks]), -1.0)
        return [replace(p, two_theta=float(t), d=wavelength / (2 * math.sin(math.radians(float(t)) / 2)))
                for p, t in zip(peaks, back)]

    @property
    def label(self) -> str:
        return f"zero shift {self.zero:+.3f}°, sample displacement {self.displacement:+.3f}° × cos θ"


def _lattice_scores(a: np.ndarray, c: np.ndarray | None, structure: Structure, tt: np.ndarray,
                    tol: np.ndarray, area: np.ndarray, wavelength: float, lo: float,
                    hi: float) -> tuple[float, int, list[tuple[tuple[int, int, int], int]]]:
    """The best trial lattice's quick score (predicted-intensity coverage × explained peak
    area), its index and its matches (reflection, peak)."""
    table = reflection_table(structure)
    keep = np.flatnonzero(table.weight > 0)[:24]
    planar, axial = table.planar[keep], table.axial[keep]
    if c is None:
        d = a[:, None] / np.sqrt(planar)[None, :]
    else:
        d = 1.0 / np.sqrt(planar[None, :] / a[:, None] ** 2 + axial[None, :] / c[:, None] ** 2)
    s = wavelength / (2 * d)
    with np.errstate(invalid="ignore"):
        pred = np.degrees(2 * np.arcsin(np.where(s < 1, s, np.nan)))
    inside = np.isfinite(pred) & (pred >= lo) & (pred <= hi)
    rel = np.where(inside, relative_intensities(table, keep, np.where(inside, d, 1.0), wavelength), 0.0)
    pos = np.clip(np.searchsorted(tt, np.where(inside, pred, lo)), 1, len(tt) - 1)
    left = pos - 1
    nearest = np.where(np.abs(tt[left] - pred) <= np.abs(tt[pos] - pred), left, pos)
    hit = inside & (np.abs(tt[nearest] - pred) <= tol[nearest])
    coverage = (rel * hit).sum(axis=1) / np.maximum(rel.sum(axis=1), 1e-30)
    explained = np.zeros((len(a), len(tt)), bool)
    rows = np.repeat(np.arange(len(a)), hit.shape[1]).reshape(hit.shape)
    explained[rows[hit], nearest[hit]] = True
    scores = coverage * (explained * area[None, :]).sum(axis=1) / area.sum()
    best = int(np.argmax(scores))
    matches = [(table.reflections[keep[k]].hkl, int(nearest[best, k])) for k in np.flatnonzero(hit[best])]
    return float(scores[best]), best, matches


def _trial_lattices(structure: Structure, d: np.ndarray, strong: np.ndarray,
                    window: tuple[float, float]) -> tuple[np.ndarray, np.ndarray | None]:
    table = reflection_table(structure)
    # an HCP's first lines, (100) and (002), lie below 30° for the large rare-earth lattices
    # (a ≈ 3.6 Å, Cu Kα) and are out of a scan that starts there; its next strong ones, (110)
    # and (103), must be able to pair with (101) then (a displaced HCP was left unindexed)
    first = np.flatnonzero(table.weight > 0)[:6 if structure is Structure.HCP else 4]
    if structure is not Structure.HCP:
        a = (d[strong][:, None] * np.sqrt(table.planar[first])[None, :]).ravel()
        return a[(a >= window[0]) & (a <= window[1])], None
    # two peaks as two of the first reflections: 1/d² = P/a² + L/c², a 2 × 2 linear system
    i, j = np.meshgrid(strong[:5], strong[:5], indexing="ij")
    p, q = np.meshgrid(first, first, indexing="ij")
    i, j, p, q = (v.ravel() for v in (i, j, p, q))
    ii, pp = np.repeat(i, len(p)), np.tile(p, len(i))
    jj, qq = np.repeat(j, len(q)), np.tile(q, len(j))
    ok = (ii != jj) & (pp != qq)
    ii, jj, pp, qq = ii[ok], jj[ok], pp[ok], qq[ok]
    m00, m01, m10, m11 = table.planar[pp], table.axial[pp], table.planar[qq], table.axial[qq]
    det = m00 * m11 - m01 * m10
    good = np.abs(det) > 1e-9
    r0, r1 = 1 / d[ii] ** 2, 1 / d[jj] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_a2 = (r0 * m11 - m01 * r1) / det
        inv_c2 = (m00 * r1 - m10 * r0) / det
        good &= (inv_a2 > 0) & (inv_c2 > 0)
        a, c = 1 / np.sqrt(np.where(good, inv_a2, 1)), 1 / np.sqrt(np.where(good, inv_c2, 1))
    good &= (a >= window[0]) & (a <= window[1]) & (c / a > 1.55) & (c / a < 1.70)
    return a[good], c[good]


def search_shift(peaks: Sequence[Peak], *, wavelength: float, two_theta_range: tuple[float, float],
                 starts: Mapping[Structure, object] | None = None, window: float = 0.06,
                 scan: float | None = None) -> Shift:
    """The trial shift (displacement or zero) under which one lattice explains the most;
    ``scan``: the scan's wavelength when the peaks are on the Cu Kα1 scale (:class:`Shift`)."""
    if len(peaks) < 3:
        return Shift(scan=scan)
    tt0 = np.array([p.two_theta for p in peaks])
    area = np.array([p.area for p in peaks])
    tol = _tolerance(peaks)
    strong = np.argsort(-area)[:8]
    lo, hi = two_theta_range
    unit = degree(scan)
    best: tuple[float, float, Shift] = (-1.0, 0.0, Shift(scan=scan))
    lattice: tuple = ()
    for kind in ("displacement", "zero"):
        for value in GRID:
            if kind == "zero" and value == 0.0:
                continue
            trial = Shift(displacement=float(value) * unit, scan=scan) if kind == "displacement" else \
                Shift(zero=float(value) * unit, scan=scan)
            tt = trial.moved(tt0, -1.0)
            d = wavelength / (2 * np.sin(np.radians(tt) / 2))
            top: tuple = (0.0,)
            for structure in (Structure.FCC, Structure.BCC, Structure.HCP):
                start = (starts or {}).get(structure)
                span = (start.a * (1 - window), start.a * (1 + window)) if start is not None else (2.3, 4.6)
                a, c = _trial_lattices(structure, d, strong, span)
                if a.size:
                    score, k, matches = _lattice_scores(a, c, structure, tt, tol, area, wavelength, lo, hi)
                    if score > top[0]:
                        top = (score, structure, float(a[k]), None if c is None else float(c[k]), matches)
            score = top[0] - SHIFT_COST * abs(float(value))
            if score > best[0] + 1e-9 or (abs(score - best[0]) <= 1e-9 and abs(value) < abs(best[1])):
                best, lattice = (score, float(value), trial), top
    if len(lattice) < 5 or len(lattice[4]) < 3:
        return best[2]
    # the grid step and the matching window leave the shift uncertain by ~0.1°: refine it on
    # the best lattice's matched peaks
    _, structure, a, c, matches = lattice
    rows = [(0, hkl, j) for hkl, j in matches]
    return _fit(rows, [structure is Structure.HCP], [a, c] if c is not None else [a], peaks, wavelength, best[2])


def refine_shift(phases: Sequence, peaks: Sequence[Peak], wavelength: float, shift: Shift) -> Shift:  # noqa: ANN001
    """z, D and the lattice parameters of ``phases`` (indexed on peaks corrected by ``shift``)
    refined together on the observed positions of their matched peaks."""
    rows = [(k, m.reflection.hkl, m.peak) for k, phase in enumerate(phases) for m in phase.matches
            if m.peak is not None]
    hexagonal = [phase.structure is Structure.HCP for phase in phases]
    start = [v for phase, hcp in zip(phases, hexagonal) for v in ([phase.a, phase.c] if hcp else [phase.a])]
    return _fit(rows, hexagonal, start, peaks, wavelength, shift)


def _fit(rows: list[tuple[int, tuple[int, int, int], int]], hexagonal: list[bool], lattices: list[float],
         peaks: Sequence[Peak], wavelength: float, shift: Shift) -> Shift:
    """Least squares of z, D and the lattice parameters (``lattices``: a, or a and c for a
    hexagonal phase, per phase) on ``rows`` (phase, hkl, peak)."""
    if len(rows) < 3:
        return shift
    start = [shift.zero, shift.displacement, *lattices]
    unit = degree(shift.scan)
    offsets = np.cumsum([2] + [2 if h else 1 for h in hexagonal])[:-1]
    tt = np.array([peaks[j].two_theta for _, _, j in rows])
    sigma = np.array([max(0.005, 0.5 * peaks[j].fwhm / math.sqrt(max(peaks[j].snr, 1.0))) for _, _, j in rows])
    planar = np.array([(4 / 3 * (h * h + h * k + k * k) if hexagonal[n] else h * h + k * k + l * l)
                       for n, (h, k, l), _ in rows], float)  # noqa: E741
    axial = np.array([l * l if hexagonal[n] else 0 for n, (_, _, l), _ in rows], float)  # noqa: E741
    owner = np.array([n for n, _, _ in rows])
    a_at = offsets[owner]
    c_at = np.where([hexagonal[n] for n in owner], a_at + 1, a_at)

    def residuals(p: np.ndarray) -> np.ndarray:
        inv_d2 = planar / p[a_at] ** 2 + axial / p[c_at] ** 2
        calc = np.degrees(2 * np.arcsin(np.clip(wavelength * np.sqrt(inv_d2) / 2, -1, 1)))
        model = moved(calc, p[0], p[1], shift.scan)
        return np.concatenate([(tt - model) / sigma, [p[0] / (ZERO_PRIOR * unit), p[1] / (DISPLACEMENT_PRIOR * unit)]])

    fit = least_squares(residuals, np.array(start, float), x_scale="jac")
    resid = fit.fun[:-2] * sigma
    s2 = float(np.sum(fit.fun[:-2] ** 2) / max(1, len(rows) - len(start)))
    cov = np.linalg.pinv(fit.jac.T @ fit.jac) * max(s2, 1.0)
    z_sigma, d_sigma = (float(math.sqrt(max(cov[i, i], 0.0))) for i in (0, 1))
    # the shift at 60° (the analysis's scale) is linear in z and D to first order: its gradient
    h = 1e-4
    g = np.array([(float(moved(60.0, h, 0.0, shift.scan)) - float(moved(60.0, -h, 0.0, shift.scan))) / (2 * h),
                  (float(moved(60.0, 0.0, h, shift.scan)) - float(moved(60.0, 0.0, -h, shift.scan))) / (2 * h)])
    at_60 = float(math.sqrt(max(float(g @ cov[:2, :2] @ g), 0.0)))
    return Shift(float(fit.x[0]), float(fit.x[1]), z_sigma, d_sigma, float(np.sqrt(np.mean(resid ** 2))), at_60,
                 shift.scan)
