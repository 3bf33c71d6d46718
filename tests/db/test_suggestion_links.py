"""Issue 28 items 1, 2 and 12 at the store: every label closes the open suggestions of its
alloy (any route, any campaign), hits follow the current label (corrections count), and a
computed or copied label never records "synthesized" (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alloyloop.agent.calphad.csv_import import import_calphad_csv
from alloyloop.agent.campaign_ops import summarize_round
from alloyloop.agent.labelers import LabelResult
from alloyloop.agent.labelers.apply import apply_labels
from alloyloop.db.audit import add_label_audited, audit_entries
from alloyloop.db.campaigns import SuggestionInput, add_suggestions, create_campaign, list_suggestions, rounds, start_round
from alloyloop.db.current_labels import suggestion_labels
from alloyloop.db.errors import InvalidValue
from alloyloop.db.label_import import import_labels_csv
from alloyloop.db.labels import add_label, supersede_label
from alloyloop.db.lifecycle import history, label_suggestion, mark_stale, transition
from alloyloop.db.resolver import training_frame
from alloyloop.db.label_list import LabelQuery, campaign_label_ids, search_labels

MADE = [("suggested", "queued"), ("queued", "synthesized"), ("synthesized", "labelled")]


def _campaign(session, name: str, comps: list[str]):  # noqa: ANN001, ANN202
    create_campaign(session, name, {"palette": ["Al", "Co", "Cr", "Fe", "Mn", "Ni"]})
    rnd = start_round(session, name, data_hash="ab" * 32, seed=1)
    return add_suggestions(session, rnd.id, [SuggestionInput(c, "screen", p_single=0.5) for c in comps],
                           by="agent")


def _moves(session, suggestion_id: int) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(e.from_status, e.to_status) for e in history(session, suggestion_id)][1:]


def _status(session, suggestion_id: int):  # noqa: ANN001, ANN202
    return next(s for s in list_suggestions(session) if s.id == suggestion_id)


def test_every_store_route_closes_the_open_suggestion(session, tmp_path: Path) -> None:  # noqa: ANN001
    a, b, c, d, e = _campaign(session, "routes", ["CoCrFeMnNi", "CoCrFeNi", "CoCrNi", "FeNi", "CoFeNi"])
    made = add_label(session, composition="Co20Cr20Fe20Mn20Ni20", outcome="single", phases="FCC",
                     source="experiment", method="XRD", entered_by="alice")  # `label add`, any notation
    assert (_status(session, a.id).status, _status(session, a.id).label_id) == ("labelled", made.id)
    assert _moves(session, a.id) == MADE  # an experiment label: the alloy was made
    events = history(session, a.id)
    assert events[-1].note == f"closed by label #{made.id} (experiment, XRD: single FCC)"
    assert events[1].note.startswith(f"implied by label #{made.id}") and events[-1].by == "alice"

    csv = tmp_path / "labels.csv"
    csv.write_text("composition,outcome,phases,source,method\nCoCrFeNi,multi,FCC+BCC,experiment,SEM\n",
                   encoding="utf-8")
    report = import_labels_csv(session, csv)  # `label import` and the web CSV import
    assert report.stored and _status(session, b.id).label_id == report.preview[0].label_id
    assert _moves(session, b.id) == MADE

    calphad = tmp_path / "calphad.csv"
    calphad.write_text("composition,temperature,phase_fractions\nCoCrNi,1273,FCC_A1=1.0\n", encoding="utf-8")
    assert import_calphad_csv(session, calphad, database="TCHEA5").stored  # `label import-calphad`
    assert _moves(session, c.id) == [("suggested", "labelled")]  # computed: never "synthesized"
    assert history(session, c.id)[-1].note.endswith("calphad, not made in the lab")

    done, label = label_suggestion(session, d.id, outcome="multi", source="literature")  # the suggestion form
    assert done.label_id == label.id and _moves(session, d.id) == [("suggested", "labelled")]
    assert f"entered for suggestion #{d.id}" in history(session, d.id)[-1].note

    transition(session, e.id, "queued")
    logged = add_label_audited(session, actor="lee", composition="CoFeNi", outcome="single",
                               source="experiment", method="XRD")  # web form, API, XRD page
    assert _status(session, e.id).label_id == logged.id
    moves = [(x.before, x.after) for x in audit_entries(session, target_type="suggestion", target_ids=[e.id])]
    assert moves[::-1] == [({"status": "queued"}, {"status": "synthesized"}),
                           ({"status": "synthesized"}, {"status": "labelled"})]  # in the audit log too


def test_a_label_closes_every_campaigns_open_suggestion_not_stale_or_abandoned(session) -> None:  # noqa: ANN001
    (x,) = _campaign(session, "x", ["CoCrFeMnNi"])
    (y,) = _campaign(session, "y", ["CoCrFeMnNi"])
    (f,) = _campaign(session, "f", ["CoCrFeMnNi"])
    (z,) = _campaign(session, "z", ["CoCrFeMnNi"])
    (w,) = _campaign(session, "w", ["CoCrFeMnNi"])
    transition(session, y.id, "queued")
    transition(session, f.id, "queued")
    transition(session, f.id, "failed", note="cracked")
    mark_stale(session, rounds(session, "z")[0].id)
    transition(session, w.id, "abandoned")
    label = add_label(session, composition="CoCrFeMnNi", outcome="single", source="experiment", method="XRD")
    status = {s.id: (s.status, s.label_id) for s in list_suggestions(session)}
    assert status == {x.id: ("labelled", label.id), y.id: ("labelled", label.id), f.id: ("labelled", label.id),
                      z.id: ("stale", None), w.id: ("abandoned", None)}
    assert _moves(session, f.id)[-3:] == [("failed", "queued"), ("queued", "synthesized"), ("synthesized", "labelled")]
    for name in ("x", "y", "f"):  # one alloy made answers every campaign that asked: each counts the hit
        assert summarize_round(session, rounds(session, name)[0], target="single").hits == 1
    assert summarize_round(session, rounds(session, "z")[0], target="single").hits == 0


def test_a_simulated_label_closes_only_its_own_campaigns_suggestions(session) -> None:  # noqa: ANN001
    (x,) = _campaign(session, "x", ["CoCrFeMnNi"])
    (y,) = _campaign(session, "y", ["CoCrFeMnNi"])
    applied = apply_labels(session, x.round_id, [LabelResult(
        suggestion_id=x.id, outcome="single", phases=("FCC",), source="literature", method="unreported",
        external_id=f"replay/x/{x.id}", note="replayed")], by="replay labeler")
    assert applied.labelled == 1
    assert _moves(session, x.id) == [("suggested", "queued"), ("queued", "labelled")]  # replayed: not made
    assert _status(session, y.id).status == "suggested"  # y ignores x's simulation
    with pytest.raises(InvalidValue, match="closes suggestions of its own campaign only"):
        label_suggestion(session, y.id, outcome="single", source="literature", external_id="replay/x/999")
    assert _status(session, y.id).status == "suggested"


def test_a_correction_flips_the_hit_everywhere(session) -> None:  # noqa: ANN001
    a, b = _campaign(session, "fix", ["CoCrFeMnNi", "CoCrFeNi"])
    _, first = label_suggestion(session, a.id, outcome="single", phases="FCC", source="experiment", method="XRD")
    _, other = label_suggestion(session, b.id, outcome="single", source="experiment", method="XRD")
    rnd = rounds(session, "fix")[0]
    assert summarize_round(session, rnd, target="single").hits == 2
    fixed = supersede_label(session, first.id, outcome="multi", phases="FCC+BCC", note="second look")
    assert _status(session, a.id).label_id == first.id  # the suggestion keeps the label that closed it …
    assert suggestion_labels(session, list_suggestions(session))[a.id].id == fixed.id  # … read as current
    assert summarize_round(session, rnd, target="single").hits == 1
    frame = training_frame(session)  # what the next round trains on: the correction too
    assert frame.set_index("key").loc[a.alloy_key, "outcome"] == "multi"
    again = supersede_label(session, fixed.id, outcome="single", phases="FCC")
    assert summarize_round(session, rnd, target="single").hits == 2  # a chain of corrections: the newest counts
    assert set(campaign_label_ids(session, "fix")) == {first.id, fixed.id, again.id, other.id}
    current = search_labels(session, LabelQuery(campaign="fix", state="current"))
    assert {lb.id for lb in current.labels} == {again.id, other.id} and current.total == 2
    moved = supersede_label(session, other.id, composition="CoCrNi")  # the sample was another alloy
    assert b.id not in suggestion_labels(session, list_suggestions(session))
    assert summarize_round(session, rnd, target="single").hits == 1 and moved.alloy_key == "Co0.3333Cr0.3333Ni0.3333"


def test_a_calphad_or_literature_label_on_a_suggestion_records_no_synthesis(session) -> None:  # noqa: ANN001
    a, b, c = _campaign(session, "comp", ["CoCrFeMnNi", "CoCrFeNi", "CoCrNi"])
    transition(session, b.id, "queued")
    transition(session, c.id, "queued")
    transition(session, c.id, "synthesized")
    label_suggestion(session, a.id, outcome="single", source="calphad", method="CALPHAD")
    label_suggestion(session, b.id, outcome="multi", source="literature")
    label_suggestion(session, c.id, outcome="single", source="calphad")  # made, then computed: as it was
    assert _moves(session, a.id) == [("suggested", "labelled")]
    assert _moves(session, b.id) == [("suggested", "queued"), ("queued", "labelled")]
    assert _moves(session, c.id)[-1] == ("synthesized", "labelled")
    for s in (a, b):
        assert "synthesized" not in {e.to_status for e in history(session, s.id)}


def test_a_structure_target_counts_only_labels_of_its_structure(session) -> None:  # noqa: ANN001
    """A hit is what the campaign's target says (alloyloop.models.target.is_hit): for BCC,
    a single-phase FCC label or a single-phase label naming no structure is no hit."""
    a, b, c, d = _campaign(session, "bcc", ["CoCrFeMnNi", "CoCrFeNi", "CoCrNi", "FeNi"])
    label_suggestion(session, a.id, outcome="single", phases="BCC", source="experiment", method="XRD")
    label_suggestion(session, b.id, outcome="single", phases="FCC", source="experiment", method="XRD")
    label_suggestion(session, c.id, outcome="single", source="experiment", method="XRD")
    label_suggestion(session, d.id, outcome="multi", phases="BCC+FCC", source="experiment", method="XRD")
    rnd = rounds(session, "bcc")[0]
    assert summarize_round(session, rnd, target="BCC").hits == 1
    assert summarize_round(session, rnd, target="FCC").hits == 1
    assert summarize_round(session, rnd, target="single").hits == 3
