"""Campaigns, rounds, model versions, suggestions and the suggestion lifecycle."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from alloyloop.db.campaigns import (
    SuggestionInput,
    add_report,
    add_suggestions,
    attach_model,
    create_campaign,
    finish_round,
    get_campaign,
    list_suggestions,
    pending_suggestions,
    register_model_version,
    reports,
    rounds,
    running_round,
    set_campaign_status,
    start_round,
)
from alloyloop.db.errors import AlreadyExists, IllegalTransition, InvalidValue, NotFound
from alloyloop.db.labels import add_label
from alloyloop.db.lifecycle import history, label_suggestion, mark_stale, transition
from alloyloop.db.status import TRANSITIONS, SuggestionStatus

S = SuggestionStatus
# a shortest path from "suggested" to every status
PATHS = {
    S.SUGGESTED: [],
    S.QUEUED: [S.QUEUED],
    S.SYNTHESIZED: [S.QUEUED, S.SYNTHESIZED],
    S.LABELLED: [S.QUEUED, S.SYNTHESIZED, S.LABELLED],
    S.FAILED: [S.QUEUED, S.FAILED],
    S.ABANDONED: [S.ABANDONED],
    S.STALE: [S.STALE],
}


def _round(session, name: str = "hea-2026"):  # noqa: ANN001, ANN202
    create_campaign(session, name, {"palette": ["Co", "Cr", "Fe", "Mn", "Ni"], "batch": 4})
    return start_round(session, name, data_hash="ab" * 32, seed=7)


def _suggest(session, round_id: int, comps: list[str]):  # noqa: ANN001, ANN202
    return add_suggestions(session, round_id, [
        SuggestionInput(c, "latent-ucb", p_single=0.8, interval=(0.7, 0.9), prediction_set=["single"],
                        in_domain=True, acquisition=1.5,
                        extra={"latent": [0.1, -0.2], "repair_distance": 0.01, "nearest": "CoCrFeMnNi"})
        for c in comps], by="agent")


def _drive(session, suggestion, path: list[S]) -> None:  # noqa: ANN001
    for status in path:
        if status is S.LABELLED:  # storing a label closes the suggestion (db.suggestion_links)
            label = add_label(session, composition=suggestion.alloy_key, outcome="single",
                              source="experiment", method="XRD")
            assert history(session, suggestion.id)[-1].to_status == "labelled"
            assert f"closed by label #{label.id}" in history(session, suggestion.id)[-1].note
        else:
            transition(session, suggestion.id, status, by="lab")


def test_campaign_round_model_suggestion_report_records(session, tmp_path: Path) -> None:  # noqa: ANN001
    rnd = _round(session)
    assert (rnd.index, rnd.status, rnd.seed, rnd.data_hash) == (0, "running", 7, "ab" * 32)
    assert rnd.started_at.utcoffset().total_seconds() == 0
    assert get_campaign(session, "hea-2026").spec["batch"] == 4
    with pytest.raises(AlreadyExists, match="'hea-2026' exists"):
        create_campaign(session, "hea-2026")
    with pytest.raises(InvalidValue, match="round 0 of 'hea-2026' is still running"):
        start_round(session, "hea-2026")
    assert running_round(session, "hea-2026").id == rnd.id  # found again after a crash

    ckpt = tmp_path / "dvae.pt"
    ckpt.write_bytes(b"weights")
    mv = register_model_version(session, "dvae", ckpt, config={"latent": 8}, metrics={"bacc": 0.9})
    assert mv.sha256 == hashlib.sha256(b"weights").hexdigest()
    with pytest.raises(InvalidValue, match="64 hex digits"):
        register_model_version(session, "dvae", "elsewhere.pt", sha256="not-a-hash")
    assert attach_model(session, rnd.id, mv.id).model_version_id == mv.id

    made = _suggest(session, rnd.id, ["CoCrFeMnNi", "Al0.3CoCrFeNi"])
    assert [s.status for s in made] == ["suggested", "suggested"]
    assert made[0].extra["nearest"] == "CoCrFeMnNi" and made[0].prediction_set == ["single"]
    assert (made[0].interval_low, made[0].interval_high, made[0].in_domain) == (0.7, 0.9, True)
    with pytest.raises(InvalidValue, match="already suggested in this round"):
        _suggest(session, rnd.id, ["Co20Cr20Fe20Mn20Ni20"])
    with pytest.raises(InvalidValue, match="between 0 and 1"):
        add_suggestions(session, rnd.id, [SuggestionInput("FeNi", "screen", p_single=1.5)])
    with pytest.raises(InvalidValue, match="prediction_set 'maybe'"):
        add_suggestions(session, rnd.id, [SuggestionInput("FeNi", "screen", prediction_set=["maybe"])])
    assert len(list_suggestions(session, round_id=rnd.id)) == 2  # the refused batches left nothing

    rep = add_report(session, rnd.id, tmp_path / "round0.html", kind="shap")
    assert [r.id for r in reports(session, rnd.id)] == [rep.id]
    done = finish_round(session, rnd.id)
    assert done.status == "completed" and done.finished_at >= done.started_at
    with pytest.raises(InvalidValue, match="add suggestions to a running round"):
        _suggest(session, rnd.id, ["FeNi"])
    nxt = start_round(session, "hea-2026")
    assert nxt.index == 1 and [r.index for r in rounds(session, "hea-2026")] == [0, 1]
    set_campaign_status(session, "hea-2026", "paused")
    finish_round(session, nxt.id, "failed")
    with pytest.raises(InvalidValue, match="set campaign 'hea-2026' to active"):
        start_round(session, "hea-2026")
    with pytest.raises(NotFound, match="no campaign named 'nope'"):
        start_round(session, "nope")


def test_happy_path_and_audit_trail(session) -> None:  # noqa: ANN001
    rnd = _round(session)
    s = _suggest(session, rnd.id, ["CoCrFeMnNi"])[0]
    transition(session, s.id, "queued", by="carol", note="batch 12")
    assert [p.id for p in pending_suggestions(session, "hea-2026")] == [s.id]
    transition(session, s.id, "synthesized", by="carol")
    done, label = label_suggestion(session, s.id, outcome="single", phases="FCC", source="experiment",
                                   method="XRD", entered_by="dave", note="clean FCC")
    assert done.status == "labelled" and done.label_id == label.id and label.alloy_key == s.alloy_key
    assert pending_suggestions(session, "hea-2026") == []
    events = history(session, s.id)
    assert [(e.from_status, e.to_status, e.by) for e in events] == [
        (None, "suggested", "agent"), ("suggested", "queued", "carol"),
        ("queued", "synthesized", "carol"), ("synthesized", "labelled", "dave")]
    assert events[1].note == "batch 12"
    assert all(a.at <= b.at for a, b in zip(events, events[1:]))


@pytest.mark.parametrize("start", list(S), ids=lambda s: s.value)
def test_every_transition_is_allowed_or_refused_clearly(session, start: S) -> None:  # noqa: ANN001
    rnd = _round(session)
    targets = list(S)
    made = _suggest(session, rnd.id, [f"Fe{i + 1}Ni" for i in range(len(targets))])
    for sug, target in zip(made, targets):
        _drive(session, sug, PATHS[start])
        before = len(history(session, sug.id))
        if target in TRANSITIONS[start] and target is not S.LABELLED:
            assert transition(session, sug.id, target).status == target.value
            assert history(session, sug.id)[-1].to_status == target.value
        elif target is S.LABELLED and target in TRANSITIONS[start]:
            with pytest.raises(InvalidValue, match="cites its label"):
                transition(session, sug.id, target)
        else:
            with pytest.raises(IllegalTransition) as info:
                transition(session, sug.id, target)
            msg = str(info.value)
            assert f"is '{start.value}' and cannot become '{target.value}'" in msg
            allowed = ", ".join(s.value for s in TRANSITIONS[start]) or f"none ('{start.value}' is final)"
            assert msg.endswith(f"allowed next: {allowed}")
            assert list_suggestions(session, round_id=rnd.id)[targets.index(target)].status == start.value
            assert len(history(session, sug.id)) == before  # a refused move leaves no trace


def test_labelled_needs_a_label_of_the_same_alloy(session) -> None:  # noqa: ANN001
    rnd = _round(session)
    a, b = _suggest(session, rnd.id, ["CoCrFeMnNi", "CoCrFeNi"])
    _drive(session, a, [S.QUEUED, S.SYNTHESIZED])
    other = add_label(session, composition="CoCrFeNi", outcome="single", source="literature")
    with pytest.raises(InvalidValue, match="label of the suggested alloy"):
        transition(session, a.id, "labelled", label_id=other.id)
    # the literature label closed b (straight to labelled: it was not made in the lab)
    assert [(e.from_status, e.to_status) for e in history(session, b.id)][1:] == [("suggested", "labelled")]
    with pytest.raises(IllegalTransition, match="is 'labelled' and cannot become 'labelled'"):
        label_suggestion(session, b.id, outcome="single", source="experiment", method="XRD")
    with pytest.raises(InvalidValue, match="status 'done'.*suggested, queued"):
        transition(session, a.id, "done")
    # the refused label_suggestion stored no label
    from alloyloop.db.labels import labels_for

    assert [lb.id for lb in labels_for(session, "CoCrFeNi")] == [other.id]


def test_an_experiment_label_closes_only_a_made_suggestion_by_hand(session) -> None:  # noqa: ANN001
    """transition(…, "labelled") by hand: an experiment label needs ``synthesized`` first
    (it means the alloy was made); a literature label does not."""
    exp = add_label(session, composition="CoCrNi", outcome="single", source="experiment", method="XRD")
    lit = add_label(session, composition="FeNi", outcome="single", source="literature")
    rnd = _round(session)
    a, b = _suggest(session, rnd.id, ["CoCrNi", "FeNi"])  # labels stored before: nothing closed them
    transition(session, a.id, "queued")
    with pytest.raises(InvalidValue, match=f"label {exp.id} is an experiment label, so the alloy was made: "
                                           f"mark suggestion {a.id} synthesized first"):
        transition(session, a.id, "labelled", label_id=exp.id)
    transition(session, a.id, "synthesized")
    assert transition(session, a.id, "labelled", label_id=exp.id).label_id == exp.id
    assert transition(session, b.id, "labelled", label_id=lit.id).status == "labelled"


def test_mark_stale_only_touches_untouched_suggestions(session) -> None:  # noqa: ANN001
    rnd = _round(session)
    a, b, c = _suggest(session, rnd.id, ["CoCrFeMnNi", "CoCrFeNi", "CoCrNi"])
    transition(session, b.id, "queued")
    transition(session, c.id, "abandoned", note="too expensive")
    stale = mark_stale(session, rnd.id, by="agent")
    assert [s.id for s in stale] == [a.id]
    status = {s.id: s.status for s in list_suggestions(session, round_id=rnd.id)}
    assert status == {a.id: "stale", b.id: "queued", c.id: "abandoned"}
    assert history(session, a.id)[-1].note == "a newer round was started"
