"""The CALPHAD single-phase rule, phase names, fraction text, databases and spec options."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from alloyloop.agent.calphad.phases import (
    PhaseAmount,
    Verdict,
    classify,
    combine,
    format_fractions,
    parse_fractions,
    vocab_phase,
)
from alloyloop.campaigns.tdb import TdbError, TdbFile, file_sha256, pycalphad_database_names, resolve_tdb
from alloyloop.campaigns.bundled import load_example
from alloyloop.campaigns.errors import SpecError
from alloyloop.campaigns.spec import parse_spec
from alloyloop.db.vocab import Phase

A = PhaseAmount


@pytest.mark.parametrize("name, phase", [
    ("FCC_A1", Phase.FCC), ("fcc_a1#2", Phase.FCC), ("BCC_A2", Phase.BCC), ("HCP_A3", Phase.HCP),
    ("BCC_B2", Phase.B2), ("B2_BCC", Phase.B2), ("L12_FCC", Phase.L12), ("FCC_L12", Phase.L12),
    ("SIGMA_SGTE", Phase.SIGMA), ("SIGMA", Phase.SIGMA), ("LAVES_C14", Phase.LAVES),
    ("C15_LAVES", Phase.LAVES), ("LIQUID", Phase.OTHER), ("GAS", Phase.OTHER),
    ("AL13CO4", Phase.INTERMETALLIC), ("AL3NI2", Phase.INTERMETALLIC), ("FCC_L10", Phase.INTERMETALLIC),
    ("ALCR2", Phase.INTERMETALLIC),
])
def test_tdb_phase_names_map_to_the_store_vocabulary(name: str, phase: Phase) -> None:
    assert vocab_phase(name) is phase


def test_one_disordered_solid_solution_above_the_threshold_is_single() -> None:
    assert classify([A("FCC_A1", 1.0)]) == Verdict("single", ("FCC",), "FCC_A1 holds 1.0000 >= 0.99")
    assert classify([A("BCC_A2", 0.995), A("SIGMA_SGTE", 0.005)]).outcome == "single"
    near = [A("FCC_A1", 0.985), A("BCC_A2", 0.015)]
    assert classify(near).outcome == "multi" and classify(near, threshold=0.98).outcome == "single"
    two = classify([A("BCC_B2", 0.28), A("FCC_A1", 0.72)])
    assert two == Verdict("multi", ("FCC", "B2"), "no phase holds >= 0.99 (largest: FCC_A1 0.7200)")
    # one phase, but ordered or a compound: not a solid solution, so multi (with its phase)
    ordered = classify([A("BCC_B2", 1.0)])
    assert ordered.outcome == "multi" and ordered.phases == ("B2",)
    assert "not a disordered solid solution (B2)" in ordered.reason
    assert classify([A("AL13CO4", 1.0)]).phases == ("intermetallic",)
    assert classify([A("LIQUID", 1.0)]).outcome == "multi"
    # a miscibility gap is two phases; a trace below 1e-3 is not listed (it stays in provenance)
    gap = classify([A("BCC_A2", 0.6), A("BCC_A2#2", 0.3996), A("SIGMA", 0.0004)])
    assert gap.outcome == "multi" and gap.phases == ("BCC", "BCC")
    with pytest.raises(ValueError, match="no phase"):
        classify([A("FCC_A1", 0.0)])


def test_several_temperatures_single_only_if_the_same_solid_solution_at_each() -> None:
    fcc = classify([A("FCC_A1", 1.0)])
    bcc = classify([A("BCC_A2", 1.0)])
    two = classify([A("FCC_A1", 0.7), A("BCC_B2", 0.3)])
    assert combine([(1273.0, fcc)]) is fcc
    both = combine([(1073.0, fcc), (1273.0, fcc)])
    assert both.outcome == "single" and both.phases == ("FCC",) and "1073 K, 1273 K" in both.reason
    changes = combine([(1073.0, fcc), (1573.0, bcc)])
    assert changes.outcome == "multi" and changes.phases == ("FCC", "BCC")
    assert "not the same phase: FCC at 1073 K, BCC at 1573 K" in changes.reason
    once = combine([(1073.0, two), (1273.0, fcc)])
    assert once.outcome == "multi" and once.phases == ("FCC", "B2") and once.reason == "not single at 1073 K"
    gap = classify([A("BCC_A2", 0.5), A("BCC_A2#2", 0.5)])
    assert combine([(1073.0, gap), (1273.0, bcc)]).phases == ("BCC", "BCC")
    with pytest.raises(ValueError):
        combine([])


def test_fraction_text_round_trips_and_bad_text_names_the_fix() -> None:
    amounts = [A("BCC_B2", 0.3), A("FCC_A1", 0.7)]
    text = format_fractions(amounts)
    assert text == "FCC_A1=0.7000; BCC_B2=0.3000"
    assert parse_fractions(text) == sorted(amounts, key=lambda a: -a.fraction)
    assert parse_fractions("fcc_a1=0.5;BCC_A2#2=0.5") == [A("FCC_A1", 0.5), A("BCC_A2#2", 0.5)]
    for bad, fix in [
        ("", "write them as FCC_A1=0.7;BCC_A2=0.3"),
        ("FCC_A1:0.7;BCC_A2=0.3", "is not PHASE=FRACTION"),
        ("FCC_A1=seventy", "'seventy' is not a number"),
        ("FCC_A1=70;BCC_A2=30", "not a percentage"),
        ("FCC_A1=0.5;FCC_A1=0.5", "write FCC_A1#1 and FCC_A1#2"),
        ("FCC_A1=0.7;BCC_A2=0.2", "the fractions add up to 0.9"),
    ]:
        with pytest.raises(ValueError, match=fix.replace("(", r"\(").replace(")", r"\)")):
            parse_fractions(bad)


def test_pycalphad_databases_are_found_at_run_time(alcocrni_tdb: Path, tmp_path: Path) -> None:
    assert "alcocrni.tdb" in pycalphad_database_names()
    assert resolve_tdb("pycalphad:ALCOCRNI.tdb") == alcocrni_tdb
    db = TdbFile.open("pycalphad:alcocrni.tdb")
    assert db.elements == {"Al", "Co", "Cr", "Ni"} and db.name == "alcocrni.tdb"
    assert db.sha256 == file_sha256(alcocrni_tdb) and len(db.sha256) == 64
    assert db.uncovered({"Al": 0.5, "Fe": 0.3, "Mn": 0.2}) == ["Fe", "Mn"]
    with pytest.raises(TdbError, match="pycalphad ships no database named 'nope.tdb': use one of .*alcocrni.tdb"):
        resolve_tdb("pycalphad:nope.tdb")
    with pytest.raises(TdbError, match="no TDB file at .*missing.tdb: give the path of a TDB file"):
        resolve_tdb("missing.tdb", base_dir=tmp_path)
    not_tdb = tmp_path / "notes.tdb"
    not_tdb.write_text("hello\n")
    with pytest.raises(TdbError, match="declares no ELEMENT: is it a TDB file"):
        TdbFile.open(not_tdb)


BASE = {
    "name": "c",
    "design_space": {"units": "at.%", "palette": ["Al", "Co", "Cr", "Ni"], "step": 5, "min_elements": 3},
    "strategies": {"screen": 2},
    "labeler": {"kind": "calphad", "tdb": "pycalphad:alcocrni.tdb", "temperature": 1273},
}


def _spec(labeler: dict | None = None, **top) -> dict:  # noqa: ANN001
    data = copy.deepcopy(BASE) | top
    data["labeler"] = {**data["labeler"], **(labeler or {})}
    return {k: v for k, v in data.items() if v is not None}


def test_spec_calphad_options_round_trip_and_paths_become_absolute(alcocrni_tdb: Path,
                                                                   tmp_path: Path) -> None:
    spec = parse_spec(_spec({"temperature": [1473, 1073], "threshold": 0.95, "timeout": 30, "workers": 2}))
    lab = spec.labeler
    assert (lab.kind, lab.tdb, lab.temperatures, lab.threshold, lab.timeout, lab.workers) == (
        "calphad", "pycalphad:alcocrni.tdb", (1073.0, 1473.0), 0.95, 30.0, 2)
    assert parse_spec(tomllib.loads(spec.to_toml())) == spec
    one = parse_spec(_spec())
    assert one.labeler.temperatures == (1273.0,) and one.labeler.workers is None
    assert one.to_dict()["labeler"]["temperature"] == 1273.0
    # a relative path is read from the spec file's folder and stored absolute
    (tmp_path / "dbs").mkdir()
    (tmp_path / "dbs" / "mine.tdb").write_bytes(alcocrni_tdb.read_bytes())
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(parse_spec(_spec()).to_toml().replace("pycalphad:alcocrni.tdb", "dbs/mine.tdb"))
    from alloyloop.campaigns.spec import load_spec

    loaded = load_spec(spec_file)
    assert loaded.labeler.tdb == str((tmp_path / "dbs" / "mine.tdb").resolve())
    assert parse_spec(loaded.to_dict()) == loaded  # what the store keeps reads back anywhere
    example = load_example("alcocrni-calphad")
    assert example.labeler.kind == "calphad" and example.labeler.tdb == "pycalphad:alcocrni.tdb"
    assert example.space.palette == ("Al", "Co", "Cr", "Ni")


@pytest.mark.parametrize("labeler, expected", [
    ({"tdb": None}, "labeler.tdb: is required: name the database"),
    ({"tdb": "pycalphad:cocrfemnni.tdb"}, "labeler.tdb: pycalphad ships no database named 'cocrfemnni.tdb'"),
    ({"tdb": "/no/such/file.tdb"}, "labeler.tdb: no TDB file at /no/such/file.tdb"),
    ({"tdb": "pycalphad:alfe.tdb"}, "labeler.tdb: alfe.tdb covers Al, Fe but only 1 element(s) of the palette"),
    ({"temperature": None}, "labeler.temperature: is required: give the equilibrium temperature in kelvin"),
    ({"temperature": 25}, "labeler.temperature: 25 K is outside 200-6000 K: give kelvin (1000 °C is 1273 K)"),
    ({"temperature": []}, "labeler.temperature: the list is empty"),
    ({"temperature": [1273, 1273]}, "labeler.temperature: a temperature is listed twice"),
    ({"temperature": "hot"}, "labeler.temperature: 'hot' is not a number: give kelvin"),
    ({"threshold": 0.5}, "labeler.threshold: 0.5 is too small: give a number above 0.5"),
    ({"threshold": 1.2}, "labeler.threshold: 1.2 is too large"),
    ({"timeout": 0}, "labeler.timeout: 0 is too small: give a number above 0"),
    ({"workers": 0}, "labeler.workers: 0 is not valid: give a whole number of at least 1"),
    ({"tolerance": 5}, "labeler.tolerance: is not an option of the 'calphad' labeler: its options are tdb, temperature"),
])
def test_spec_calphad_errors_name_the_key_and_the_fix(labeler: dict, expected: str) -> None:
    data = _spec()
    for key, value in labeler.items():
        if value is None:
            data["labeler"].pop(key)
        else:
            data["labeler"][key] = value
    with pytest.raises(SpecError) as err:
        parse_spec(data)
    assert any(expected in str(p) for p in err.value.problems), err.value.problems
