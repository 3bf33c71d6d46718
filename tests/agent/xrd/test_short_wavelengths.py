"""Synchrotron and Mo Kα scans are analysed on the Cu Kα1 2θ scale (#29, real scans).

A real APS scan (λ 0.1432 Å) of an austenite + ferrite steel has its peaks at 2–11°, 0.6° apart
and 0.03° wide; the lab-tube angular constants (0.06° matching floor, ±1° shift search) made it
'multi: C15 + μ' under a +1.1° displacement. The patterns here are drawn independently of the
analysis: pseudo-Voigt lines at Bragg's angles for the scan's own wavelength."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alloyloop.agent.xrd.analysis import analyse
from alloyloop.agent.xrd.angle_scale import from_reference, to_reference
from alloyloop.agent.xrd.pattern import Pattern, Radiation

FCC = (3.59, [(3, 8), (4, 6), (8, 12), (11, 24), (12, 8), (16, 6), (19, 24), (20, 24), (24, 24)])
BCC = (2.87, [(2, 12), (4, 6), (6, 24), (8, 12), (10, 24), (12, 8), (14, 48), (16, 6), (18, 36)])
"""(a, [(h² + k² + l², multiplicity)])."""


def _steel(wavelength: float, ka2: float | None, lo: float, hi: float, step: float, fwhm: float,
           seed: int) -> Pattern:
    rng = np.random.default_rng(seed)
    x = np.arange(lo, hi, step)
    y = np.full_like(x, 60.0)
    for (a, lines), share in ((FCC, 0.35), (BCC, 0.65)):
        for n, mult in lines:
            s = wavelength * math.sqrt(n) / (2 * a)
            if s >= 1:
                continue
            for lam, w in ((wavelength, 1.0), (ka2, 0.5)) if ka2 else ((wavelength, 1.0),):
                t = math.degrees(2 * math.asin(lam * math.sqrt(n) / (2 * a)))
                th = math.radians(t / 2)
                lp = (1 + math.cos(2 * th) ** 2) / (math.sin(th) ** 2 * math.cos(th))
                height = 40.0 * share * w * mult * lp * math.exp(-0.5 * n / (4 * a * a))  # thermal fall-off in sin θ / λ
                u = (x - t) / (0.5 * fwhm / math.cos(th))
                y += height * (0.5 / (1 + u * u) + 0.5 * np.exp(-math.log(2) * u * u))
    return Pattern(x, rng.poisson(y).astype(float), Radiation(wavelength, ka2, 0.5 if ka2 else 0.0, "given"))


@pytest.mark.parametrize(("wavelength", "ka2", "lo", "hi", "step", "fwhm"), [
    (0.1432, None, 1.96, 11.1, 0.00915, 0.03),     # APS, as the real scan
    (0.709317, 0.713607, 12.0, 60.0, 0.01, 0.05),  # Mo Kα lab tube
])
@pytest.mark.parametrize("seed", [0, 1])
def test_an_austenite_ferrite_steel_at_a_short_wavelength_is_fcc_plus_bcc(
        wavelength: float, ka2: float | None, lo: float, hi: float, step: float, fwhm: float, seed: int) -> None:
    pattern = _steel(wavelength, ka2, lo, hi, step, fwhm, seed)
    result = analyse(pattern, {"Fe": 0.7, "Cr": 0.2, "Ni": 0.1})
    assert (result.outcome, sorted(result.proposed_phases)) == ("multi", ["BCC", "FCC"]), result.summary
    lattice = {p.structure: p.a for p in result.phases}
    assert lattice["FCC"] == pytest.approx(3.59, abs=0.003) and lattice["BCC"] == pytest.approx(2.87, abs=0.003)
    # told in the scan's own angles and wavelength
    assert result.wavelength == wavelength and result.two_theta_range[0] == pytest.approx(lo, abs=0.01)
    assert all(lo < p.two_theta < hi for p in result.peaks)
    first = math.degrees(2 * math.asin(wavelength * math.sqrt(3) / (2 * 3.59)))
    assert min(abs(p.two_theta - first) for p in result.peaks) < 0.2 * fwhm


def test_the_mapping_keeps_d_spacings_and_maps_back() -> None:
    pattern = _steel(0.1432, None, 1.96, 11.1, 0.00915, 0.03, 0)
    mapped = to_reference(pattern)
    assert mapped is not None and mapped.radiation.ka1 == pytest.approx(1.540593)
    assert np.allclose(np.diff(mapped.two_theta), mapped.two_theta[1] - mapped.two_theta[0])
    d_scan = 0.1432 / (2 * math.sin(math.radians(4.0) / 2))
    back, fwhm = from_reference(math.degrees(2 * math.asin(1.540593 / (2 * d_scan))), 0.3, 0.1432)
    assert back == pytest.approx(4.0, abs=1e-9) and 0.02 < fwhm < 0.03


def test_a_lab_tube_scan_is_left_on_its_own_scale() -> None:
    assert to_reference(Pattern(np.arange(20.0, 100.0, 0.02), np.ones(4000), Radiation())) is None
