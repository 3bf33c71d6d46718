"""Peak finding on the background-subtracted, Kα2-stripped pattern (scipy.signal).

A peak is a local maximum of the Savitzky–Golay-smoothed pattern whose prominence and height
are at least ``min_snr`` times the noise (the robust spread of the point-to-point
differences). Its position is the vertex of a parabola through the points above 60 % of its
height (sub-step precision), its width the full width at half maximum, and its intensity
height × width (an area estimate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks, peak_widths, savgol_coeffs, savgol_filter

DEFAULT_MIN_SNR = 6.5


@dataclass(frozen=True)
class Peak:
    """A found peak: 2θ (deg), d (Å), height and area (counts), FWHM (deg), signal/noise."""

    two_theta: float
    d: float
    height: float
    area: float
    fwhm: float
    snr: float


def noise_level(signal: np.ndarray) -> float:
    """Robust noise σ: 1.4826 × median |Δy| / √2 (peaks change few differences)."""
    diff = np.diff(signal)
    return float(max(1.4826 * np.median(np.abs(diff - np.median(diff))) / np.sqrt(2), 1e-12))


def find_pattern_peaks(two_theta: np.ndarray, signal: np.ndarray, wavelength: float, *,
                       min_snr: float = DEFAULT_MIN_SNR) -> tuple[list[Peak], float]:
    """The peaks of ``signal`` (background removed) and the noise σ of the raw signal."""
    noise = noise_level(signal)
    step = float(np.median(np.diff(two_theta)))
    window = max(7, int(round(0.12 / step)) | 1)
    smooth = savgol_filter(signal, window, 3) if len(signal) > window else signal
    # peaks are judged on the smoothed curve, whose noise is the filter's share of the raw noise
    s_noise = noise * float(np.sqrt(np.sum(savgol_coeffs(window, 3) ** 2)))
    idx, _ = find_peaks(smooth, height=min_snr * s_noise, prominence=min_snr * s_noise,
                        distance=max(1, int(0.05 / step)))
    if idx.size == 0:
        return [], noise
    widths, _, _, _ = peak_widths(smooth, idx, rel_height=0.5)
    out: list[Peak] = []
    for i, w in zip(idx.tolist(), widths.tolist()):
        height = float(smooth[i])
        lo = i
        while lo > 0 and smooth[lo - 1] > 0.6 * height and i - lo < 12:
            lo -= 1
        hi = i
        while hi < len(smooth) - 1 and smooth[hi + 1] > 0.6 * height and hi - i < 12:
            hi += 1
        if hi - lo < 2:
            lo, hi = max(0, i - 1), min(len(smooth) - 1, i + 1)
        xs, ys = two_theta[lo:hi + 1], smooth[lo:hi + 1]
        pos = float(two_theta[i])
        if len(xs) >= 3:
            c2, c1, _ = np.polyfit(xs - pos, ys, 2)
            if c2 < 0:
                vertex = -c1 / (2 * c2)
                if abs(vertex) <= (xs[-1] - xs[0]) / 2:
                    pos += vertex
        fwhm = float(w * step)
        out.append(Peak(two_theta=pos, d=float(wavelength / (2 * np.sin(np.radians(pos) / 2))),
                        height=height, area=height * fwhm, fwhm=fwhm, snr=height / s_noise))
    return out, noise
