"""Kα2 or not: decide from the pattern itself whether its reflections carry a Kα2 twin.

A file (or the default) may say Cu Kα with Kα2 while the beam was monochromated, the export
already stripped, or the pattern simulated with one wavelength. Stripping a doublet that is
not there (Rachinger) leaves negative dips and positive ghosts at the Kα2 spacing, which
index as a second phase of the same structure. So before stripping, the strongest isolated
peaks whose Kα2 twin would lie far enough from them to be seen (separation ≥ 0.5 FWHM) are
fitted with a pseudo-Voigt doublet ``A·[pV(2θ₁) + r·pV(2θ₂(2θ₁))] + c`` whose ratio ``r`` is
free in [0, 1]. The weighted mean of ``r`` decides: below :data:`ABSENT` the pattern has no
doublet and is analysed with Kα1 alone; otherwise the stated radiation is kept. When no peak
resolves the doublet (broad peaks), the stated radiation is kept: stripping an unresolved
doublet only narrows the peaks, it makes no ghosts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import least_squares

from alloyloop.agent.xrd.pattern import Radiation
from alloyloop.agent.xrd.profile import ka2_position, pseudo_voigt
from alloyloop.agent.xrd.signal1d import find_peaks, peak_widths

ABSENT = 0.2
"""A fitted Kα2/Kα1 ratio below this (real tubes give about 0.5) means no doublet."""
MAX_SIGMA = 0.12
"""The combined ratio must be known at least this well to overrule the stated radiation."""
MIN_SEPARATION = 0.5
"""The twin must lie at least this many FWHM from its Kα1 peak to tell a doublet from one peak."""


@dataclass(frozen=True)
class Ka2Decision:
    """What the pattern says about Kα2: ``present`` (True / False / None when it cannot tell),
    the fitted ratio and its standard error, how many peaks told, and the radiation to use."""

    present: bool | None
    ratio: float | None
    sigma: float | None
    peaks: int
    radiation: Radiation

    @property
    def note(self) -> str | None:
        if self.present is False and self.peaks:
            return (f"no Kα2 doublet in the pattern (fitted Kα2/Kα1 ratio {self.ratio:.2f} ± {self.sigma:.2f} "
                    f"on {self.peaks} peak(s)): analysed with Kα1 alone")
        if self.present is None and self.radiation.ka2 is not None:
            return "Kα2 doublet not resolved by the peaks: the stated Kα2 is assumed"
        return None


def _fit_doublet(x: np.ndarray, y: np.ndarray, center: float, fwhm: float,
                 radiation: Radiation) -> tuple[float, float] | None:
    """The fitted Kα2 ratio of the peak near ``center`` and its standard error."""
    twin = ka2_position(center, radiation)
    window = (x >= center - 3 * fwhm) & (x <= twin + 3 * fwhm)
    xs, ys = x[window], y[window]
    if len(xs) < 12:
        return None

    def model(p: np.ndarray) -> np.ndarray:
        amp, x0, w, eta, r, c = p
        return amp * (pseudo_voigt(xs, x0, w, eta) + r * pseudo_voigt(xs, ka2_position(x0, radiation), w, eta)) + c

    top = float(ys.max())
    start = np.array([top, center, 0.8 * fwhm, 0.5, 0.25, 0.0])
    lower = [0.0, center - 0.5 * fwhm, 0.2 * fwhm, 0.0, 0.0, -0.5 * top]
    upper = [3 * top, center + 0.5 * fwhm, 1.5 * fwhm, 1.0, 1.0, 0.5 * top]
    try:
        fit = least_squares(lambda p: model(p) - ys, start, bounds=(lower, upper), x_scale="jac")
    except ValueError:
        return None
    dof = max(1, len(xs) - len(start))
    s2 = float(np.sum(fit.fun ** 2) / dof)
    try:
        cov = np.linalg.pinv(fit.jac.T @ fit.jac) * s2
    except np.linalg.LinAlgError:
        return None
    sigma = float(np.sqrt(max(cov[4, 4], 0.0)))
    return float(fit.x[4]), max(sigma, 0.01)


def detect_ka2(two_theta: np.ndarray, net: np.ndarray, radiation: Radiation, noise: float,
               max_peaks: int = 3) -> Ka2Decision:
    """Whether ``net`` (background removed, not stripped) shows the Kα2 twins ``radiation`` states."""
    if radiation.ka2 is None or radiation.ratio == 0.0:
        return Ka2Decision(False, 0.0, None, 0, radiation)
    step = float(np.median(np.diff(two_theta)))
    idx, props = find_peaks(net, prominence=max(10.0 * noise, 1e-12))
    if idx.size == 0:
        return Ka2Decision(None, None, None, 0, radiation)
    order = np.argsort(-props["prominences"])[: 3 * max_peaks]
    idx = idx[order]
    prominence = props["prominences"][order]
    widths = peak_widths(net, idx, rel_height=0.5)[0] * step
    centres = two_theta[idx]
    estimates: list[tuple[float, float]] = []
    twins: list[float] = []
    for k, (i, w) in enumerate(zip(idx.tolist(), widths.tolist())):
        if len(estimates) >= max_peaks:
            break
        centre = float(two_theta[i])
        if any(abs(centre - t) < 0.5 * w for t in twins):
            continue  # this maximum is the Kα2 twin of a peak already fitted
        twin = ka2_position(centre, radiation)
        if not np.isfinite(twin) or twin - centre < MIN_SEPARATION * w or w < 3 * step:
            continue
        twins.append(float(twin))
        near = (np.abs(centres - centre) < 3 * w + (twin - centre)) & (prominence > 0.1 * prominence[k])
        near[k] = False
        near &= np.abs(centres - twin) > 0.5 * w  # the twin itself is expected
        if near.any():
            continue  # not isolated: a neighbour would be taken for the twin
        fitted = _fit_doublet(two_theta, net, centre, w, radiation)
        if fitted is not None:
            estimates.append(fitted)
    if not estimates:
        return Ka2Decision(None, None, None, 0, radiation)
    r = np.array([e[0] for e in estimates])
    weight = 1.0 / np.array([e[1] for e in estimates]) ** 2
    ratio = float(np.sum(weight * r) / np.sum(weight))
    sigma = float(1.0 / np.sqrt(np.sum(weight)))
    if sigma > MAX_SIGMA:
        return Ka2Decision(None, ratio, sigma, len(estimates), radiation)
    if ratio < ABSENT:
        return Ka2Decision(False, ratio, sigma, len(estimates), replace(radiation, ka2=None, ratio=0.0))
    return Ka2Decision(True, ratio, sigma, len(estimates), radiation)


RESIDUE = 0.1
"""A peak at the Kα2 place of a peak ten times its area is what stripping left of the twin."""


def without_ka2_residue(peaks: list, radiation: Radiation) -> list:
    """``peaks`` (after Rachinger stripping) without the small peaks sitting where a stronger
    peak's Kα2 twin was: stripping leaves a residue there that would index as a phase.

    Rachinger's recursion I₁(2θ) = I(2θ) − r·I₁(2θ₁) carries any error of the first step
    (a sharp line interpolated on a coarse step, a ratio a little off) one twin spacing further,
    × r: a residue also sits at the twin of the twin, at most r × :data:`RESIDUE` of the parent
    (a sharp FCC on a Co anode, FWHM 0.06°, step 0.01°, left 1–2 % peaks 2δ above each strong
    line, and three of them made a σ phase)."""
    if radiation.ka2 is None or radiation.ratio == 0.0:
        return list(peaks)
    places = []
    for q in peaks:
        twin = float(ka2_position(q.two_theta, radiation))
        places.append((twin, q, RESIDUE, 1.8))
        second = float(ka2_position(twin, radiation)) if np.isfinite(twin) else float("nan")
        if np.isfinite(second) and second - q.two_theta >= q.fwhm:
            # the second-order residue stands apart only where 2δ exceeds the width, and close to 2δ
            places.append((second, q, RESIDUE * radiation.ratio, 0.75))
    # the residue lies at the twin or just beyond it, where the stripped dip turns back up
    return [p for p in peaks if not any(-0.5 * q.fwhm < p.two_theta - t < reach * q.fwhm and p.area < share * q.area
                                        for t, q, share, reach in places if q is not p)]
