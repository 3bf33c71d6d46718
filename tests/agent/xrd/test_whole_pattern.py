"""The whole-pattern fit (issue #29): a shared zero shift and displacement, Kα2 ratio and the
F-test on the residual, through the real analysis on pymatgen-simulated patterns."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from alloyloop.agent.xrd import whole_pattern as wp
from alloyloop.agent.xrd.analysis import XrdAnalysis, _background, analyse
from alloyloop.agent.xrd.lattices import Structure
from alloyloop.agent.xrd.minority import profile_signal
from alloyloop.agent.xrd.peaks import noise_level
from alloyloop.agent.xrd.synthetic import Conditions, bcc_alcrfe, fcc_cantor, hcp_rare_earth, simulate

CU_KA1, CU_KA2 = 1.540593, 1.544427


def _profile(pattern):  # noqa: ANN001, ANN202
    x, y = pattern.two_theta, pattern.intensity
    background, _ = _background(x, y)
    net, sigma = profile_signal(x, y, background, noise_level(y - background))
    return x, net, sigma


def _fcc_bcc(fraction: float, displacement: float, zero: float, seed: int):  # noqa: ANN202
    phases = (replace(fcc_cantor(3.59), fraction=1 - fraction), replace(bcc_alcrfe(2.88), fraction=fraction))
    return simulate(phases, Conditions(fwhm=0.15, peak_counts=5000, seed=seed, displacement=displacement,
                                       zero_shift=zero))


def test_the_fit_refines_a_shared_shift_and_the_ka2_ratio() -> None:
    """FCC + 15 % BCC displaced by D = 0.35° (and z = 0.05°): the profile fit of both phases puts
    the shift at 2θ = 60° within 0.03° of the truth, the lattices within 0.003 Å, the Kα2/Kα1
    ratio near the simulated 0.5."""
    pattern = _fcc_bcc(0.15, 0.35, 0.05, seed=4)
    x, net, sigma = _profile(pattern)
    phases = [wp.candidate(Structure.FCC, 3.585), wp.candidate(Structure.BCC, 2.876)]
    values = wp.start_values(phases, displacement=0.3, fwhm=0.15)
    fit = wp.fit(x, net, sigma, phases, ka1=CU_KA1, ka2=CU_KA2, values=values)
    at_60 = fit.zero + fit.displacement * np.cos(np.radians(30))
    assert at_60 == pytest.approx(0.05 + 0.35 * np.cos(np.radians(30)), abs=0.03)
    assert fit.lattices[0][0] == pytest.approx(3.59, abs=0.003)
    assert fit.lattices[1][0] == pytest.approx(2.88, abs=0.003)
    assert fit.ratio == pytest.approx(0.5, abs=0.1)
    assert fit.reduced_chi2 < 2.0


def test_a_monochromated_pattern_fits_no_ka2() -> None:
    pattern = simulate((fcc_cantor(3.59),), Conditions(fwhm=0.12, peak_counts=8000, seed=5, ka2=False))
    x, net, sigma = _profile(pattern)
    phases = [wp.candidate(Structure.FCC, 3.59)]
    fit = wp.fit(x, net, sigma, phases, ka1=CU_KA1, ka2=CU_KA2, values=wp.start_values(phases, fwhm=0.12))
    assert fit.ratio < 0.1


def test_the_f_test_wants_a_real_minority_and_refuses_an_absent_one() -> None:
    """The residual decides: a 15 % BCC beside the FCC is needed (tiny p), on the FCC alone the
    same candidate is not."""
    x, net, sigma = _profile(_fcc_bcc(0.15, 0.35, 0.05, seed=4))
    fcc, bcc = wp.candidate(Structure.FCC, 3.59), wp.candidate(Structure.BCC, 2.88, scaled=True)
    values = wp.start_values([fcc], displacement=0.3, fwhm=0.15)
    present = wp.needs_phase(x, net, sigma, [fcc], bcc, ka1=CU_KA1, ka2=CU_KA2, values=values)
    assert present.present and present.p < 1e-30
    alone = simulate((fcc_cantor(3.59),), Conditions(fwhm=0.15, peak_counts=5000, seed=4, displacement=0.35,
                                                      zero_shift=0.05))
    x, net, sigma = _profile(alone)
    absent = wp.needs_phase(x, net, sigma, [fcc], bcc, ka1=CU_KA1, ka2=CU_KA2, values=values)
    assert not absent.present and absent.p > 1e-6


def test_a_displaced_two_phase_pattern_has_its_minority_and_shift_reported() -> None:
    """Through the analysis: FCC + 12 % BCC with D = −0.35°, z = 0.08°: both phases found, the
    reported shift at 60° within 0.05° of the truth, both lattices within 0.005 Å."""
    result = analyse(_fcc_bcc(0.12, -0.35, 0.08, seed=11))
    assert result.outcome == "multi"
    got = {p.structure: p.a for p in result.phases}
    assert set(got) == {"FCC", "BCC"}
    assert got["FCC"] == pytest.approx(3.59, abs=0.005) and got["BCC"] == pytest.approx(2.88, abs=0.005)
    shift_60 = result.zero_shift + result.displacement * np.cos(np.radians(30))
    assert shift_60 == pytest.approx(0.08 - 0.35 * np.cos(np.radians(30)), abs=0.05)


@pytest.mark.parametrize(("fcc_share", "seed"), [(0.65, 3), (0.35, 3), (0.6, 8)])
def test_broad_overlapping_fcc_and_hcp_are_both_found(fcc_share: float, seed: int) -> None:
    """Nanocrystalline FCC + HCP (FWHM 1.5°): their close-packed lines overlap into broad
    humps; the peaks alone gave a single HCP, the profile fit adds the FCC (or the HCP)."""
    phases = (replace(fcc_cantor(3.60), fraction=fcc_share), replace(hcp_rare_earth(2.55, 4.15),
                                                                     fraction=1 - fcc_share))
    result = analyse(simulate(phases, Conditions(fwhm=1.5, peak_counts=5000, seed=seed)))
    assert result.outcome == "multi"
    assert sorted(p.structure for p in result.phases) == ["FCC", "HCP"]
    fcc = next(p for p in result.phases if p.structure == "FCC")
    assert fcc.a == pytest.approx(3.60, abs=0.02)


def test_a_broad_single_fcc_stays_single() -> None:
    result = analyse(simulate((fcc_cantor(3.60),), Conditions(fwhm=1.5, peak_counts=5000, seed=3)),
                     {"Co": .2, "Cr": .2, "Fe": .2, "Mn": .2, "Ni": .2})
    assert result.outcome == "single" and [p.structure for p in result.phases] == ["FCC"]


@pytest.mark.parametrize(("displacement", "seed"), [(0.3, 7), (-0.35, 12)])
def test_a_displaced_single_fcc_reports_the_profile_refined_shift(displacement: float, seed: int) -> None:
    """One FCC by its peaks: the whole-pattern fit ran, and the result's fields carry its zero
    shift, displacement and Kα2 ratio (not the peaks' refinement), saying so."""
    pattern = simulate((fcc_cantor(3.59),), Conditions(fwhm=0.12, peak_counts=5000, seed=seed,
                                                        displacement=displacement))
    result = analyse(pattern, {"Co": .2, "Cr": .2, "Fe": .2, "Mn": .2, "Ni": .2})
    assert result.outcome == "single" and [p.structure for p in result.phases] == ["FCC"]
    assert result.shift_source == "whole-pattern fit"
    assert result.displacement == pytest.approx(displacement, abs=0.04)
    assert result.zero_shift == pytest.approx(0.0, abs=0.04)
    assert result.displacement_sigma is not None and result.displacement_sigma < 0.05
    assert result.ka2_ratio == pytest.approx(0.5, abs=0.1)
    assert "(whole-pattern fit)" in result.shift_text and f"{result.displacement:+.3f}°" in result.shift_text


def test_a_result_whose_peaks_gave_two_phases_reports_the_peaks_shift() -> None:
    """Two phases by their peaks: no whole-pattern fit ran, the fields say ``peaks`` and have
    no Kα2 ratio."""
    result = analyse(_fcc_bcc(0.2, 0.2, 0.0, seed=5))
    assert [p.structure for p in result.phases] == ["FCC", "BCC"]
    assert result.shift_source == "peaks" and result.ka2_ratio is None
    assert "(peaks)" in result.shift_text


def test_a_stored_analysis_of_before_the_shift_source_reads_as_peaks() -> None:
    """A label's provenance stored by xrd-1.5 (no ``ka2_ratio``, no ``shift_source``) still
    reads, and says its shift came from the peaks, as it did."""
    result = analyse(_fcc_bcc(0.2, 0.2, 0.0, seed=5))
    old = {k: v for k, v in result.to_dict().items() if k not in ("ka2_ratio", "shift_source")}
    old["version"] = "xrd-1.5"
    again = XrdAnalysis.from_dict(old)
    assert again.shift_source == "peaks" and again.ka2_ratio is None
    assert again.displacement == result.displacement
    with pytest.raises(ValueError, match="shift source 'guess'"):
        XrdAnalysis.from_dict({**result.to_dict(), "shift_source": "guess"})
