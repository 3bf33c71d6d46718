"""Pattern clean-up before peak finding: Kα2 stripping (Rachinger) and background (SNIP)."""

from __future__ import annotations

import math

import numpy as np

from alloyloop.agent.xrd.pattern import Radiation


def strip_ka2(two_theta: np.ndarray, intensity: np.ndarray, radiation: Radiation) -> np.ndarray:
    """Rachinger's correction: remove the Kα2 part of each point, low angle first.

    The Kα2 line of a reflection at 2θ₁ (Kα1) lies at 2θ₂ with sin θ₂ = (λ₂/λ₁) sin θ₁, with
    ``ratio`` of its intensity; so I₁(2θ) = I(2θ) − ratio · I₁(2θ₁(2θ)), computed in order.
    Returns the intensity unchanged when the radiation has no Kα2.
    """
    if radiation.ka2 is None or radiation.ratio == 0.0:
        return intensity.astype(float).copy()
    x = two_theta.astype(float)
    y = intensity.astype(float)
    s = np.sin(np.radians(x) / 2) * (radiation.ka1 / radiation.ka2)
    x1 = np.degrees(2 * np.arcsin(np.clip(s, -1, 1)))
    j = np.searchsorted(x, x1, side="right") - 1
    frac = np.zeros_like(x)
    ok = (j >= 0) & (j < len(x) - 1)
    frac[ok] = (x1[ok] - x[j[ok]]) / (x[j[ok] + 1] - x[j[ok]])
    out = y.tolist()
    ratio = radiation.ratio
    jl, fl, yl = j.tolist(), frac.tolist(), y.tolist()
    for i in range(len(out)):
        k = jl[i]
        if k < 0:
            continue
        lo = out[k] if k < i else yl[k]
        hi = out[k + 1] if k + 1 < i else yl[min(k + 1, len(yl) - 1)]
        out[i] = yl[i] - ratio * (lo + fl[i] * (hi - lo))
    return np.asarray(out)


def snip_background(intensity: np.ndarray, half_width_points: int) -> np.ndarray:
    """The SNIP background (Ryan et al. 1988) on the LLS-transformed intensity, with clipping
    windows growing to ``half_width_points`` (wider than the broadest peak)."""
    y = np.maximum(intensity.astype(float), 0.0)
    m = max(1, min(half_width_points, len(y) // 2))
    # continued past both ends by the line through the medians of the end points (robust to a
    # peak there), so that the end points are clipped like the others
    padded = np.concatenate([_end_line(y, m), y, _end_line(y[::-1], m)[::-1]])
    v = np.log(np.log(np.sqrt(padded + 1.0) + 1.0) + 1.0)
    n = len(v)
    for p in range(1, m + 1):
        mean = 0.5 * (v[: n - 2 * p] + v[2 * p:])
        v[p: n - p] = np.minimum(v[p: n - p], mean)
    return ((np.exp(np.exp(v) - 1.0) - 1.0) ** 2 - 1.0)[m: m + len(y)]


def _end_line(y: np.ndarray, m: int) -> np.ndarray:
    """``m`` points before ``y[0]`` on the line through the medians of the two halves of the
    first ``2m`` points (at least 10), never below 0."""
    k = max(10, min(len(y), 2 * m)) // 2 * 2
    a, b = float(np.median(y[: k // 2])), float(np.median(y[k // 2: k]))
    slope = (b - a) / (k / 2)
    index = np.arange(-m, 0) - (k / 4 - 0.5)
    return np.maximum(a + slope * index, 0.0)


def background_window(two_theta: np.ndarray, degrees: float = 2.5) -> int:
    step = float(np.median(np.diff(two_theta)))
    return max(3, int(math.ceil(degrees / step)))


def pseudo_voigt(x: np.ndarray, center: float, fwhm: float, eta: float) -> np.ndarray:
    """A unit-height pseudo-Voigt: ``eta`` Lorentzian + (1 − ``eta``) Gaussian of one FWHM."""
    dx = (x - center) / (0.5 * fwhm)
    return eta / (1.0 + dx * dx) + (1.0 - eta) * np.exp(-math.log(2.0) * dx * dx)


def ka2_position(two_theta_ka1: float | np.ndarray, radiation: Radiation) -> float | np.ndarray:
    """2θ of the Kα2 twin of a reflection seen at ``two_theta_ka1`` with Kα1 (NaN beyond 180°)."""
    assert radiation.ka2 is not None
    s = np.sin(np.radians(np.asarray(two_theta_ka1, float)) / 2) * (radiation.ka2 / radiation.ka1)
    with np.errstate(invalid="ignore"):
        out = np.degrees(2 * np.arcsin(np.where(s < 1.0, s, np.nan)))
    return float(out) if out.ndim == 0 else out
