"""Savitzky–Golay smoothing, local maxima with their prominence, and peak widths — the four
functions of ``scipy.signal`` the analysis uses, with scipy's algorithms and results.

Why not ``scipy.signal`` itself: importing any part of it runs ``scipy/signal/__init__``,
which imports ``scipy.stats`` and with it most of SciPy — about 0.8 s of CPU, a third of a
``label from-xrd`` call's start-up (measured 2026-12-07), for four small functions. These
follow scipy 1.x's code (``_savitzky_golay.py``, ``_peak_finding.py`` and its Cython
helpers) for the arguments used here; ``tests/agent/xrd/test_signal1d.py`` checks them
against scipy on noisy patterns.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import convolve1d


def savgol_coeffs(window_length: int, polyorder: int, deriv: int = 0) -> np.ndarray:
    """Convolution coefficients of a Savitzky–Golay filter (odd ``window_length``)."""
    half = window_length // 2
    x = np.arange(-half, window_length - half, dtype=float)[::-1]
    design = x ** np.arange(polyorder + 1).reshape(-1, 1)
    target = np.zeros(polyorder + 1)
    target[deriv] = math.factorial(deriv)
    coeffs, *_ = np.linalg.lstsq(design, target, rcond=None)
    return coeffs


def savgol_filter(y: np.ndarray, window_length: int, polyorder: int, deriv: int = 0) -> np.ndarray:
    """``y`` smoothed (or differentiated) by a Savitzky–Golay filter; the first and last half
    windows from a polynomial fitted to the first and last window (scipy's ``mode='interp'``)."""
    y = np.asarray(y, dtype=float)
    out = convolve1d(y, savgol_coeffs(window_length, polyorder, deriv), mode="constant")
    half, n = window_length // 2, y.size
    for start, lo, hi in ((0, 0, half), (n - window_length, n - half, n)):
        poly = np.polyfit(np.arange(window_length), y[start:start + window_length], polyorder)
        if deriv:
            poly = np.polyder(poly, deriv)
        out[lo:hi] = np.polyval(poly, np.arange(lo - start, hi - start))
    return out


def _local_maxima(x: np.ndarray) -> np.ndarray:
    """Indices of local maxima (a flat top: its middle point, rounded down)."""
    inner = x[1:-1]
    rising = inner > x[:-2]
    out = set((np.flatnonzero(rising & (inner > x[2:])) + 1).tolist())
    last = x.size - 1
    for i in (np.flatnonzero(rising & (inner == x[2:])) + 1).tolist():  # flat tops, rare
        ahead = i + 1
        while ahead < last and x[ahead] == x[i]:
            ahead += 1
        if x[ahead] < x[i]:
            out.add((i + ahead - 1) // 2)
    return np.array(sorted(out), dtype=np.intp)


def peak_prominences(x: np.ndarray, peaks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each peak's prominence and its left and right bases (the lowest points before a higher one)."""
    n = len(peaks)
    prominences, left, right = np.empty(n), np.empty(n, np.intp), np.empty(n, np.intp)
    values = x.tolist()
    last = len(values) - 1
    for k, peak in enumerate(np.asarray(peaks, np.intp).tolist()):
        top = values[peak]
        i = base = peak
        low = top
        while i >= 0 and values[i] <= top:
            if values[i] < low:
                low, base = values[i], i
            i -= 1
        left[k], left_min = base, low
        i = base = peak
        low = top
        while i <= last and values[i] <= top:
            if values[i] < low:
                low, base = values[i], i
            i += 1
        right[k] = base
        prominences[k] = top - max(left_min, low)
    return prominences, left, right


def _by_distance(peaks: np.ndarray, priority: np.ndarray, distance: float) -> np.ndarray:
    """Keep the highest peaks first, dropping lower ones closer than ``distance`` points."""
    keep = np.ones(len(peaks), bool)
    order = np.argsort(priority)
    spacing = math.ceil(distance)
    for j in order[::-1].tolist():
        if not keep[j]:
            continue
        k = j - 1
        while k >= 0 and peaks[j] - peaks[k] < spacing:
            keep[k] = False
            k -= 1
        k = j + 1
        while k < len(peaks) and peaks[k] - peaks[j] < spacing:
            keep[k] = False
            k += 1
    return keep


def find_peaks(x: np.ndarray, *, height: np.ndarray | float | None = None,
               prominence: np.ndarray | float | None = None,
               distance: float | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Local maxima of ``x`` at least ``height`` high, ``distance`` points apart (higher ones
    kept) and at least ``prominence`` prominent (scalars or one value per point of ``x``),
    in scipy's order of filtering; ``props['prominences']`` when ``prominence`` is given."""
    x = np.asarray(x, dtype=float)
    peaks = _local_maxima(x)
    props: dict[str, np.ndarray] = {}

    def at(bound: np.ndarray | float) -> np.ndarray | float:
        return np.asarray(bound)[peaks] if np.ndim(bound) else bound

    if height is not None:
        peaks = peaks[x[peaks] >= at(height)]
    if distance is not None and peaks.size:
        peaks = peaks[_by_distance(peaks, x[peaks], distance)]
    if prominence is not None:
        prom, left, right = peak_prominences(x, peaks)
        keep = prom >= at(prominence)
        peaks = peaks[keep]
        props = {"prominences": prom[keep], "left_bases": left[keep], "right_bases": right[keep]}
    return peaks, props


def peak_widths(x: np.ndarray, peaks, rel_height: float = 0.5) -> tuple[np.ndarray, ...]:  # noqa: ANN001
    """Width (points) of each peak at ``rel_height`` of its prominence, that height, and the
    interpolated left and right positions."""
    x = np.asarray(x, dtype=float)
    peaks = np.asarray(peaks, dtype=np.intp)
    prom, left_bases, right_bases = peak_prominences(x, peaks)
    widths, heights = np.empty(peaks.size), np.empty(peaks.size)
    lefts, rights = np.empty(peaks.size), np.empty(peaks.size)
    for k, peak in enumerate(peaks.tolist()):
        level = heights[k] = x[peak] - prom[k] * rel_height
        i = peak
        while left_bases[k] < i and level < x[i]:
            i -= 1
        lefts[k] = i + ((level - x[i]) / (x[i + 1] - x[i]) if x[i] < level else 0.0)
        i = peak
        while i < right_bases[k] and level < x[i]:
            i += 1
        rights[k] = i - ((level - x[i]) / (x[i - 1] - x[i]) if x[i] < level else 0.0)
        widths[k] = rights[k] - lefts[k]
    return widths, heights, lefts, rights
