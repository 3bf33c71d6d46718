"""Where a hidden σ / Laves / μ minority's lattice is: searched on what the found phase's fit leaves.

A 10–30 % σ or C15 beside an FCC or BCC matrix shows its lines each near or below the peak
finder's threshold (and on broad patterns merged into the matrix's), so the peak-matching fit
of the prototype (:func:`.named_phases.fit_prototype`) has too few peaks, or the wrong ones,
to place it: the whole-pattern test then has no candidate at the right lattice. Here the
residual of the matrix's whole-pattern fit (:mod:`.whole_pattern`: its own reflections, Kα2,
tube lines, shift and background taken out) is correlated with a pseudo-Voigt at the matrix's
width at every angle — a matched filter, c(t) = Σ r_i g_t(x_i)/σ_i² and its norm n(t) — and each
prototype's lattice grid (:func:`.named_phases.lattice_grid`) is scored by its lines together,
Σ I_l c(t_l) / √(Σ I_l² n(t_l)), with the pattern's zero shift and displacement. The best
lattice of each prototype becomes a candidate; whether the phase is there is for the
whole-pattern F-test to say, never for this score (the best of thousands of trial lattices
always correlates with something).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from alloyloop.agent.xrd import whole_pattern as wp
from alloyloop.agent.xrd.angle_scale import moved
from alloyloop.agent.xrd.named_phases import lattice_grid
from alloyloop.agent.xrd.prototypes import NamedStructure, admits, lorentz_polarisation, table

SEGMENT = 8.0
"""Degrees 2θ over which the filter's width is taken as constant (widths change slowly)."""
STRONG = 0.03
"""A prototype's lines weaker than this share of its strongest are left out of the score."""


def matched_filter(x: np.ndarray, residual: np.ndarray, sigma: np.ndarray, values: Mapping[str, float]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """c(t) and n(t) at every point ``x`` (as t): the weighted correlation of the unweighted
    ``residual`` (observed − model, counts) with a unit-area pseudo-Voigt of the first phase's
    width and η centred at t, and that profile's weighted norm."""
    step = float(np.median(np.diff(x)))
    w2 = 1.0 / np.maximum(sigma, 1e-9) ** 2
    c, n = np.zeros_like(x), np.zeros_like(x)
    eta = float(values.get("eta", 0.5))
    for lo in np.arange(float(x[0]), float(x[-1]), SEGMENT):
        seg = (x >= lo) & (x < lo + SEGMENT) if lo + SEGMENT < x[-1] else (x >= lo)
        if not seg.any():
            continue
        th = math.radians(float(np.median(x[seg]))) / 2
        fwhm = max(abs(values["W0"]) / math.cos(th) + abs(values.get("U0", 0.0)) * math.tan(th), 2 * step)
        half = int(min(len(x) // 2, math.ceil(4 * fwhm / step)))
        kernel = wp.pv(np.arange(-half, half + 1) * step, np.full(2 * half + 1, fwhm), eta)
        c[seg] = np.convolve(residual * w2, kernel[::-1], mode="same")[seg]
        n[seg] = np.convolve(w2, kernel[::-1] ** 2, mode="same")[seg]
    return c, n


def best_lattices(x: np.ndarray, residual: np.ndarray, sigma: np.ndarray, values: Mapping[str, float], *,
                  wavelength: float, ka2: float | None, composition: Mapping[str, float] | None,
                  structures: Sequence[NamedStructure] = tuple(NamedStructure),
                  scan: float | None = None) -> list[wp.Candidate]:
    """Each admitted prototype at the grid lattice its lines match best in ``residual`` (one
    scaled candidate each, None of those whose best score is not positive); ``scan``: the scan's
    wavelength when ``x`` is the Cu Kα1 scale (the shift is on the scan's angles, :mod:`.angle_scale`)."""
    c, n = matched_filter(x, residual, sigma, values)
    rho = float(values.get("rho", 0.0)) if ka2 else 0.0
    z, disp = float(values.get("z", 0.0)), float(values.get("D", 0.0))
    lo, hi = float(x[0]), float(x[-1])
    out = []
    for structure in structures:
        if not admits(structure, composition):
            continue
        tab = table(structure)
        a_grid, ca_grid = lattice_grid(structure, composition)
        keep = _strong_lines(tab, float(np.median(a_grid)), ca_grid, wavelength)
        planar, axial, weight = tab.planar[keep], tab.axial[keep], tab.weight[keep]
        best = (0.0, None, None)
        for ca in (ca_grid if ca_grid is not None else [None]):
            # (grid, reflections) 2θ of Kα1 and Kα2, shifted as the pattern is
            inv_d2 = planar[None, :] / a_grid[:, None] ** 2
            if ca is not None:
                inv_d2 = inv_d2 + axial[None, :] / (a_grid[:, None] * ca) ** 2
            score = _score(inv_d2, weight, c, n, x, wavelength, ka2, rho, (z, disp, scan), lo, hi)
            k = int(np.argmax(score))
            if score[k] > best[0]:
                best = (float(score[k]), float(a_grid[k]), None if ca is None else float(a_grid[k] * ca))
        if best[1] is not None:
            out.append(wp.candidate(structure, best[1], best[2], scaled=True))
    return out


def _strong_lines(tab, a: float, ca_grid: np.ndarray | None, wavelength: float) -> np.ndarray:  # noqa: ANN001
    """The reflections within a factor of ten of :data:`STRONG` at the grid's middle lattice
    (a σ or μ table lists hundreds; the faint ones never change which lattice scores best)."""
    c = None if ca_grid is None else a * float(np.median(ca_grid))
    d = tab.d(a, c)
    s = wavelength / (2 * d)
    ok = s < 1
    two_theta = np.where(ok, np.degrees(2 * np.arcsin(np.where(ok, s, 0.5))), 90.0)
    inten = np.where(ok, tab.weight * lorentz_polarisation(two_theta), 0.0)
    return np.flatnonzero(inten >= 0.1 * STRONG * inten.max())


def _score(inv_d2: np.ndarray, weight: np.ndarray, c: np.ndarray, n: np.ndarray, x: np.ndarray, wavelength: float,
           ka2: float | None, rho: float, shift: tuple[float, float, float | None], lo: float, hi: float) -> np.ndarray:
    """Σ I_l c(t_l) / √(Σ I_l² n(t_l)) for each grid row of ``inv_d2`` (lines outside the scan,
    or weaker than :data:`STRONG` of the row's strongest, left out)."""
    s = wavelength * np.sqrt(inv_d2) / 2
    ok = s < 1
    t = np.degrees(2 * np.arcsin(np.where(ok, s, 0.0)))
    inten = np.where(ok, weight[None, :] * lorentz_polarisation(np.where(ok, t, 90.0)), 0.0)
    t_obs = moved(t, *shift)
    inside = ok & (t_obs > lo) & (t_obs < hi)
    inten = np.where(inside, inten, 0.0)
    inten = np.where(inten >= STRONG * inten.max(axis=1, keepdims=True), inten, 0.0)
    num = inten * np.interp(t_obs, x, c)
    den = inten ** 2 * np.interp(t_obs, x, n)
    if ka2 and rho > 0:
        t2 = np.degrees(2 * np.arcsin(np.clip(s * ka2 / wavelength, 0, 1 - 1e-12)))
        t2_obs = moved(t2, *shift)
        num = num + rho * inten * np.interp(t2_obs, x, c)
        den = den + (rho * inten) ** 2 * np.interp(t2_obs, x, n)
    return num.sum(axis=1) / np.sqrt(np.maximum(den.sum(axis=1), 1e-30))
