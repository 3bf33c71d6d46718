"""The synthetic patterns carry the instrument effects they claim: displacement moves a peak by
D cos θ, a zero shift by a constant, Kβ and W Lα add twins at their wavelengths, a Co anode
moves every reflection, a hump adds a broad background."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alloyloop.agent.xrd.synthetic import Conditions, fcc_cantor, simulate

A = 3.59


def _top(pattern, lo: float, hi: float) -> float:  # noqa: ANN001
    inside = (pattern.two_theta >= lo) & (pattern.two_theta <= hi)
    return float(pattern.two_theta[inside][np.argmax(pattern.intensity[inside])])


def _tt(d: float, lam: float) -> float:
    return math.degrees(2 * math.asin(lam / (2 * d)))


D111 = A / math.sqrt(3)


def test_shifts() -> None:
    base = dict(ka2=False, step=0.005, fwhm=0.08, peak_counts=50000, background=(10, 0), seed=1)
    plain = _top(simulate([fcc_cantor(A)], Conditions(**base)), 42, 46)
    assert plain == pytest.approx(_tt(D111, 1.540593), abs=0.01)
    moved = _top(simulate([fcc_cantor(A)], Conditions(displacement=0.4, zero_shift=-0.1, **base)), 42, 46)
    assert moved - plain == pytest.approx(0.4 * math.cos(math.radians(plain / 2)) - 0.1, abs=0.01)


def test_tube_lines_and_anode() -> None:
    base = dict(ka2=False, step=0.005, fwhm=0.08, peak_counts=50000, background=(10, 0), seed=2)
    cu = simulate([fcc_cantor(A)], Conditions(kbeta=0.1, w_lalpha=0.05, **base))
    assert _top(cu, 38.5, 40.0) == pytest.approx(_tt(D111, 1.39222), abs=0.01)
    assert _top(cu, 41.0, 42.5) == pytest.approx(_tt(D111, 1.47642), abs=0.01)
    co = simulate([fcc_cantor(A)], Conditions(anode="Co", lo=30, hi=110, **base))
    assert _top(co, 48, 54) == pytest.approx(_tt(D111, 1.788996), abs=0.01)
    assert "Co" in co.radiation.label and co.radiation.ka2 is None


def test_hump_adds_a_broad_background() -> None:
    base = dict(seed=3, background=(100, 0))
    flat = simulate([fcc_cantor(A)], Conditions(**base))
    humped = simulate([fcc_cantor(A)], Conditions(hump=(35.0, 6.0, 0.2), **base))
    at = np.abs(flat.two_theta - 35.0) < 0.5
    assert humped.intensity[at].mean() > flat.intensity[at].mean() + 0.1 * 5000
