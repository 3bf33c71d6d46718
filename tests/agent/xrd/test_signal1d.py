"""The analysis's own Savitzky–Golay filter, peak finding and peak widths give scipy.signal's
results (the analysis stopped importing scipy.signal: it costs 0.8 s of start-up)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import signal

from alloyloop.agent.xrd import signal1d
from alloyloop.agent.xrd.synthetic import Conditions, bcc_senkov, fcc_cantor, simulate


@pytest.fixture(scope="module")
def patterns() -> list[np.ndarray]:
    out = []
    for seed, (fwhm, step, counts) in enumerate([(0.08, 0.01, 2000.0), (0.5, 0.02, 20000.0), (1.5, 0.02, 1500.0)]):
        conditions = Conditions(lo=20.0, hi=100.0, step=step, fwhm=fwhm, peak_counts=counts, background=(300.0, -1.0),
                                seed=seed)
        pattern = simulate([fcc_cantor(3.59, 0.7), bcc_senkov(3.22, 0.3)], conditions)
        y = pattern.intensity - np.median(pattern.intensity)
        out.append(y)
    # flat tops and exact ties (integer counts), which the local-maximum search must treat alike
    out.append(np.round(out[0] / 50.0))
    return out


@pytest.mark.parametrize(("window", "order", "deriv"), [(5, 2, 0), (11, 3, 0), (21, 3, 2), (7, 3, 2)])
def test_savgol_matches_scipy(patterns: list[np.ndarray], window: int, order: int, deriv: int) -> None:
    assert np.allclose(signal1d.savgol_coeffs(window, order, deriv), signal.savgol_coeffs(window, order, deriv=deriv))
    for y in patterns:
        assert np.allclose(signal1d.savgol_filter(y, window, order, deriv), signal.savgol_filter(y, window, order,
                                                                                                  deriv=deriv))


def test_find_peaks_and_widths_match_scipy(patterns: list[np.ndarray]) -> None:
    for y in patterns:
        smooth = signal.savgol_filter(y, 9, 3)
        noise = np.full(y.size, 3.0) + 0.01 * np.abs(smooth)
        for kwargs in ({"prominence": 10 * noise}, {"height": 5 * noise, "prominence": 5 * noise, "distance": 4},
                       {"prominence": 2.0}, {}):
            mine, props = signal1d.find_peaks(smooth, **kwargs)
            theirs, their_props = signal.find_peaks(smooth, **kwargs)
            assert mine.tolist() == theirs.tolist()
            if "prominence" in kwargs:
                assert np.allclose(props["prominences"], their_props["prominences"])
        peaks, _ = signal.find_peaks(smooth, prominence=2.0)
        assert peaks.size > 3
        peaks = np.concatenate([peaks, [peaks[0] + 1, y.size // 2]])  # not maxima too (a fitted peak's top)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns of zero-prominence peaks
            theirs = signal.peak_widths(smooth, peaks, rel_height=0.5)
        mine = signal1d.peak_widths(smooth, peaks, rel_height=0.5)
        for a, b in zip(mine, theirs):
            assert np.allclose(a, b)

