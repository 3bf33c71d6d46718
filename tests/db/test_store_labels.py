"""Labels: create and read, validation at the boundary, supersede, conflict flags."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from alloyloop.db.alloys import conflicted_alloys, get_alloy
from alloyloop.db.errors import AlreadySuperseded, InvalidValue, InvalidValues, NotFound
from alloyloop.db.labels import add_label, get_label, labels_for, supersede_label
from alloyloop.db.models import Alloy, Label
from alloyloop.db.types import utcnow


def _count(session, model) -> int:  # noqa: ANN001
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_add_and_read_back_in_any_notation(session) -> None:  # noqa: ANN001
    label = add_label(session, composition="Co20Cr20Fe20Mn20Ni20", outcome="Single-Phase", phases="fcc",
                      source="Experiment", method="xrd", processing="annealed at 1373 K for 10 h",
                      entered_by="alice", evidence_uri="10.1016/j.actamat.2013.09.037", note="as in Otto 2013")
    assert label.id is not None
    assert label.alloy_key == "Co0.2Cr0.2Fe0.2Mn0.2Ni0.2"
    assert (label.outcome, label.phases, label.source, label.method) == ("single", ["FCC"], "experiment", "XRD")
    assert label.processing == "annealed"
    assert label.anneal_temperature_c == pytest.approx(1099.85)
    assert label.anneal_time_h == pytest.approx(10.0)
    assert label.evidence_uri == "https://doi.org/10.1016/j.actamat.2013.09.037"
    found = labels_for(session, "CoCrFeMnNi")
    assert [lb.id for lb in found] == [label.id]
    assert found[0] == get_label(session, label.id)
    alloy = get_alloy(session, {"Ni": 1, "Co": 1, "Cr": 1, "Fe": 1, "Mn": 1})
    assert alloy.elements == "Co-Cr-Fe-Mn-Ni" and alloy.n_elements == 5
    assert alloy.fractions == pytest.approx({"Co": 0.2, "Cr": 0.2, "Fe": 0.2, "Mn": 0.2, "Ni": 0.2})
    # a second label for the same alloy reuses it
    add_label(session, composition="CoCrFeMnNi", outcome="single", source="literature")
    assert _count(session, Alloy) == 1 and _count(session, Label) == 2


def test_defaults_per_source(session) -> None:  # noqa: ANN001
    assert add_label(session, composition="NbMoTaW", outcome="single", source="calphad").method == "CALPHAD"
    assert add_label(session, composition="NbMoTaW", outcome="single", source="literature").method == "unreported"


@pytest.mark.parametrize(
    ("fields", "field", "value", "hint"),
    [
        ({"outcome": "singel"}, "outcome", "singel", "single, multi"),
        ({"source": "simulation"}, "source", "simulation", "experiment, calphad, literature"),
        ({"method": "XRF"}, "method", "XRF", "XRD"),
        ({"method": "CALPHAD"}, "method", "CALPHAD", "change the source"),
        ({"method": None}, "method", None, "must name their method"),
        ({"phases": "FCC+spinel"}, "phase", "spinel", "intermetallic"),
        ({"phases": "FCC,BCC"}, "phases", "FCC+BCC", "at most one phase"),
        ({"processing": "melted"}, "processing", "melted", "as-cast"),
        ({"processing": "as-cast 900C"}, "processing", "as-cast 900C", "annealed samples only"),
        ({"evidence_uri": "see lab book"}, "evidence_uri", "see lab book", "https://"),
        ({"composition": "CoCrFeMnXx"}, "composition", "CoCrFeMnXx", "unknown element 'Xx'"),
    ],
)
def test_bad_values_are_refused_naming_value_and_fix(session, fields, field, value, hint) -> None:  # noqa: ANN001
    add_label(session, composition="CoCrFeNi", outcome="single", source="literature")
    good = {"composition": "CoCrFeMnNi", "outcome": "single", "source": "experiment", "method": "XRD"}
    with pytest.raises(InvalidValue) as info:
        add_label(session, **(good | fields))
    assert info.value.field == field and info.value.value == value
    shown = "is missing" if value is None else repr(value)  # a missing value is named as missing
    assert shown in str(info.value) and hint in str(info.value)
    assert _count(session, Label) == 1 and _count(session, Alloy) == 1  # nothing stored, nothing lost


def test_several_bad_fields_are_all_reported(session) -> None:  # noqa: ANN001
    with pytest.raises(InvalidValues) as info:
        add_label(session, composition="CoCrFeMnNi", outcome="maybe", source="lab", method="CALPHAD")
    assert [e.field for e in info.value.errors] == ["outcome", "method"]
    assert "'maybe'" in str(info.value) and "'CALPHAD'" in str(info.value)


def test_database_refuses_bad_values_from_other_writers(session) -> None:  # noqa: ANN001
    """The CHECK constraints guard the table even against raw SQL that skips validation."""
    alloy = add_label(session, composition="CoCrFeNi", outcome="single", source="literature").alloy_id
    row = {"alloy_id": alloy, "outcome": "single", "phases": [], "source": "literature",
           "method": "unreported", "created_at": utcnow()}
    for bad in ({"outcome": "maybe"}, {"source": "dream"}, {"method": "guess"},
                {"processing": "as-cast", "anneal_temperature_c": 900.0}):
        with pytest.raises(IntegrityError):
            session.execute(insert(Label).values(row | bad))
        session.rollback()
    with pytest.raises(IntegrityError):  # and foreign keys hold (SQLite too)
        session.execute(insert(Label).values(row | {"alloy_id": alloy + 1000}))
    session.rollback()
    assert _count(session, Label) == 1


def test_supersede_keeps_both_and_chains(session) -> None:  # noqa: ANN001
    first = add_label(session, composition="Al0.5CoCrFeNi", outcome="single", phases="FCC",
                      source="experiment", method="XRD", processing="as-cast", entered_by="alice",
                      evidence_uri="https://lims.example.org/xrd/17.csv")
    second = supersede_label(session, first.id, outcome="multi", phases="FCC+BCC", entered_by="bob",
                             note="weak BCC peaks missed")
    # inherited from the corrected label: alloy, source, method, processing and evidence
    # (issue 17: the evidence was dropped; tests/db/test_store_supersede_fields.py checks each field)
    assert (second.alloy_key, second.source, second.method, second.processing) == (
        first.alloy_key, "experiment", "XRD", "as-cast")
    assert (second.entered_by, second.evidence_uri, second.phases) == (
        "bob", "https://lims.example.org/xrd/17.csv", ["FCC", "BCC"])
    old = get_label(session, first.id)
    assert old.superseded_by == second.id
    assert (old.outcome, old.phases, old.entered_by) == ("single", ["FCC"], "alice")  # never overwritten
    with pytest.raises(AlreadySuperseded, match=rf"corrected by label {second.id}: supersede label {second.id}"):
        supersede_label(session, first.id, outcome="single")
    third = supersede_label(session, second.id, processing="annealed 900C 5h")
    assert third.phases == ["FCC", "BCC"]  # outcome unchanged: phases inherited
    assert (third.anneal_temperature_c, third.anneal_time_h) == (900.0, 5.0)
    assert [lb.id for lb in labels_for(session, "Al0.5CoCrFeNi", include_superseded=False)] == [third.id]
    assert len(labels_for(session, "Al0.5CoCrFeNi")) == 3
    with pytest.raises(NotFound, match="no label with id 999"):
        supersede_label(session, 999, outcome="single")


def test_supersede_with_another_source_takes_its_default_method(session) -> None:  # noqa: ANN001
    first = add_label(session, composition="CoCrNi", outcome="single", source="experiment", method="XRD")
    moved = supersede_label(session, first.id, source="literature", evidence_uri="doi:10.1000/paper")
    assert (moved.source, moved.method) == ("literature", "unreported")
    assert moved.evidence_uri == "doi:10.1000/paper"


def test_supersede_validates_the_correction(session) -> None:  # noqa: ANN001
    first = add_label(session, composition="CoCrNi", outcome="multi", phases="FCC+HCP", source="experiment",
                      method="TEM")
    with pytest.raises(InvalidValue, match="at most one phase"):
        supersede_label(session, first.id, outcome="single", phases="FCC+HCP")
    assert get_label(session, first.id).superseded_by is None  # nothing changed
    assert _count(session, Label) == 1


def test_conflicts_are_flagged_and_cleared_by_supersede(session) -> None:  # noqa: ANN001
    a = add_label(session, composition="AlCoCrFeNi", outcome="single", phases="BCC", source="literature")
    assert conflicted_alloys(session) == []
    b = add_label(session, composition="AlCoCrFeNi", outcome="multi", phases="BCC+B2", source="literature")
    flagged = conflicted_alloys(session)
    assert [x.key for x in flagged] == [a.alloy_key] and flagged[0].has_conflict
    # both labels are kept
    assert {lb.id for lb in labels_for(session, "AlCoCrFeNi")} == {a.id, b.id}
    supersede_label(session, a.id, outcome="multi", phases="BCC+B2", note="B2 ordering seen in TEM")
    assert conflicted_alloys(session) == []
    # a correction moved to another alloy clears the flag there and keeps both alloys right
    c = add_label(session, composition="CoCrFeNi", outcome="single", source="literature")
    d = add_label(session, composition="CoCrFeNi", outcome="multi", source="literature")
    assert [x.key for x in conflicted_alloys(session)] == [c.alloy_key]
    supersede_label(session, d.id, composition="CoCrFeNiTi0.3")
    assert conflicted_alloys(session) == []
