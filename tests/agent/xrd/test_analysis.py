"""The analysis on patterns simulated with pymatgen: structures, lattice parameters within
0.01 Å, ordered variants by their superlattice peaks, mixtures, and the result's JSON."""

from __future__ import annotations

import numpy as np
import pytest

from alloyloop.agent.xrd.analysis import ANALYSIS_VERSION, XrdAnalysis, analyse
from alloyloop.agent.xrd.lattices import Structure
from alloyloop.agent.xrd.pattern import Pattern
from alloyloop.agent.xrd.profile import strip_ka2
from alloyloop.agent.xrd.synthetic import (
    Conditions, b2_alni, bcc_alcrfe, bcc_senkov, fcc_cantor, hcp_rare_earth, l12_ni3al, simulate)
from alloyloop.agent.xrd.vegard import starting_lattice

CANTOR = {"Co": .2, "Cr": .2, "Fe": .2, "Mn": .2, "Ni": .2}
SENKOV = {"Nb": .25, "Mo": .25, "Ta": .25, "W": .25}
AL_CANTOR = {"Al": .12, "Co": .22, "Cr": .22, "Fe": .22, "Ni": .22}


def _phases(result: XrdAnalysis) -> list[tuple[str, float]]:
    return [(p.structure, p.a) for p in result.phases]


def test_vegard_starts_from_the_element_volumes() -> None:
    assert starting_lattice(Structure.FCC, CANTOR).a == pytest.approx(3.59, abs=0.01)
    assert starting_lattice(Structure.BCC, SENKOV).a == pytest.approx(3.22, abs=0.015)
    hcp = starting_lattice(Structure.HCP, {"Ho": .2, "Dy": .2, "Y": .2, "Gd": .2, "Tb": .2})
    assert hcp.c / hcp.a == pytest.approx(1.633, abs=1e-3)


def test_fcc_cantor_is_single_fcc_with_its_lattice_parameter() -> None:
    result = analyse(simulate([fcc_cantor(3.594)], Conditions(seed=3, texture=1.3)), CANTOR, composition_key="x")
    assert result.outcome == "single" and result.proposed_phases == ("FCC",)
    (structure, a), = _phases(result)
    assert structure == "FCC" and a == pytest.approx(3.594, abs=0.01)
    assert result.phases[0].confidence > 0.8
    assert {p.hkl for p in result.peaks if p.phase == 0} >= {"111", "200", "220", "311"}
    assert result.version == ANALYSIS_VERSION


def test_bcc_senkov_with_a_steep_background_and_broad_peaks() -> None:
    conditions = Conditions(seed=4, fwhm=0.25, background=(600.0, -3.0), peak_counts=3000)
    result = analyse(simulate([bcc_senkov(3.215)], conditions), SENKOV)
    assert result.outcome == "single"
    assert _phases(result)[0][0] == "BCC" and _phases(result)[0][1] == pytest.approx(3.215, abs=0.01)


def test_hcp_gets_a_and_c() -> None:
    result = analyse(simulate([hcp_rare_earth(3.60, 5.66)], Conditions(seed=5)),
                     {"Ho": .2, "Dy": .2, "Y": .2, "Gd": .2, "Tb": .2})
    assert result.outcome == "single"
    phase = result.phases[0]
    assert phase.structure == "HCP"
    assert phase.a == pytest.approx(3.60, abs=0.01) and phase.c == pytest.approx(5.66, abs=0.01)


def test_b2_is_told_from_bcc_by_its_superlattice_peaks_and_is_multi() -> None:
    result = analyse(simulate([b2_alni(2.88)], Conditions(seed=6)), {"Al": .5, "Ni": .3, "Co": .2})
    assert _phases(result)[0][0] == "B2" and len(result.phases) == 1
    assert {p.hkl for p in result.peaks if p.phase == 0} >= {"100", "110", "111"}
    assert result.outcome == "multi"  # the store's single means one disordered solid solution
    # the same lattice without order is BCC
    disordered = analyse(simulate([bcc_alcrfe(2.88)], Conditions(seed=6)), AL_CANTOR)
    assert _phases(disordered)[0][0] == "BCC" and disordered.outcome == "single"


def test_fcc_with_l12_precipitates() -> None:
    phases = [fcc_cantor(3.59, 0.7), l12_ni3al(3.59 * 1.007, 0.3)]
    result = analyse(simulate(phases, Conditions(seed=7)), AL_CANTOR)
    assert sorted(s for s, _ in _phases(result)) == ["FCC", "L12"]
    a = dict(_phases(result))
    assert a["FCC"] == pytest.approx(3.59, abs=0.01) and a["L12"] == pytest.approx(3.59 * 1.007, abs=0.01)
    assert result.outcome == "multi" and sorted(result.proposed_phases) == ["FCC", "L12"]


@pytest.mark.parametrize("minority", [0.10, 0.30])
def test_fcc_bcc_mixture_finds_the_minority(minority: float) -> None:
    phases = [fcc_cantor(3.59, 1 - minority), bcc_alcrfe(2.875, minority)]
    result = analyse(simulate(phases, Conditions(seed=8, peak_counts=4000)), AL_CANTOR)
    assert sorted(s for s, _ in _phases(result)) == ["BCC", "FCC"]
    assert dict(_phases(result))["BCC"] == pytest.approx(2.875, abs=0.01)
    assert result.outcome == "multi"


def test_ka2_stripping_removes_the_doublet() -> None:
    doublet = simulate([fcc_cantor()], Conditions(seed=9, background=(0.0, 0.0), fwhm=0.08))
    single = simulate([fcc_cantor()], Conditions(seed=9, background=(0.0, 0.0), fwhm=0.08, ka2=False))
    stripped = strip_ka2(doublet.two_theta, doublet.intensity, doublet.radiation)
    # at the Kα2 position of (311), near 91.0°, the raw pattern has its twin, the stripped one not
    near = (doublet.two_theta > 90.95) & (doublet.two_theta < 91.1)
    assert doublet.intensity[near].max() > 0.3 * doublet.intensity.max() * 0.4
    assert stripped[near].max() < 0.1 * doublet.intensity[near].max() + 5 * np.sqrt(single.intensity[near].max())
    without = analyse(Pattern(single.two_theta, single.intensity, single.radiation, "k1"), CANTOR)
    assert _phases(without)[0][1] == pytest.approx(3.59, abs=0.005)


def test_noise_alone_proposes_nothing() -> None:
    rng = np.random.default_rng(0)
    x = np.arange(20, 100, 0.02)
    result = analyse(Pattern(x, rng.poisson(300, len(x)).astype(float)), CANTOR)
    assert result.outcome is None and result.phases == ()
    assert any("choose the label yourself" in n for n in result.notes)


def test_the_result_round_trips_through_the_converter() -> None:
    result = analyse(simulate([fcc_cantor(), bcc_alcrfe(fraction=0.3)], Conditions(seed=10)), AL_CANTOR)
    again = XrdAnalysis.from_dict(result.to_dict())
    assert again == result
    data = result.to_dict() | {"surprise": 1}
    with pytest.raises(ValueError, match="unknown XRD analysis field 'surprise'"):
        XrdAnalysis.from_dict(data)
    bad = result.to_dict()
    bad["phases"][0]["confidence"] = 1.5
    with pytest.raises(ValueError, match="confidence"):
        XrdAnalysis.from_dict(bad)
