"""How strongly the pattern itself shows a set of predicted lines: a matched filter.

Peak finding judges each line alone (6.5 × the noise): a phase whose lines are each below
that — the superlattice reflections of a 20–30 % L1₂ at a few thousand counts, the many weak
lines of a 10–20 % σ phase — leaves no peak, though its lines together stand well out of the
noise. The least-squares amplitude of the phase's whole template (pseudo-Voigt lines at the
pattern's width, weighted by their predicted intensities) against the net pattern, in units of
its standard error, is that combined evidence:

    z = Σᵢ tᵢ rᵢ / σᵢ²  /  √(Σᵢ tᵢ² / σᵢ²)

over the points within a few widths of the lines, with the template centred in each window
(a constant offset — a background a little high or low, an amorphous hump's flank — does
not count) and ``r`` the net pattern less the profiles of the found peaks that are not at
the template's lines (another phase's peaks are not evidence for this one). With Poisson
noise and no such phase, z is a standard normal variable: a threshold of 5 is one false
call in millions of tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alloyloop.agent.xrd.peaks import Peak
from alloyloop.agent.xrd.profile import pseudo_voigt

WINDOW = 2.5
"""Points within this many widths of a line are compared."""
ETA = 0.5
"""Lorentzian share of the template's pseudo-Voigt lines (the found peaks' fitted η is not kept)."""


@dataclass(frozen=True)
class Net:
    """The background-subtracted, Kα2-stripped pattern, its local point-to-point noise σ, the
    pattern's peak width (FWHM × cos θ, degrees) and the found peaks."""

    two_theta: np.ndarray
    signal: np.ndarray
    noise: np.ndarray
    width: float
    peaks: Sequence[Peak]

    def fwhm(self, two_theta: float | np.ndarray) -> float | np.ndarray:
        return self.width / np.cos(np.radians(np.asarray(two_theta)) / 2)


def _profiles(net: Net, peaks: Sequence[Peak]) -> np.ndarray:
    out = np.zeros_like(net.signal)
    x = net.two_theta
    for p in peaks:
        near = np.abs(x - p.two_theta) <= 6 * p.fwhm
        out[near] += p.height * pseudo_voigt(x[near], p.two_theta, p.fwhm, ETA)
    return out


def line_evidence(net: Net, centres: Sequence[float], weights: Sequence[float]) -> float:
    """z of the lines at ``centres`` (observed 2θ, degrees) with relative ``weights`` (module
    notes); 0 when none lies in the scan."""
    x = net.two_theta
    centres = np.asarray(centres, float)
    weights = np.asarray(weights, float)
    inside = (centres > x[0]) & (centres < x[-1]) & (weights > 0)
    if not inside.any():
        return 0.0
    centres, weights = centres[inside], weights[inside]
    widths = np.asarray(net.fwhm(centres), float)
    mask = np.zeros(x.size, bool)
    template = np.zeros(x.size)
    for c, w, f in zip(centres, weights, widths):
        near = np.abs(x - c) <= WINDOW * f
        mask |= near
        template[near] += w * pseudo_voigt(x[near], c, f, ETA)
    reach = WINDOW * float(widths.max())
    others = [p for p in net.peaks if np.min(np.abs(centres - p.two_theta)) > max(0.5 * p.fwhm, 0.06)
              and (p.two_theta > x[0] - reach)]
    residual = net.signal - _profiles(net, others)
    inv = 1.0 / np.maximum(net.noise, 1e-12) ** 2
    # centre the template in each connected window (weighted), so that a constant offset of
    # the residual there does not count for or against the lines
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    num = den = 0.0
    for lo, hi in zip(edges[::2], edges[1::2]):
        t, r, w = template[lo:hi], residual[lo:hi], inv[lo:hi]
        t = t - float(np.sum(t * w) / np.sum(w))
        num += float(np.sum(t * r * w))
        den += float(np.sum(t * t * w))
    return num / math.sqrt(den) if den > 0 else 0.0
