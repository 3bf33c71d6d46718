"""Short-wavelength scans analysed on the Cu Kα1 2θ scale (issue #29, real scans).

The analysis's angular constants — matching tolerances of 0.06–0.5°, a ±1° shift search,
smoothing and background windows in degrees, the widths below which a peak is noise — are
those of lab Cu, Co, Fe and Cr tubes. A synchrotron scan at 0.14 Å puts a steel's peaks at
2–11°, 0.6° apart and 0.03° wide: a 0.06° tolerance is 1.5 % of d, a 1° shift moves a peak past
its neighbours, and an FCC + BCC steel came out as C15 + μ under a '+1.1° displacement'. Mo
and Ag Kα scans sit between.

Bragg's law maps the scan onto the 2θ the same d-spacings have at Cu Kα1 exactly
(sin θ′ = sin θ × λ_Cu / λ), where every constant means what it was chosen for; lattice
parameters do not change. The mapped scan is resampled on an even step (the finest of the
mapped spacings: no profile loses points), and the peak table is mapped back to the scan's own
angles and widths. The higher the angle, the more grid points one scan step spans (up to ~20 on
a Mo scan near 2θ′ = 175°): the interpolated noise is that much smoother point to point, and the
noise estimate is scaled by it (:func:`stretch`; read as the adjacent-point noise it was, its
maxima became strong unexplained peaks and a clean FCC on a Mo anode 15–60° 'FCC + other').

The zero shift z and the displacement D are the scan's own instrument's, so the shift model is
kept on the scan's own angles (:func:`moved`): a reflection predicted at 2θ′ on the Cu scale is
mapped back to the scan's 2θ, moved by z + D·cos θ there, and mapped forth again. (z + D·cos θ′
fitted on the Cu scale is not that: a true +0.04° zero shift on a Mo scan came back as +0.026° at
15° falling to 0 at 55°, the lines were misplaced, and a single FCC was called FCC + C15.) The
search grid and priors of the shift, set for lab tubes in Cu-scale degrees, are scaled to the
scan's degrees by :func:`degree`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from alloyloop.agent.xrd.pattern import ANODES, Pattern, Radiation

REFERENCE = ANODES["Cu"][0]
"""Kα1 of Cu (Å): the scale the analysis's constants are set on."""
SHORT = 1.2
"""Wavelengths (Å) below this (Mo, Ag, synchrotron) are analysed on the Cu Kα1 scale."""
REACHED = 175.0
"""The highest Cu Kα1 2θ a mapped point may reach (the rest of the scan is left out)."""


def _map(two_theta: np.ndarray, factor: float) -> np.ndarray:
    return np.degrees(2 * np.arcsin(np.clip(np.sin(np.radians(two_theta) / 2) * factor, -1.0, 1.0)))


def to_reference(pattern: Pattern) -> Pattern | None:
    """``pattern`` on the Cu Kα1 scale, or None when its wavelength is a lab tube's (≥ 1.2 Å).
    Points whose d-spacing Cu Kα1 cannot reach (2θ′ beyond 175°) are left out."""
    lam = pattern.radiation.ka1
    if lam >= SHORT:
        return None
    factor = REFERENCE / lam
    inside = np.sin(np.radians(pattern.two_theta) / 2) * factor < np.sin(np.radians(REACHED) / 2)
    mapped = _map(pattern.two_theta[inside], factor)
    y = pattern.intensity[inside]
    step = float(np.min(np.diff(mapped)))
    grid = np.arange(mapped[0], mapped[-1] + 0.5 * step, step)
    ka2 = None if pattern.radiation.ka2 is None else pattern.radiation.ka2 * factor
    radiation = Radiation(REFERENCE, ka2, pattern.radiation.ratio, pattern.radiation.origin)
    return replace(pattern, two_theta=grid, intensity=np.interp(grid, mapped, y), radiation=radiation)


def stretch(scan: Pattern, grid: np.ndarray) -> np.ndarray:
    """How many points of ``grid`` (the Cu-scale grid of :func:`to_reference`) one step of
    ``scan`` spans at each grid point (≥ 1): 1 at the start, near 20 at 2θ′ = 175° on a Mo scan.
    Linear interpolation makes the noise that many times smoother point to point, so the noise
    of the resampled scan is estimated with it (:func:`.peaks.interpolated`)."""
    mapped = _map(scan.two_theta, REFERENCE / scan.radiation.ka1)
    spacing = np.diff(mapped)
    step = float(grid[1] - grid[0])
    return np.maximum(np.interp(grid, 0.5 * (mapped[1:] + mapped[:-1]), spacing) / step, 1.0)


def from_reference(two_theta: float, fwhm: float, wavelength: float) -> tuple[float, float]:
    """A peak's 2θ and FWHM on the Cu Kα1 scale mapped back to the scan at ``wavelength``."""
    factor = wavelength / REFERENCE
    back = float(_map(np.array([two_theta]), factor)[0])
    # dθ/dθ′ = (λ cos θ′) / (λ_Cu cos θ)
    slope = factor * np.cos(np.radians(two_theta) / 2) / np.cos(np.radians(back) / 2)
    return back, float(fwhm * slope)


def degree(wavelength: float | None) -> float:
    """Scan degrees per Cu-scale degree near 2θ → 0 (λ / λ_Cu; 1 on the scan's own scale, None):
    the shift's search grid and priors, chosen for lab tubes, in the scan's degrees."""
    return 1.0 if wavelength is None else wavelength / REFERENCE


def moved(two_theta: np.ndarray | float, zero: float, displacement: float,
          wavelength: float | None = None) -> np.ndarray:
    """Positions ``two_theta`` on the analysis's scale moved by z + D·cos θ on the scan's own
    2θ: ``wavelength`` is the scan's when it is analysed on the Cu Kα1 scale, None when the
    analysis's scale is the scan's own (then simply 2θ + z + D·cos θ)."""
    tt = np.asarray(two_theta, float)
    if wavelength is None:
        return tt + zero + displacement * np.cos(np.radians(tt) / 2)
    own = _map(tt, wavelength / REFERENCE)
    return _map(own + zero + displacement * np.cos(np.radians(own) / 2), REFERENCE / wavelength)


def note(wavelength: float) -> str:
    return (f"λ {wavelength:.5f} Å is far shorter than a lab tube's: analysed on the Cu Kα1 2θ scale (same "
            "d-spacings; the angles in these notes are on that scale, the peak table and the zero shift and "
            "displacement on the scan's)")


def scan_shift(two_theta: float, zero: float, displacement: float, wavelength: float) -> float:
    """The shift Δ2θ = ``zero`` + ``displacement``·cos θ′ found on the Cu Kα1 scale, as it moves a
    reflection at ``two_theta`` on the scan's own scale (``wavelength``): how records of xrd-1.9,
    whose shift was fitted on that scale (``shift_wavelength``), are read."""
    mapped = float(_map(np.array([two_theta]), REFERENCE / wavelength)[0])
    moved = mapped + zero + displacement * float(np.cos(np.radians(mapped) / 2))
    return float(_map(np.array([moved]), wavelength / REFERENCE)[0]) - two_theta


def analysed_range(two_theta_range: tuple[float, float], wavelength: float) -> tuple[float, float]:
    """The part of a scan's 2θ range (at ``wavelength``) that the Cu Kα1 scale reaches."""
    top = float(_map(np.array([REACHED]), wavelength / REFERENCE)[0])
    return two_theta_range[0], min(two_theta_range[1], top)
