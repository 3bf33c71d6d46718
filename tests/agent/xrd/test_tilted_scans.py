"""Texture / stress scans measured tilted (χ ≠ 0): the tilt read from the file, and an FCC +
BCC steel whose every reflection is split into two lopsided maxima by the tilt's defocusing
(as a PANalytical duplex scan at χ 30° shows) read as FCC + BCC, with no invented displacement;
and the shift of a scan analysed on the Cu Kα1 scale given on the scan's own angles."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from alloyloop.agent.xrd import angle_scale
from alloyloop.agent.xrd.analysis import XrdAnalysis, analyse
from alloyloop.agent.xrd.readers import read_pattern_bytes
from alloyloop.agent.xrd.synthetic import Conditions, bcc_alcrfe, fcc_cantor, simulate

STEEL = {"Fe": 0.7, "Cr": 0.2, "Ni": 0.1}


def _xrdml(chi: str | None) -> bytes:
    """A PANalytical scan with the Chi axis at ``chi`` (a texture/stress measurement's layout)."""
    tilt = ("" if chi is None else
            f'<positions axis="Chi" unit="deg"><commonPosition>{chi}</commonPosition></positions>')
    counts = " ".join(str(int(100 + 50 * np.sin(i / 5))) for i in range(200))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/2.1"><xrdMeasurement measurementType="Scan">
<usedWavelength intended="K-Alpha 1"><kAlpha1 unit="Angstrom">1.5405980</kAlpha1>
<kAlpha2 unit="Angstrom">1.5444260</kAlpha2><ratioKAlpha2KAlpha1>0.5000</ratioKAlpha2KAlpha1></usedWavelength>
<scan appendNumber="0" mode="Continuous" scanAxis="Gonio"><dataPoints>
<positions axis="2Theta" unit="deg"><startPosition>30.0</startPosition><endPosition>129.5</endPosition></positions>
<positions axis="Phi" unit="deg"><commonPosition>60.00</commonPosition></positions>{tilt}
<commonCountingTime unit="seconds">1.0</commonCountingTime><counts unit="counts">{counts}</counts>
</dataPoints></scan></xrdMeasurement></xrdMeasurements>""".encode()


@pytest.mark.parametrize(("chi", "tilt"), [("30.35", 30.35), ("0.00", None), (None, None)])
def test_the_xrdml_chi_position_is_the_sample_tilt(chi: str | None, tilt: float | None) -> None:
    pattern = read_pattern_bytes(_xrdml(chi), "scan.xrdml")
    assert pattern.tilt == tilt
    assert pattern.notes == (() if tilt is None else (f"sample tilted χ {tilt:g}° (file header)",))


def _split_profiles(seed: int) -> object:
    """FCC 3.600 Å + BCC 2.875 Å, 1° wide lines, each split into maxima 0.4° below and 0.36°
    above its position (heights 0.85 : 1)."""
    base = dict(lo=35, hi=120, step=0.02, fwhm=1.0, ka2=False, seed=seed, peak_counts=20000)
    phases = [fcc_cantor(3.600, 0.4), bcc_alcrfe(2.875, 0.6)]
    low = simulate(phases, Conditions(zero_shift=-0.4, **base))
    high = simulate(phases, Conditions(zero_shift=0.36, **base))
    return replace(low, intensity=0.85 * low.intensity + high.intensity)


def test_a_tilted_duplex_scan_with_split_profiles_is_fcc_plus_bcc_without_a_displacement() -> None:
    pattern = _split_profiles(seed=0)
    untilted = analyse(pattern, STEEL)
    assert "other" in untilted.proposed_phases  # as a powder scan, a split maximum is an unknown phase
    result = analyse(replace(pattern, tilt=30.0), STEEL)
    assert result.outcome == "multi" and sorted(p.structure for p in result.phases) == ["BCC", "FCC"]
    assert "other" not in result.proposed_phases and not [i for i in result.unexplained
                                                          if result.peaks[i].relative >= 10]
    assert result.zero_shift == 0.0 and result.displacement == 0.0
    a = {p.structure: p.a for p in result.phases}
    assert a["FCC"] == pytest.approx(3.600, abs=0.01) and a["BCC"] == pytest.approx(2.875, abs=0.01)
    assert any(n.startswith("tilted scan: the sample is tilted 30°") for n in result.notes)


def test_a_small_tilt_is_a_powder_scan() -> None:
    pattern = simulate([fcc_cantor(3.600, 1.0)], Conditions(lo=35, hi=100, step=0.02, seed=1, displacement=0.3))
    result = analyse(replace(pattern, tilt=2.0))
    assert not any(n.startswith("tilted scan") for n in result.notes)
    assert result.displacement == pytest.approx(0.3, abs=0.05)  # the shift is still refined


def test_the_shift_of_a_short_wavelength_scan_is_on_its_own_scale_and_older_records_keep_their_label() -> None:
    mo = simulate([fcc_cantor(3.60, 1.0)], Conditions(lo=15, hi=60, step=0.01, fwhm=0.06, anode="Mo", seed=3,
                                                      zero_shift=0.04))
    result = analyse(mo)
    assert result.shift_wavelength is None and "scale" not in result.shift_text  # xrd-1.10: the scan's own
    assert XrdAnalysis.from_dict(result.to_dict()) == result
    # a record of xrd-1.9 had the shift on the Cu Kα1 scale, labelled: still read and told as such
    older = XrdAnalysis.from_dict({**result.to_dict(), "shift_wavelength": angle_scale.REFERENCE})
    assert "on the 2θ scale of λ 1.54059 Å (Cu Kα1)" in older.shift_text
    assert "on the scan's own 2θ" in older.shift_text
    before = {k: v for k, v in result.to_dict().items() if k != "shift_wavelength"}  # a record of xrd-1.8
    assert XrdAnalysis.from_dict(before).shift_wavelength is None


@pytest.mark.parametrize("two_theta", [5.0, 20.0, 40.0])
def test_a_cu_scale_shift_on_the_scan_is_the_mapping_s_slope_times_it(two_theta: float) -> None:
    lam = 0.7093
    mapped = float(angle_scale._map(np.array([two_theta]), angle_scale.REFERENCE / lam)[0])
    small = 1e-4
    _, slope_times_small = angle_scale.from_reference(mapped, small, lam)  # d2θ/d2θ′ × the step
    assert angle_scale.scan_shift(two_theta, small, 0.0, lam) == pytest.approx(slope_times_small, rel=1e-3)
    cos = np.cos(np.radians(mapped) / 2)
    assert angle_scale.scan_shift(two_theta, 0.0, small, lam) == pytest.approx(slope_times_small * cos, rel=1e-3)
