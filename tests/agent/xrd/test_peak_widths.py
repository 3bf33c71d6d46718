"""Peak finding at the pattern's own width (#29): a 0.05–0.07° synchrotron reflection is
kept, five broad overlapping peaks are five and the analysis proposes HCP + FCC (the
whole-pattern fit), an amorphous hump is background, not a phase."""

from __future__ import annotations

import pytest

from alloyloop.agent.xrd.analysis import analyse
from alloyloop.agent.xrd.peaks import find_pattern_peaks

RU_PT = {"Ru": 0.6, "Pt": 0.4}
FE_NI = {"Fe": 0.7, "Ni": 0.3}


@pytest.mark.parametrize("fwhm", [0.05, 0.07])
def test_a_narrow_synchrotron_austenite_reflection_is_kept(effects, fwhm: float) -> None:  # noqa: ANN001
    pattern = effects([("BCC", 2.8665, None, 0.85), ("FCC", 3.59, None, 0.15)], fwhm=fwhm, step=0.01, ka2=False,
                      counts=20000, seed=5)
    result = analyse(pattern, {"Fe": 0.9, "Ni": 0.1})
    assert sorted(result.proposed_phases) == ["BCC", "FCC"], result.summary
    fcc = next(k for k, p in enumerate(result.phases) if p.structure == "FCC")
    assert "111" in {p.hkl for p in result.peaks if p.phase == fcc}
    assert all(p.phase is not None for p in result.peaks if p.relative > 2), "no side-lobe peaks"


def test_five_broad_overlapping_peaks_are_five(effects) -> None:  # noqa: ANN001
    pattern = effects([("HCP", 2.706, 4.282, 0.5), ("FCC", 3.87, None, 0.5)], fwhm=2.1, counts=10000, seed=1)
    search = find_pattern_peaks(pattern.two_theta, pattern.intensity - 200.0, 1.5406)
    found = sorted(p.two_theta for p in search.peaks if 37 < p.two_theta < 48)
    assert found == pytest.approx([38.4, 40.3, 42.2, 44.0, 46.9], abs=0.3)


def test_broad_overlapping_hcp_and_fcc_are_both_proposed(effects) -> None:  # noqa: ANN001
    """Was a strict xfail (single HCP: the analysis's own background takes the overlapped FCC
    peaks); the whole-pattern fit's F-test adds the FCC (session 4 of #29)."""
    pattern = effects([("HCP", 2.706, 4.282, 0.5), ("FCC", 3.87, None, 0.5)], fwhm=2.1, counts=10000, seed=0)
    result = analyse(pattern, RU_PT)
    assert result.outcome == "multi" and sorted(result.proposed_phases) == ["FCC", "HCP"], result.summary
    lattice = {p.structure: p for p in result.phases}
    assert lattice["HCP"].a == pytest.approx(2.706, abs=0.03) and lattice["FCC"].a == pytest.approx(3.87, abs=0.03)


def test_a_broad_single_hcp_stays_single(effects) -> None:  # noqa: ANN001
    result = analyse(effects([("HCP", 2.706, 4.282, 1.0)], fwhm=2.1, counts=3000, seed=3), RU_PT)
    assert (result.outcome, result.proposed_phases) == ("single", ("HCP",)), result.summary


@pytest.mark.parametrize(("fwhm", "hump"), [(0.1, (800.0, 43.0, 5.5)), (0.3, (1500.0, 40.0, 5.5))])
def test_an_amorphous_hump_is_background_not_a_phase(effects, fwhm: float, hump) -> None:  # noqa: ANN001
    result = analyse(effects([("FCC", 3.59, None, 1.0)], fwhm=fwhm, hump=hump, seed=4), FE_NI)
    assert (result.outcome, result.proposed_phases) == ("single", ("FCC",)), result.summary
    assert result.phases[0].a == pytest.approx(3.59, abs=0.005)
