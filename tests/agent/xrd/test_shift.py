"""Zero shift and sample displacement (#29): refined with the phases, so a sample off the
focusing circle keeps its structure and lattice parameter, and the shift is reported."""

from __future__ import annotations

import pytest

from alloyloop.agent.xrd.analysis import XrdAnalysis, analyse
from alloyloop.agent.xrd.provenance import provenance_text, read_provenance, review

FE = {"Fe": 1.0}
FE_A = 2.8665


@pytest.mark.parametrize("displacement", [-0.4, -0.2, 0.2, 0.3, 0.4])
def test_a_displaced_fe_scan_is_still_single_bcc_with_its_lattice_parameter(effects, displacement: float) -> None:  # noqa: ANN001
    result = analyse(effects([("BCC", FE_A, None, 1.0)], displacement=displacement, seed=1), FE)
    assert (result.outcome, result.proposed_phases) == ("single", ("BCC",)), result.summary
    assert result.phases[0].a == pytest.approx(FE_A, abs=0.002)
    assert result.displacement + result.zero_shift == pytest.approx(displacement, abs=0.05)
    assert any("peaks shifted" in n for n in result.notes)


def test_an_unshifted_scan_reports_no_shift(effects) -> None:  # noqa: ANN001
    result = analyse(effects([("BCC", FE_A, None, 1.0)], seed=2), FE)
    assert abs(result.displacement) < 0.02 and abs(result.zero_shift) < 0.02
    assert not any("peaks shifted" in n for n in result.notes)


@pytest.mark.parametrize("zero", [0.36, 0.72])
def test_a_steel_with_seven_percent_austenite_needing_a_large_shift(effects, zero: float) -> None:  # noqa: ANN001
    pattern = effects([("BCC", FE_A, None, 0.93), ("FCC", 3.59, None, 0.07)], zero=zero, seed=2)
    result = analyse(pattern, {"Fe": 0.98, "Ni": 0.02})
    assert sorted(result.proposed_phases) == ["BCC", "FCC"] and result.outcome == "multi", result.summary
    lattice = {p.structure: p.a for p in result.phases}
    assert lattice["BCC"] == pytest.approx(FE_A, abs=0.01) and lattice["FCC"] == pytest.approx(3.59, abs=0.01)


def test_the_shift_is_kept_in_the_result_and_the_provenance(effects) -> None:  # noqa: ANN001
    result = analyse(effects([("BCC", FE_A, None, 1.0)], displacement=0.3, seed=3), FE)
    again = XrdAnalysis.from_dict(result.to_dict())
    assert again.displacement == result.displacement and again.displacement_sigma == result.displacement_sigma
    stored, _ = read_provenance(provenance_text(result, review(result, outcome="single", phases=["BCC"])))
    assert stored.displacement == pytest.approx(0.3, abs=0.05)
    old = result.to_dict()  # a provenance stored before the shift was refined still reads
    for key in ("zero_shift", "zero_shift_sigma", "displacement", "displacement_sigma"):
        old.pop(key)
    assert XrdAnalysis.from_dict(old).displacement == 0.0
