"""The named label queries that replaced SQL in the agent and the web (issue #31), on
SQLite and PostgreSQL: each selects what its caller used to select itself."""

from __future__ import annotations

import pytest

from alloyloop.agent.report.calphad_agreement import calphad_vs_experiment
from alloyloop.db.campaigns import create_campaign, round_place, start_round
from alloyloop.db.errors import NotFound
from alloyloop.db.label_reads import (
    current_labels_of_sources,
    current_labels_with_provenance,
    labels_entered_since,
)
from alloyloop.db.labels import add_label, get_label, supersede_label

CALC = dict(source="calphad", method="CALPHAD", provenance="database demo.tdb; 1273 K: FCC_A1 1.0")


def test_current_labels_of_sources_leave_out_superseded_and_other_sources(session) -> None:  # noqa: ANN001
    exp = add_label(session, composition="CoCrFeMnNi", outcome="single", phases="FCC", source="experiment",
                    method="XRD")
    calc = add_label(session, composition="CoCrFeMnNi", outcome="single", **CALC)
    old = add_label(session, composition="AlCoCrFeNi", outcome="single", source="experiment", method="XRD")
    new = supersede_label(session, old.id, outcome="multi", phases="FCC+BCC")
    add_label(session, composition="CoCrNi", outcome="single", source="literature", method="XRD")

    found = current_labels_of_sources(session, ["calphad", "experiment"])
    assert [(lb.id, elements) for lb, elements in found] == [
        (new.id, "Al-Co-Cr-Fe-Ni"), (exp.id, "Co-Cr-Fe-Mn-Ni"), (calc.id, "Co-Cr-Fe-Mn-Ni")]
    assert found[0][0] == get_label(session, new.id)  # the record, alloy key included

    agreement = calphad_vs_experiment(session)
    assert [(r.alloy, r.agree) for r in agreement.rows] == [(exp.alloy_key, True)]
    assert calphad_vs_experiment(session, ["Co", "Cr", "Ni"]).rows == ()  # palette filter


def test_labels_entered_since_counts_arrivals_superseded_too(session) -> None:  # noqa: ANN001
    first = add_label(session, composition="CoCrFeMnNi", outcome="single", source="experiment", method="XRD",
                      external_id="replay/other/1")
    later = supersede_label(session, first.id, outcome="multi")
    assert sorted(labels_entered_since(session, first.created_at)) == [(None, "Co-Cr-Fe-Mn-Ni")]
    before = first.created_at.replace(year=2000)
    assert sorted(labels_entered_since(session, before), key=str) == sorted(
        [("replay/other/1", "Co-Cr-Fe-Mn-Ni"), (later.external_id, "Co-Cr-Fe-Mn-Ni")], key=str)


def test_current_labels_with_provenance_by_method_and_time(session) -> None:  # noqa: ANN001
    a = add_label(session, composition="CoCrFeMnNi", outcome="single", source="experiment", method="XRD",
                  provenance='{"kind": "xrd-analysis"}')
    b = add_label(session, composition="CoCrNi", outcome="single", source="experiment", method="XRD",
                  provenance='{"kind": "xrd-analysis"}')
    add_label(session, composition="AlCoCrFeNi", outcome="multi", source="experiment", method="XRD")  # none
    add_label(session, composition="FeNi", outcome="single", source="experiment", method="SEM", provenance="x")
    assert [lb.id for lb in current_labels_with_provenance(session, "XRD")] == [b.id, a.id]  # newest first
    assert [lb.id for lb in current_labels_with_provenance(session, "XRD", a.created_at)] == [b.id]
    fixed = supersede_label(session, b.id, outcome="multi")
    assert [lb.id for lb in current_labels_with_provenance(session, "XRD")] == [fixed.id, a.id]


def test_round_place_names_campaign_and_index(session) -> None:  # noqa: ANN001
    create_campaign(session, "place", {"palette": ["Co", "Cr", "Ni"]})
    rnd = start_round(session, "place", data_hash="ab" * 32, seed=1)
    assert round_place(session, rnd.id) == ("place", 0)
    with pytest.raises(NotFound, match="no round #999999"):
        round_place(session, 999999)
