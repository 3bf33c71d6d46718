"""The p(single) a campaign records is calibrated on its own labelled suggestions (issues
#32, #30): a real lab campaign (real store, real DVAE, real flows) whose first batch all
came back multi-phase records p below its model's in the next round, and the reverse;
with no own label the recorded p is the model's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit, logit

from alloyloop.agent.campaign_calibration import (
    calibrated_inputs, fit_calibration, own_record, raw_p,
)
from alloyloop.agent.campaign_ops import create_from_spec
from alloyloop.agent.discovery import labelled_suggestions
from alloyloop.agent.flows import run_campaign
from alloyloop.campaigns.errors import SpecError
from alloyloop.campaigns.spec import parse_spec
from alloyloop.db.campaigns import SuggestionInput, add_suggestions, list_suggestions, rounds, start_round
from alloyloop.db.labels import add_label
from alloyloop.db.session import store_session
from alloyloop.models.target import SINGLE


def _label_first_round(url: str, name: str, outcome: str) -> list:
    with store_session(url) as s:
        batch = list_suggestions(s, round_id=rounds(s, name)[0].id)
        for b in batch:
            add_label(s, composition=b.alloy_key, outcome=outcome,
                      phases="FCC" if outcome == "single" else None, source="experiment",
                      method="XRD", entered_by="alice")
    return batch


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("outcome", ["multi", "single"])
def test_the_next_round_records_p_moved_towards_the_labels(sqlite_store: str, home: Path,
                                                           spec_dict, outcome: str) -> None:  # noqa: ANN001
    name = f"cal-{outcome}"
    with store_session(sqlite_store) as s:
        create_from_spec(s, parse_spec(spec_dict(name, labeler="lab")))
    run_campaign(name, 1, sqlite_store, str(home))
    first = _label_first_round(sqlite_store, name, outcome)
    for b in first:  # no own label yet: the recorded p is the model's, exactly
        assert b.extra["p_model"] == b.p_single
        assert b.extra["calibration"]["pairs"] == 0 and b.extra["calibration"]["offset"] == 0.0
    run_campaign(name, 1, sqlite_store, str(home))
    with store_session(sqlite_store) as s:
        second = list_suggestions(s, round_id=rounds(s, name)[1].id)
    assert second
    for b in second:
        fit = b.extra["calibration"]
        assert fit["pairs"] == len(first) and fit["hits"] == (len(first) if outcome == "single" else 0)
        assert fit["mean_p_model"] == pytest.approx(np.mean([b.p_single for b in first]))
        p_model = b.extra["p_model"]
        assert 0.0 < p_model < 1.0
        assert b.p_single == pytest.approx(expit(fit["slope"] * logit(p_model) + fit["offset"]))
    # the map moves the first batch's own p's (the pairs it was fitted on) towards its labels
    fit = second[0].extra["calibration"]
    first_p = np.array([b.p_single for b in first])
    moved = expit(fit["slope"] * logit(first_p) + fit["offset"])
    recorded, model = np.mean([b.p_single for b in second]), np.mean([b.extra["p_model"] for b in second])
    if outcome == "multi":
        assert fit["offset"] < 0 and moved.mean() < first_p.mean() and recorded < model
    else:
        assert fit["offset"] > 0 and moved.mean() > first_p.mean() and recorded > model


def _first_round(session, spec_dict, name: str, items: list[SuggestionInput]) -> None:  # noqa: ANN001
    """A lab campaign ``name`` whose round 0 stored ``items``."""
    create_from_spec(session, parse_spec(spec_dict(name, "lab")))
    add_suggestions(session, start_round(session, name, data_hash="h0", seed=1).id, items)


def test_raw_p_is_fitted_not_the_recorded_one(fresh_store, spec_dict) -> None:  # noqa: ANN001
    url = fresh_store("sqlite")
    with store_session(url) as s:
        _first_round(s, spec_dict, "raw", [
            SuggestionInput("Co50Ni50", "screen", p_single=0.2, extra={"p_model": 0.9}),
            SuggestionInput("Cr20Fe40Ni40", "screen", p_single=0.7),  # stored before calibration
            SuggestionInput("Fe50Ni50", "screen", p_single=0.6),      # not labelled
            SuggestionInput("Co20Cr40Ni40", "screen")])               # no p stored
        for key, outcome in (("Co50Ni50", "multi"), ("Cr20Fe40Ni40", "single"), ("Co20Cr40Ni40", "single")):
            add_label(s, composition=key, outcome=outcome, source="experiment", method="XRD",
                      entered_by="alice")
        stored = list_suggestions(s, campaign="raw")
        labelled = labelled_suggestions(s, "raw", SINGLE)
    assert [raw_p(b) for b in stored] == [0.9, 0.7, 0.6, None]
    p, y = own_record(labelled)
    assert list(p) == [0.9, 0.7] and list(y) == [0.0, 1.0]


def test_the_map_moves_p_interval_and_keeps_raw_p() -> None:
    misses = fit_calibration(np.full(6, 0.9), np.zeros(6), prior_sd=0.5)
    hits = fit_calibration(np.full(6, 0.3), np.ones(6), prior_sd=0.5)
    assert misses.offset < 0 < hits.offset
    weak = fit_calibration(np.full(6, 0.9), np.zeros(6), prior_sd=2.0, slope_prior_sd=2.0)
    assert weak.apply(np.array([0.9]))[0] < misses.apply(np.array([0.9]))[0]  # weaker priors
    # p near 1 with one miss in four: the slope tempers what an offset alone barely moves
    sure = np.full(40, 0.999)
    outcomes = (np.arange(40) % 4 != 0).astype(float)
    both = fit_calibration(sure, outcomes, prior_sd=0.5, slope_prior_sd=0.5)
    offset_only = fit_calibration(sure, outcomes, prior_sd=0.5, slope_prior_sd=1e-6)
    assert both.slope < 0.8 and offset_only.slope == pytest.approx(1.0)
    assert both.apply(np.array([0.999]))[0] < offset_only.apply(np.array([0.999]))[0] - 0.02
    none = fit_calibration(np.empty(0), np.empty(0), prior_sd=0.5)
    p = np.array([0.0, 1e-40, 0.3, 0.99, 1.0])
    assert np.array_equal(none.apply(p), p)
    moved = misses.apply(p)
    assert moved[0] == 0.0 and moved[-1] == 1.0 and np.all(np.diff(moved) > 0)  # monotone
    assert np.all(moved[2:-1] < p[2:-1])  # misses at p 0.9: lower there
    assert 1e-40 < moved[1] < 1e-6  # a slope below 1 tempers the extremes too
    item = SuggestionInput("Co50Ni50", "screen", p_single=0.8, interval=(0.6, 0.9),
                           extra={"latent": [0.1]})
    (out,) = calibrated_inputs([item], misses)
    assert out.extra["p_model"] == 0.8 and out.extra["latent"] == [0.1]
    assert out.p_single == pytest.approx(misses.apply(np.array([0.8]))[0])
    assert out.interval[0] < 0.6 and out.interval[1] < 0.9 and out.interval[0] < out.p_single < out.interval[1]
    assert out.extra["calibration"]["pairs"] == 6 and out.extra["calibration"]["prior_sd"] == 0.5


@pytest.mark.parametrize(("table", "key", "words"), [
    ({"prior_sd": 0}, "calibration.prior_sd", ["0 is too small", "e.g. 0.5", "enabled = false"]),
    ({"prior_sd": "wide"}, "calibration.prior_sd", ["'wide' is not a number"]),
    ({"enabled": "no"}, "calibration.enabled", ["'no' is not true or false", "write true or false"]),
    ({"prior": 1.0}, "calibration.prior", ["did you mean 'prior_sd'"]),
])
def test_options_are_validated_with_the_fix(spec_dict, table: dict, key: str, words: list[str]) -> None:  # noqa: ANN001
    with pytest.raises(SpecError) as err:
        parse_spec({**spec_dict("opts", "lab"), "calibration": table})
    (problem,) = err.value.problems
    assert problem.key == key
    for word in words:
        assert word in problem.message


def test_options_round_trip_and_default(spec_dict) -> None:  # noqa: ANN001
    plain = parse_spec(spec_dict("opts", "lab"))
    assert plain.calibration.enabled and plain.calibration.prior_sd == 0.5
    assert "calibration" not in plain.to_dict()
    off = parse_spec({**spec_dict("opts", "lab"), "calibration": {"enabled": False}})
    assert parse_spec(off.to_dict()) == off and not off.calibration.enabled


def test_off_records_the_models_p(spec_dict) -> None:  # noqa: ANN001
    from alloyloop.agent.rounds.suggest import own_record_calibration

    off = parse_spec({**spec_dict("opts", "lab"), "calibration": {"enabled": False}})
    assert own_record_calibration(off.calibration, []) is None  # nothing is read or moved


def test_a_phase_target_is_calibrated_on_its_own_hits(fresh_store, spec_dict) -> None:  # noqa: ANN001
    url = fresh_store("sqlite")
    with store_session(url) as s:
        _first_round(s, spec_dict, "fcc", [
            SuggestionInput("Co50Ni50", "screen", p_single=0.9,
                            extra={"target": "FCC", "p_target": 0.3, "p_target_model": 0.8}),
            SuggestionInput("Cr20Fe40Ni40", "screen", p_single=0.9,
                            extra={"target": "FCC", "p_target": 0.7}),   # stored before calibration
            SuggestionInput("Fe50Ni50", "screen", p_single=0.9,
                            extra={"target": "BCC", "p_target": 0.7})])  # ranked for another phase
        for key, phases in (("Co50Ni50", "BCC"), ("Cr20Fe40Ni40", "FCC"), ("Fe50Ni50", "BCC")):
            add_label(s, composition=key, outcome="single", phases=phases, source="experiment",
                      method="XRD", entered_by="alice")
        stored = list_suggestions(s, campaign="fcc")
        labelled = labelled_suggestions(s, "fcc", "FCC")
        labelled_single = labelled_suggestions(s, "fcc", SINGLE)
    assert [raw_p(b, "FCC") for b in stored] == [0.8, 0.7, None]
    p, y = own_record(labelled, "FCC")
    assert list(p) == [0.8, 0.7] and list(y) == [0.0, 1.0]  # single-phase BCC is no FCC hit
    _, y_single = own_record(labelled_single)
    assert list(y_single) == [1.0, 1.0, 1.0]
    single, fcc = fit_calibration(np.full(3, 0.9), np.ones(3), 0.5), fit_calibration(p, y, 0.5)
    item = SuggestionInput("Co30Fe30Ni40", "screen", p_single=0.6,
                           extra={"target": "FCC", "p_target": 0.5})
    (out,) = calibrated_inputs([item], single, fcc)
    assert out.extra["p_target_model"] == 0.5 and out.extra["p_model"] == 0.6
    assert out.extra["p_target"] == pytest.approx(fcc.apply(np.array([0.5]))[0])
    assert out.p_single == pytest.approx(single.apply(np.array([0.6]))[0]) and out.p_single > 0.6
    assert out.extra["target_calibration"]["pairs"] == 2
    (plain,) = calibrated_inputs([item], single)  # a single campaign leaves p_target alone
    assert plain.extra["p_target"] == 0.5 and "p_target_model" not in plain.extra
