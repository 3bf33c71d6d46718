"""Peak finding on the background-subtracted, Kα2-stripped pattern (scipy.signal).

A peak is a local maximum of the Savitzky–Golay-smoothed pattern whose prominence and height
are at least ``min_snr`` times the noise (the robust spread of the point-to-point
differences). Its position is the vertex of a parabola through the points above 60 % of its
height (sub-step precision), its width the full width at half maximum, and its intensity
height × width (an area estimate). Peaks much narrower than the strong peaks of the pattern
are dropped (:data:`NARROW`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import find_peaks, peak_widths, savgol_filter

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


def noise_level(signal: np.ndarray, window: int = 201, lag: int = 1) -> np.ndarray:
    """Robust local noise σ at each point: 1.4826 × the running median of |y[i+lag] − y[i]| / √2
    over ``window`` points (counting noise grows with the background; peaks change few
    differences). ``lag`` beyond a smoothing filter's width measures the smoothed noise."""
    lag = max(1, min(lag, len(signal) - 1))
    diff = np.abs(signal[lag:] - signal[:-lag])
    diff = np.concatenate([np.full(lag // 2, diff[0]), diff, np.full(lag - lag // 2, diff[-1])])
    size = max(3, min(window, len(signal) // 2 * 2 - 1))
    local = median_filter(diff, size=size, mode="nearest")
    floor = max(float(np.median(diff)) * 0.1, 1e-12)
    return np.maximum(1.4826 * local / np.sqrt(2), floor)


def find_pattern_peaks(two_theta: np.ndarray, signal: np.ndarray, wavelength: float, *,
                       min_snr: float = DEFAULT_MIN_SNR) -> tuple[list[Peak], np.ndarray]:
    """The peaks of ``signal`` (background removed) and the local noise σ of the smoothed signal."""
    step = float(np.median(np.diff(two_theta)))
    window = max(7, int(round(0.12 / step)) | 1)
    smooth = savgol_filter(signal, window, 3) if len(signal) > window else signal
    # peaks are judged on the smoothed curve, against its own noise (differences of points
    # farther apart than the filter, so that smoothing and Kα2 stripping are accounted for)
    s_noise = noise_level(smooth, window=max(51, int(round(4.0 / step)) | 1), lag=window)
    idx, _ = find_peaks(smooth, height=min_snr * s_noise, prominence=min_snr * s_noise,
                        distance=max(1, int(0.05 / step)))
    if idx.size == 0:
        return [], s_noise
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
                        height=height, area=height * fwhm, fwhm=fwhm, snr=height / float(s_noise[i])))
    return _drop_narrow(out), s_noise


NARROW = 0.45
"""A peak narrower than this share of the pattern's peak width (at its angle) is noise or a
shoulder artefact: instrumental broadening only grows with angle."""


def _drop_narrow(peaks: list[Peak]) -> list[Peak]:
    strong = sorted(peaks, key=lambda p: -p.snr)[:5]
    if len(strong) < 3:
        return peaks
    # widths grow about as 1/cos θ; compare each peak with the strong peaks' median at its angle
    ref = float(np.median([p.fwhm * np.cos(np.radians(p.two_theta / 2)) for p in strong]))
    return [p for p in peaks if p.fwhm * np.cos(np.radians(p.two_theta / 2)) >= NARROW * ref]
