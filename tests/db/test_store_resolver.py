"""The training-label policy: experiment > calphad > literature, newest within a source,
unresolved conflicts excluded, and a reason for every alloy."""

from __future__ import annotations

from alloyloop.db.labels import add_label, supersede_label
from alloyloop.db.resolver import resolve_alloy, resolve_all, training_frame


def _lit(session, comp: str, outcome: str, **kw):  # noqa: ANN001, ANN202
    return add_label(session, composition=comp, outcome=outcome, source="literature", **kw)


def test_higher_source_overrides_lower_and_says_so(session) -> None:  # noqa: ANN001
    lit = _lit(session, "CoCrFeMnNi", "multi")
    calc = add_label(session, composition="CoCrFeMnNi", outcome="single", phases="FCC", source="calphad")
    res = resolve_alloy(session, "CoCrFeMnNi")
    assert (res.outcome, res.source, res.label_id, res.phases) == ("single", "calphad", calc.id, ["FCC"])
    assert res.reason.startswith("calphad: 1 agreeing label")
    assert f"overrides disagreeing literature (#{lit.id})" in res.reason
    exp = add_label(session, composition="CoCrFeMnNi", outcome="multi", phases="FCC+sigma",
                    source="experiment", method="XRD", processing="annealed 700C 500h", entered_by="alice")
    res = resolve_alloy(session, "CoCrFeMnNi")
    assert (res.outcome, res.source, res.label_id) == ("multi", "experiment", exp.id)
    assert f"#{exp.id} multi (XRD, annealed 700 °C 500 h, by alice" in res.reason
    assert f"overrides disagreeing calphad (#{calc.id})" in res.reason  # the agreeing literature label is not listed
    assert f"#{lit.id}" not in res.reason


def test_newest_agreeing_label_within_the_source_is_cited(session) -> None:  # noqa: ANN001
    older = add_label(session, composition="NbMoTaW", outcome="single", phases="BCC", source="experiment",
                      method="XRD")
    newer = add_label(session, composition="NbMoTaW", outcome="single", source="experiment", method="SEM")
    res = resolve_alloy(session, "NbMoTaW")
    assert res.label_id == newer.id and res.label_id != older.id
    assert res.reason.startswith("experiment: 2 agreeing labels, newest")


def test_unresolved_conflict_in_the_top_source_is_excluded_with_both_cited(session) -> None:  # noqa: ANN001
    a = add_label(session, composition="AlCoCrFeNi", outcome="single", source="experiment", method="XRD",
                  entered_by="alice")
    b = add_label(session, composition="AlCoCrFeNi", outcome="multi", source="experiment", method="TEM",
                  entered_by="bob")
    _lit(session, "AlCoCrFeNi", "multi")
    res = resolve_alloy(session, "AlCoCrFeNi")
    assert not res.included and res.outcome is None
    assert res.reason.startswith("excluded: unresolved conflict within experiment")
    assert f"#{a.id} single" in res.reason and f"#{b.id} multi" in res.reason
    assert "supersede the wrong label" in res.reason
    # resolving it by correcting one label brings the alloy back
    supersede_label(session, a.id, outcome="multi", note="re-read the pattern")
    res = resolve_alloy(session, "AlCoCrFeNi")
    assert res.outcome == "multi" and res.included


def test_conflict_in_a_lower_source_does_not_matter_when_a_higher_one_decides(session) -> None:  # noqa: ANN001
    _lit(session, "CoCrNi", "single")
    _lit(session, "CoCrNi", "multi")
    assert not resolve_alloy(session, "CoCrNi").included  # literature alone: conflict
    add_label(session, composition="CoCrNi", outcome="single", source="calphad")
    res = resolve_alloy(session, "CoCrNi")
    assert res.outcome == "single" and "overrides disagreeing literature" in res.reason


def test_all_superseded_or_unknown(session) -> None:  # noqa: ANN001
    assert resolve_alloy(session, "FeNi") is None  # never labelled
    first = _lit(session, "FeNi", "single")
    supersede_label(session, first.id, composition="Fe2Ni")  # moved to another alloy
    res = resolve_alloy(session, "FeNi")
    assert not res.included and res.reason == "excluded: no current label (all 1 superseded)"
    assert resolve_alloy(session, "Fe2Ni").included


def test_every_alloy_gets_a_resolution_and_the_frame_keeps_only_included(session) -> None:  # noqa: ANN001
    _lit(session, "CoCrFeMnNi", "single", phases="FCC")
    _lit(session, "AlCoCrFeNi", "single")
    _lit(session, "AlCoCrFeNi", "multi")
    _lit(session, "Al2CoCrFeNi", "multi")
    results = {r.key: r for r in resolve_all(session)}
    assert len(results) == 3 and all(r.reason for r in results.values())
    frame = training_frame(session)
    assert sorted(frame["key"]) == sorted(k for k, r in results.items() if r.included)
    assert frame.set_index("key")["single_phase"].to_dict() == {
        "Co0.2Cr0.2Fe0.2Mn0.2Ni0.2": True, "Al0.3333Co0.1667Cr0.1667Fe0.1667Ni0.1667": False}
    assert abs(sum(frame["fractions"].iloc[0].values()) - 1) < 1e-9
    full = training_frame(session, include_excluded=True)
    assert len(full) == 3 and full["single_phase"].isna().sum() == 1


def test_snapshot_hash_follows_the_training_content(session) -> None:  # noqa: ANN001
    from alloyloop.db.campaigns import SuggestionInput, add_suggestions, create_campaign, start_round
    from alloyloop.db.lifecycle import transition
    from alloyloop.db.snapshot import take_snapshot

    _lit(session, "CoCrFeMnNi", "single")
    create_campaign(session, "c1")
    rnd = start_round(session, "c1")
    first = take_snapshot(session, "c1")
    assert len(first.data_hash) == 64 and take_snapshot(session, "c1").data_hash == first.data_hash
    _lit(session, "CoCrFeMnNi", "single", repeat=True)  # agrees (a repeat): same training content, same hash
    assert take_snapshot(session, "c1").data_hash == first.data_hash
    _lit(session, "AlCoCrFeNi", "multi")  # a new training alloy
    second = take_snapshot(session, "c1")
    assert second.data_hash != first.data_hash and len(second.labelled) == 2
    sug = add_suggestions(session, rnd.id, [SuggestionInput("NbMoTaW", "screen")])[0]
    assert take_snapshot(session, "c1").data_hash == second.data_hash  # suggested is not pending yet
    transition(session, sug.id, "queued")
    third = take_snapshot(session, "c1")
    assert [p.alloy_key for p in third.pending] == [sug.alloy_key] and third.data_hash != second.data_hash
