"""Peak finding on the background-subtracted, Kα2-stripped pattern, at the pattern's own width.

Patterns range from synchrotron scans (FWHM 0.05°) to nanocrystalline alloys (2°), so no
window is fixed:

1. **Width.** The pattern's peak width (FWHM × cos θ, which instrumental and size broadening
   keep about constant) is the narrowest of its five most prominent maxima that stand on
   their own (:func:`pattern_width`): a maximum made of overlapping peaks is wider, never
   narrower.
2. **Candidates.** Savitzky–Golay smoothing over half that width; its maxima at least
   ``min_snr`` × the noise of the smoothed curve (the point-to-point noise of the pattern ×
   the filter's noise gain), and the minima of its second derivative (over one width) that
   stand ``min_snr`` × their own noise out: shoulders of overlapping peaks.
3. **Profiles.** Candidates closer than about two widths form a group, fitted as a sum of
   pseudo-Voigt peaks (shared η) on a sloped line (scipy ``least_squares``): positions, FWHM,
   heights and areas (height × FWHM, as for an isolated peak) of overlapping peaks, so five broad peaks in 9° are five, not one. An
   isolated peak's position is the vertex of a parabola through its top (60 % of its height).
4. **Humps.** A peak far broader than the pattern's (:data:`HUMP` × its width and at least
   :data:`HUMP_MIN_FWHM`) is an amorphous contribution: it is reported apart and treated as
   background, never as a phase. Peaks much narrower than the pattern's are dropped
   (:data:`NARROW`): noise, or a residue of Kα2 stripping.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import median_filter
from scipy.optimize import least_squares

from alloyloop.agent.xrd.profile import pseudo_voigt
from alloyloop.agent.xrd.signal1d import find_peaks, peak_widths, savgol_coeffs, savgol_filter

DEFAULT_MIN_SNR = 6.5
HUMP = 2.2
"""A peak broader than this many times the pattern's width (at its angle) is a hump…"""
HUMP_MIN_FWHM = 3.0
"""…when it is also at least this broad (degrees): strain broadening grows with angle too."""
NARROW = 0.45
"""A peak narrower than this share of the pattern's peak width (at its angle) is noise or a
shoulder artefact: instrumental broadening only grows with angle."""
GROUP = 2.0
"""Candidates closer than this many widths are fitted together."""
EDGE = 3.0
"""Peaks closer than this many of their widths (at most 1°) to an end of the scan are not kept."""
OVERLAP = 1.5
"""A lone maximum broader than this many widths may hide overlapping peaks: it is fitted."""
TAIL_REACH = 0.8
"""A fitted component centred within this many FWHM of a stronger one, broader than it and
carrying less than :data:`TAIL_SHARE` of its area, is that peak's asymmetric tail."""
TAIL_SHARE = 0.35


@dataclass(frozen=True)
class Peak:
    """A found peak: 2θ (deg), d (Å), height and area (counts), FWHM (deg), signal/noise."""

    two_theta: float
    d: float
    height: float
    area: float
    fwhm: float
    snr: float


@dataclass(frozen=True)
class PeakSearch:
    """The peaks found, the local noise σ of the smoothed pattern, the pattern's width
    (FWHM × cos θ, degrees) and the broad humps set aside as amorphous background."""

    peaks: list[Peak]
    noise: np.ndarray
    width: float
    humps: list[Peak] = field(default_factory=list)


_STRETCH: ContextVar[np.ndarray | None] = ContextVar("stretch", default=None)


@contextmanager
def interpolated(stretch: np.ndarray | None) -> Iterator[None]:
    """While analysing a scan resampled by linear interpolation (:mod:`.angle_scale`), the noise
    of every signal on its grid is estimated knowing that ``stretch`` grid points (≥ 1, per
    point) carry one measured step: :func:`noise_level`, :func:`smoothed_gain`."""
    token = _STRETCH.set(stretch)
    try:
        yield
    finally:
        _STRETCH.reset(token)


def _stretch(n: int) -> np.ndarray | None:
    stretch = _STRETCH.get()
    return stretch if stretch is not None and len(stretch) == n else None


def smoothed_gain(gain: float, n: int) -> np.ndarray | float:
    """The noise gain ``gain`` of a smoothing filter (for independent points) on a signal of
    ``n`` points: on interpolated points, s of which carry one measured step, the filter averages
    s times fewer independent values (σ × gain × √s, at most σ)."""
    stretch = _stretch(n)
    return gain if stretch is None else np.minimum(gain * np.sqrt(stretch), 1.0)


def noise_level(signal: np.ndarray, window: int = 201, lag: int = 1) -> np.ndarray:
    """Robust local noise σ at each point: 1.4826 × the running median of |y[i+lag] − y[i]| / √2
    over ``window`` points (counting noise grows with the background; peaks change few
    differences). ``lag`` beyond a smoothing filter's width measures the smoothed noise. On a
    linearly interpolated signal (:func:`interpolated`) a difference within one measured step of
    s points is 1/s of the measured one: it is scaled by s (÷ lag)."""
    lag = max(1, min(lag, len(signal) - 1))
    diff = np.abs(signal[lag:] - signal[:-lag])
    if (stretch := _stretch(len(signal))) is not None:
        diff = diff * np.maximum(stretch[:-lag] / lag, 1.0)
    diff = np.concatenate([np.full(lag // 2, diff[0]), diff, np.full(lag - lag // 2, diff[-1])])
    size = max(3, min(window, len(signal) // 2 * 2 - 1))
    # mirrored at the ends: "nearest" repeats the first difference half a window long, and that
    # one sample then is the median near the scan's start (a quarter of the true noise on a
    # sharp FCC, and two noise bumps at 25.4° and 25.8° became an unexplained phase)
    local = median_filter(diff, size=size, mode="mirror")
    floor = max(float(np.median(diff)) * 0.1, 1e-12)
    return np.maximum(1.4826 * local / np.sqrt(2), floor)


def _cos(two_theta: np.ndarray | float) -> np.ndarray | float:
    return np.cos(np.radians(two_theta) / 2)


def pattern_width(two_theta: np.ndarray, signal: np.ndarray, noise: np.ndarray) -> float:
    """FWHM × cos θ (degrees) of the narrowest of the five most prominent maxima."""
    step = float(np.median(np.diff(two_theta)))
    light = savgol_filter(signal, 5, 2) if len(signal) > 5 else signal
    idx, props = find_peaks(light, prominence=10 * noise)
    # the background is least certain within 1° of a scan end (where peaks are dropped too):
    # a maximum there is judged only when there is no other
    inner = (two_theta[idx] > two_theta[0] + 1.0) & (two_theta[idx] < two_theta[-1] - 1.0)
    if inner.any():
        idx, props = idx[inner], {"prominences": props["prominences"][inner]}
    if idx.size == 0:
        return 0.1
    # a maximum on the flank of a bigger peak has a small prominence and so a narrow measured
    # width: judge the maxima that stand (mostly) on their own
    alone = props["prominences"] >= 0.7 * light[idx]
    if alone.any():
        idx, props = idx[alone], {"prominences": props["prominences"][alone]}
    top = idx[np.argsort(-props["prominences"])[:5]]
    widths = peak_widths(light, top, rel_height=0.5)[0] * step * _cos(two_theta[top])
    return float(max(np.min(widths), 2 * step))


def _odd(n: float, least: int) -> int:
    return max(least, int(round(n)) // 2 * 2 + 1)


def find_pattern_peaks(two_theta: np.ndarray, signal: np.ndarray, wavelength: float, *,
                       min_snr: float = DEFAULT_MIN_SNR, width: float | None = None) -> PeakSearch:
    """The peaks of ``signal`` (background removed); ``width`` (FWHM × cos θ) if known."""
    step = float(np.median(np.diff(two_theta)))
    raw_noise = noise_level(signal, window=_odd(4.0 / step, 51))
    width = width or pattern_width(two_theta, signal, raw_noise)
    mid = _cos(float(np.median(two_theta)))
    window = _odd(0.5 * width / mid / step, 5)
    if len(signal) <= window + 2:
        return PeakSearch([], raw_noise, width)
    smooth = savgol_filter(signal, window, 3)
    noise = raw_noise * smoothed_gain(float(np.sqrt(np.sum(savgol_coeffs(window, 3) ** 2))), len(signal))
    d2_window = _odd(width / mid / step, 7)
    curvature = -savgol_filter(signal, d2_window, 3, deriv=2)
    d2_noise = raw_noise * float(np.sqrt(np.sum(savgol_coeffs(d2_window, 3, deriv=2) ** 2)))
    if (stretch := _stretch(len(signal))) is not None:
        d2_noise = d2_noise * np.sqrt(stretch)
    maxima, _ = find_peaks(smooth, height=min_snr * noise, prominence=min_snr * noise,
                           distance=max(1, int(0.3 * width / step)))
    bends, _ = find_peaks(curvature, height=min_snr * d2_noise, prominence=0.5 * min_snr * d2_noise,
                          distance=max(1, int(0.5 * width / mid / step)))
    bends = bends[smooth[bends] > min_snr * noise[bends]]
    local = width / _cos(two_theta) / step  # the width in points at each angle
    shoulders = [int(b) for b in bends if not maxima.size or np.min(np.abs(maxima - b)) > 0.5 * local[b]]
    candidates = np.array(sorted(set(maxima.tolist()) | set(shoulders)), int)
    if candidates.size == 0:
        return PeakSearch([], noise, width)
    peaks: list[Peak] = []
    for group in _groups(candidates, local):
        alone = _measured(two_theta, smooth, noise, group[0], wavelength, local) if len(group) == 1 else None
        if alone is not None and alone.fwhm <= OVERLAP * local[group[0]] * step:
            peaks.append(alone)
        else:  # several candidates, or one maximum broader than the pattern's peaks: fit
            peaks.extend(_fitted(two_theta, signal, noise, group, local, wavelength))
    # a peak within three widths (≤ 1°) of an end of the scan has its profile cut off: not measured
    ends = (two_theta[0], two_theta[-1])
    peaks = [p for p in peaks if p.snr >= min_snr
             and ends[0] + min(EDGE * p.fwhm, 1.0) <= p.two_theta <= ends[1] - min(EDGE * p.fwhm, 1.0)]
    humps = [p for p in peaks if p.fwhm >= HUMP_MIN_FWHM and p.fwhm * _cos(p.two_theta) > HUMP * width]
    kept = [p for p in peaks if p not in humps and p.fwhm * _cos(p.two_theta) >= NARROW * width]
    return PeakSearch(sorted(kept, key=lambda p: p.two_theta), noise, width, humps)


def _groups(candidates: np.ndarray, local: np.ndarray) -> list[list[int]]:
    groups = [[int(candidates[0])]]
    for i in candidates[1:].tolist():
        prev = groups[-1][-1]
        if i - prev <= GROUP * max(local[i], local[prev]):
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _peak(two_theta: float, height: float, fwhm: float, area: float, snr: float, wavelength: float) -> Peak:
    return Peak(two_theta=two_theta, d=float(wavelength / (2 * math.sin(math.radians(two_theta) / 2))),
                height=height, area=area, fwhm=fwhm, snr=snr)


def _measured(x: np.ndarray, smooth: np.ndarray, noise: np.ndarray, i: int, wavelength: float,
              local: np.ndarray) -> Peak:
    """An isolated maximum: parabola-vertex position, FWHM from the smoothed curve, height
    above the higher of the lowest points within three widths on either side (SNIP leaves the
    background a little low: counted from zero, noise would pass for peaks)."""
    step = float(x[1] - x[0]) if len(x) > 1 else 1.0
    reach = max(3, int(3 * local[i]))
    base = max(float(smooth[max(0, i - reach):i + 1].min()), float(smooth[i:i + reach + 1].min()), 0.0)
    height = float(smooth[i]) - base
    lo = hi = i
    while lo > 0 and smooth[lo - 1] - base > 0.6 * height and i - lo < 40:
        lo -= 1
    while hi < len(smooth) - 1 and smooth[hi + 1] - base > 0.6 * height and hi - i < 40:
        hi += 1
    if hi - lo < 2:
        lo, hi = max(0, i - 1), min(len(smooth) - 1, i + 1)
    pos = float(x[i])
    xs, ys = x[lo:hi + 1], smooth[lo:hi + 1]
    if len(xs) >= 3:
        c2, c1, _ = np.polyfit(xs - pos, ys, 2)
        if c2 < 0 and abs(-c1 / (2 * c2)) <= (xs[-1] - xs[0]) / 2:
            pos += -c1 / (2 * c2)
    fwhm = float(peak_widths(smooth, [i], rel_height=0.5)[0][0] * step)
    return _peak(pos, height, fwhm, height * fwhm, height / float(noise[i]), wavelength)


def _pv_terms(xs: np.ndarray, pos: np.ndarray, fw: np.ndarray, eta: float):  # noqa: ANN202
    """Lorentzian and Gaussian parts (peaks × points) and d(pV)/du, u = (x − x₀)/(FWHM/2)."""
    u = (xs[None, :] - pos[:, None]) / (0.5 * fw[:, None])
    lorentz = 1.0 / (1.0 + u * u)
    gauss = np.exp(-math.log(2.0) * u * u)
    dpv = -2.0 * u * (eta * lorentz * lorentz + (1 - eta) * math.log(2.0) * gauss)
    return u, lorentz, gauss, dpv


# long: one fit-and-add loop; the residual and its Jacobian are closures over its window
def _fitted(x: np.ndarray, y: np.ndarray, noise: np.ndarray, group: list[int], local: np.ndarray,
            wavelength: float, additions: int = 2) -> list[Peak]:
    """Overlapping peaks: a pseudo-Voigt sum (shared η) on a sloped line, least squares; a
    peak the candidates missed (the residual's strongest significant bump) is added and the
    sum fitted again, at most ``additions`` times."""
    step = float(np.median(np.diff(x)))
    lo = max(0, int(group[0] - 2.5 * local[group[0]]))
    hi = min(len(x), int(group[-1] + 2.5 * local[group[-1]]) + 1)
    # about 12 points a width are enough to place a peak; broad peaks on fine steps are thinned
    stride = max(1, int(float(np.median(local[group])) / 12))
    xs, ys, sigma = x[lo:hi:stride], y[lo:hi:stride], noise[lo:hi:stride]
    span = float(xs[-1] - xs[0]) + 1e-12
    t = (xs - xs[0]) / span
    top = float(max(ys.max(), 1e-9))
    centres = [float(x[i]) for i in group]
    heights = [max(float(y[i]), 1e-9) for i in group]
    smooth_window = _odd(0.5 * float(np.median(local[group])) / stride, 5)
    for _ in range(additions + 1):
        n = len(centres)
        w0 = np.array([local[int(np.clip(np.searchsorted(x, c), 0, len(x) - 1))] * step for c in centres])
        start = np.concatenate([[0.5, 0.0, 0.0], heights, centres, w0])
        lower = np.concatenate([[0.0, -top, -top], np.zeros(n), np.array(centres) - 0.6 * w0, 0.6 * w0])
        upper = np.concatenate([[1.0, top, top], np.full(n, 3 * top), np.array(centres) + 0.6 * w0, 1.6 * w0])
        start = np.clip(start, lower + 1e-12, upper - 1e-12)

        def residual(p: np.ndarray, n: int = n) -> np.ndarray:
            _, lorentz, gauss, _ = _pv_terms(xs, p[3 + n:3 + 2 * n], p[3 + 2 * n:], p[0])
            return p[1] + p[2] * t + p[3:3 + n] @ (p[0] * lorentz + (1 - p[0]) * gauss) - ys

        def jacobian(p: np.ndarray, n: int = n) -> np.ndarray:
            amp, pos, fw = p[3:3 + n], p[3 + n:3 + 2 * n], p[3 + 2 * n:]
            u, lorentz, gauss, dpv = _pv_terms(xs, pos, fw, p[0])
            jac = np.empty((len(xs), 3 + 3 * n))
            jac[:, 0] = amp @ (lorentz - gauss)
            jac[:, 1] = 1.0
            jac[:, 2] = t
            jac[:, 3:3 + n] = (p[0] * lorentz + (1 - p[0]) * gauss).T
            jac[:, 3 + n:3 + 2 * n] = (amp[:, None] * dpv * (-2.0 / fw[:, None])).T
            jac[:, 3 + 2 * n:] = (amp[:, None] * dpv * (-u / fw[:, None])).T
            return jac

        fit = least_squares(residual, start, jac=jacobian, bounds=(lower, upper), x_scale="jac", max_nfev=100)
        left = -fit.fun
        if len(left) <= smooth_window:
            break
        bump = savgol_filter(left, smooth_window, 3)
        # a missed peak lies among the candidates (within a width), not in the window's margins
        core = (xs >= x[group[0]] - w0[0]) & (xs <= x[group[-1]] + w0[-1])
        k = int(np.argmax(np.where(core, bump / sigma, -np.inf)))
        if bump[k] < DEFAULT_MIN_SNR * sigma[k] or any(abs(xs[k] - c) < 0.5 * w for c, w in zip(centres, w0)):
            break
        centres.append(float(xs[k]))
        heights.append(float(bump[k]))
        order = np.argsort(centres)
        centres, heights = [centres[i] for i in order], [heights[i] for i in order]
    n = (len(fit.x) - 3) // 3
    amp, pos, fw = fit.x[3:3 + n], fit.x[3 + n:3 + 2 * n], fit.x[3 + 2 * n:]
    out: list[Peak] = []
    for k in np.argsort(-amp).tolist():
        if any(abs(pos[k] - p.two_theta) < 0.3 * fw[k] for p in out):
            continue  # two components on one peak: keep the stronger
        i = int(np.clip(np.searchsorted(x, pos[k]), 0, len(x) - 1))
        if amp[k] > 1.2 * max(float(y[i]), 0.0) + 4 * float(noise[i]):
            continue  # taller than the signal at its centre: the sloped line went negative under it
        out.append(_peak(float(pos[k]), float(amp[k]), float(fw[k]), float(amp[k] * fw[k]),
                         float(amp[k] / noise[i]), wavelength))
    return _tails_merged(out)


def _tails_merged(peaks: list[Peak]) -> list[Peak]:
    """Components (strongest first) with the asymmetric tails folded into their peaks.

    A lab diffractometer's profile is asymmetric (axial divergence spreads each reflection
    towards low angles below 2θ ≈ 90°, towards high angles above): a sum of symmetric
    pseudo-Voigts fits it with a weaker, broader component a fraction of a width beside the
    peak. Counted as a peak it is a reflection no lattice explains ("other"), or a second
    lattice of the same structure; a second phase's line that close to a far stronger one is
    not resolved by the peaks anyway. Its area is the peak's: the peak's area includes it."""
    kept: list[Peak] = []
    for p in peaks:
        owner = next((k for k, q in enumerate(kept) if abs(p.two_theta - q.two_theta) < TAIL_REACH * q.fwhm
                      and p.fwhm > q.fwhm and p.area < TAIL_SHARE * q.area), None)
        if owner is None:
            kept.append(p)
        else:
            q = kept[owner]
            kept[owner] = Peak(q.two_theta, q.d, q.height, q.area + p.area, q.fwhm, q.snr)
    return kept
