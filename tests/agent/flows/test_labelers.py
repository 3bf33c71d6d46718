"""The replay oracle's rule, what a campaign trains on, and the demo's setup."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.labelers import Labeler, build_labeler
from alloyloop.agent.labelers.lab import LabLabeler
from alloyloop.agent.labelers.replay import ReplayOracle, hidden_alloys
from alloyloop.agent.training_data import campaign_labels, stratified_split
from alloyloop.campaigns.bundled import load_example
from alloyloop.db.records import SuggestionRecord
from alloyloop.featurize.corpus import load_labelled

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _suggestion(id_: int, key: str) -> SuggestionRecord:
    return SuggestionRecord(id=id_, round_id=1, alloy_id=id_, alloy_key=key, strategy="screen",
                            p_single=0.5, interval_low=None, interval_high=None, prediction_set=None,
                            in_domain=True, acquisition=0.5, status="suggested", label_id=None,
                            extra={}, created_at=NOW, updated_at=NOW)


def _oracle() -> ReplayOracle:
    hidden = pd.DataFrame({
        "key": ["Co0.25Cr0.25Fe0.25Ni0.25", "Co0.5Ni0.5", "Cr0.2Fe0.4Ni0.4"],
        "fractions": [{"Co": .25, "Cr": .25, "Fe": .25, "Ni": .25}, {"Co": .5, "Ni": .5},
                      {"Cr": .2, "Fe": .4, "Ni": .4}],
        "single_phase": [True, True, False],
        "phase4": ["FCC", "FCC", "multi-phase"],
    })
    return ReplayOracle(campaign="c", hidden=hidden, palette=("Co", "Cr", "Fe", "Ni"), step=0.05,
                        tolerance=0.1)


def test_replay_rule_match_proxy_or_fail() -> None:
    oracle = _oracle()
    assert isinstance(oracle, Labeler) and isinstance(LabLabeler(), Labeler)
    results = oracle.label([
        _suggestion(1, "Co0.27Cr0.24Fe0.25Ni0.24"),  # within one step of CoCrFeNi: match
        _suggestion(2, "Cr0.25Fe0.35Ni0.4"),          # 0.05 of atoms from the multi one: proxy
        _suggestion(3, "Co0.4Cr0.6"),                 # nothing hidden within 0.1: no label
    ])
    match, proxy, fail = results
    assert (match.outcome, match.phases, match.source, match.method) == ("single", ("FCC",), "literature", "unreported")
    assert match.external_id == "replay/c/1" and "match (within one step)" in match.provenance
    assert "Co0.25Cr0.25Fe0.25Ni0.25" in match.provenance
    assert (proxy.outcome, proxy.phases) == ("multi", ())
    assert "proxy" in proxy.provenance and "distance 0.050" in proxy.provenance
    assert fail.outcome is None and "no hidden alloy within tolerance 0.1" in fail.note
    assert LabLabeler().label([_suggestion(1, "Co0.5Ni0.5")]) == []


def test_hidden_set_is_seeded_and_inside_the_design_space() -> None:
    corpus = load_labelled()
    space = DesignSpace(palette=("Co", "Cr", "Fe", "Mn", "Ni"), min_elements=3, step=0.05)
    a = hidden_alloys(corpus, space, 0.3, seed=1)
    b = hidden_alloys(corpus, space, 0.3, seed=1)
    c = hidden_alloys(corpus, space, 0.3, seed=2)
    assert a["key"].tolist() == b["key"].tolist() != c["key"].tolist()
    assert a["fractions"].map(lambda f: set(f) <= set(space.palette) and len(f) >= 3).all()
    assert a["single_phase"].notna().all() and not a["has_conflict"].any()
    eligible = corpus["fractions"].map(lambda f: set(f) <= set(space.palette) and len(f) >= 3) \
        & corpus["single_phase"].notna() & ~corpus["has_conflict"]
    assert len(a) == round(0.3 * eligible.sum())
    demo = build_labeler(load_example("demo").labeler, load_example("demo"))
    assert isinstance(demo, ReplayOracle) and len(demo.hidden_keys) > 100


def test_campaign_trains_on_its_palette_minus_hidden_and_foreign_simulated_labels() -> None:
    frame = pd.DataFrame({
        "key": ["A", "B", "C", "D", "E", "F"],
        "fractions": [{"Co": .5, "Ni": .5}, {"Co": .5, "Ni": .5}, {"Co": .5, "Ni": .5},
                      {"Co": .5, "Ni": .5}, {"Al": .5, "Ni": .5}, {"Co": 1.0}],
        "single_phase": pd.array([True, False, True, True, True, False], dtype="boolean"),
        "label_id": [1, 2, 3, 4, 5, 6],
    })
    kept, n_hidden = campaign_labels(frame, ("Co", "Ni"), "mine", hidden_keys={"B", "C"},
                                     simulated_owner={3: "mine", 4: "other"})
    # A: plain; B: hidden; C: hidden but revealed by my oracle; D: another campaign's
    # simulated label; E: outside the palette; F: plain
    assert kept["key"].tolist() == ["A", "C", "F"] and n_hidden == 1


def test_stratified_split_is_seeded_and_keeps_both_classes() -> None:
    y = np.array([0] * 30 + [1] * 10)
    train, val = stratified_split(y, 0.2, seed=4)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(40))
    assert (y[val] == 0).sum() == 6 and (y[val] == 1).sum() == 2
    assert np.array_equal(val, stratified_split(y, 0.2, seed=4)[1])


def test_demo_setup_is_safe_to_repeat(sqlite_store: str) -> None:
    from alloyloop.agent.campaign_ops import spec_of
    from alloyloop.agent.demo import prepare_demo
    from alloyloop.db.session import store_session

    with store_session(sqlite_store) as s:
        first = prepare_demo(s)
        second = prepare_demo(s)
        assert (first.campaign, second.campaign) == ("demo", "demo-2")
        assert first.corpus_labels_created == second.corpus_labels_created == 0  # already there
        assert first.hidden == second.hidden > 100
        one, two = spec_of(s, "demo"), spec_of(s, "demo-2")
    assert dataclasses.replace(two, name="demo") == one == load_example("demo")
    with pytest.raises(KeyError, match="use one of alcocrni-calphad, cantor-fcc, demo, refractory-bcc"):
        load_example("nope")


@pytest.mark.parametrize("name", ["demo", "cantor-fcc"])
def test_labelers_tell_the_flow_what_to_train_on_through_the_protocol(name: str) -> None:
    spec = load_example(name)
    labeler = build_labeler(spec.labeler, spec)
    assert isinstance(labeler, Labeler)
    view = labeler.training_view
    if isinstance(labeler, ReplayOracle):  # the demo: hidden alloys, the start share and its seed
        assert view.hidden_keys == labeler.hidden_keys and len(view.hidden_keys) > 100
        expected_seed = spec.seed if spec.labeler.seed is None else spec.labeler.seed
        assert (view.start_fraction, view.start_seed) == (spec.labeler.start_fraction, expected_seed)
    else:  # people label what they are given: train on everything
        assert view.hidden_keys == frozenset() and view.start_fraction == 1.0
