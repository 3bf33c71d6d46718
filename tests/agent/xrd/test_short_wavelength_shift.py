"""The zero shift and displacement of a Mo or Ag Kα scan are refined on the scan's own 2θ (#29).

Such a scan is analysed on the Cu Kα1 2θ scale (:mod:`alloyloop.agent.xrd.angle_scale`); its
instrument's z + D·cos θ is not of that form there (a true +0.04° zero shift on a Mo scan read
as +0.026° at 15° falling to 0 at 55°), so fitting it on that scale misplaced the lines: a
single FCC came out as FCC + C15 + unexplained peaks, or with its lattice 0.01–0.02 Å off.
The patterns are the synthetic generator's, shifted on the scan's own angles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alloyloop.agent.xrd import angle_scale
from alloyloop.agent.xrd.analysis import analyse
from alloyloop.agent.xrd.peaks import interpolated, noise_level
from alloyloop.agent.xrd.shift import Shift
from alloyloop.agent.xrd.synthetic import Conditions, bcc_senkov, fcc_cantor, simulate

CANTOR = {"Co": .2, "Cr": .2, "Fe": .2, "Mn": .2, "Ni": .2}
SENKOV = {"Nb": .25, "Mo": .25, "Ta": .25, "W": .25}
RANGES = {"Mo": (15.0, 60.0, 0.08), "Ag": (12.0, 48.0, 0.07)}


@pytest.mark.parametrize(("anode", "kind", "zero", "displacement"), [
    ("Mo", "FCC", -0.05, -0.2),
    ("Mo", "BCC", -0.05, -0.2),
    ("Ag", "FCC", 0.05, 0.1),
    ("Ag", "BCC", 0.05, -0.2),
    # above ~52° on a Mo scan one scan step spanned 10–40 points of the Cu-scale grid: the
    # interpolated noise read that many times too low and its maxima made "BCC + other"
    ("Mo", "BCC", 0.02, -0.2),
    ("Mo", "FCC", 0.0, 0.0),
    ("Ag", "FCC", 0.0, 0.0),
])
def test_a_shifted_single_phase_on_a_mo_or_ag_anode_is_single_with_its_lattice(
        anode: str, kind: str, zero: float, displacement: float) -> None:
    lo, hi, fwhm = RANGES[anode]
    spec, composition, a = (fcc_cantor(3.59), CANTOR, 3.59) if kind == "FCC" else (bcc_senkov(3.22), SENKOV, 3.22)
    pattern = simulate([spec], Conditions(lo=lo, hi=hi, step=0.01, fwhm=fwhm, anode=anode, zero_shift=zero,
                                          displacement=displacement, peak_counts=8000, background=(100, 0), seed=3))
    result = analyse(pattern, composition)
    assert (result.outcome, result.proposed_phases) == ("single", (kind,)), result.summary
    assert result.phases[0].a == pytest.approx(a, abs=0.01)
    # the refined shift is the scan's own: z + D·cos θ there, within 0.02° over the scan
    assert result.shift_wavelength is None and "scale" not in result.shift_text
    for two_theta in (lo + 5, hi - 10):
        cos = math.cos(math.radians(two_theta) / 2)
        assert result.zero_shift + result.displacement * cos == pytest.approx(zero + displacement * cos, abs=0.02)


def test_a_mo_scan_s_zero_shift_is_refined_as_the_same_shift_at_every_angle() -> None:
    """FCC on a Mo anode, 15–50°, with a true +0.04° zero shift: read back as +0.04° over the
    whole scan (fitted on the Cu scale it was +0.031° at 15° falling to +0.006° at 50°)."""
    mo = simulate([fcc_cantor(3.60, 1.0)], Conditions(lo=15, hi=50, step=0.01, fwhm=0.06, anode="Mo", seed=3,
                                                      zero_shift=0.04))
    result = analyse(mo, CANTOR)
    assert (result.outcome, result.proposed_phases) == ("single", ("FCC",)), result.summary
    assert result.phases[0].a == pytest.approx(3.60, abs=0.01)
    for two_theta in (15.0, 50.0):
        cos = math.cos(math.radians(two_theta) / 2)
        assert result.zero_shift + result.displacement * cos == pytest.approx(0.04, abs=0.015)


@pytest.mark.parametrize("wavelength", [0.709317, 0.559422, 0.1432])
def test_the_shift_moves_cu_scale_positions_as_it_moves_the_scan_s_own(wavelength: float) -> None:
    shift = Shift(zero=0.01, displacement=-0.03, scan=wavelength)
    scan = np.array([0.3, 0.6, 0.9]) * math.degrees(2 * math.asin(wavelength / angle_scale.REFERENCE))
    on_cu = angle_scale._map(scan, angle_scale.REFERENCE / wavelength)
    moved = angle_scale._map(shift.moved(on_cu), wavelength / angle_scale.REFERENCE)
    assert moved - scan == pytest.approx(0.01 - 0.03 * np.cos(np.radians(scan) / 2), abs=1e-9)
    # and taken out again
    assert shift.moved(shift.moved(on_cu), -1.0) == pytest.approx(on_cu, abs=1e-3)
    # a lab scan's shift is z + D·cos θ on its own (the analysis's) scale
    lab = Shift(zero=0.01, displacement=-0.03)
    assert lab.at(40.0) == pytest.approx(0.01 - 0.03 * math.cos(math.radians(20.0)))


@pytest.mark.parametrize("anode", ["Mo", "Ag"])
def test_a_clean_single_fcc_on_a_mo_or_ag_anode_leaves_no_noise_peaks(anode: str) -> None:
    """The Cu-scale grid is as fine as the scan's first step; near 2θ′ = 175° one Mo step spans
    ~20 grid points of interpolated, smooth noise. Read as point-to-point noise it was 20 × too
    low and its maxima were peaks: 24 unexplained on this Mo scan, 14 on the Ag one."""
    lo, hi, fwhm = RANGES[anode]
    pattern = simulate([fcc_cantor(3.59)], Conditions(lo=lo, hi=hi, step=0.01, fwhm=fwhm, anode=anode,
                                                      peak_counts=8000, background=(100, 0), seed=3))
    result = analyse(pattern, CANTOR)
    assert (result.outcome, result.proposed_phases) == ("single", ("FCC",)), result.summary
    assert result.phases[0].a == pytest.approx(3.59, abs=0.01)
    assert len(result.unexplained) <= 6, [round(result.peaks[i].two_theta, 2) for i in result.unexplained]


def test_the_noise_of_an_interpolated_scan_is_the_measured_noise() -> None:
    rng = np.random.default_rng(0)
    measured = rng.normal(0.0, 1.0, 400)
    grid = np.linspace(0.0, 399.0, 4000)  # ten grid points per measured step
    signal = np.interp(grid, np.arange(400.0), measured)
    assert float(np.median(noise_level(signal))) < 0.2  # read point to point: ~1/10
    with interpolated(np.full(grid.size, 1 / (grid[1] - grid[0]))):  # diffs across a step read a little less
        assert float(np.median(noise_level(signal))) == pytest.approx(1.0, abs=0.2)
