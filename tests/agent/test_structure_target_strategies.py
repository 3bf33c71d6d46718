"""Structure targets (FCC / BCC / HCP) on every strategy, with a small real phase4 DVAE:
p(target) is the model's class column, unknown targets and binary models are refused,
screening / rf / latent_region / nudge rank by p(BCC) and use ``Observations.outcomes``,
and compose_batch passes the campaign's target and reports p_target in the extra."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from alloyloop.agent.batch import compose_batch, suggestion_inputs
from alloyloop.agent.novelty import duplicates_of
from alloyloop.agent.strategies.ensemble_bo import EnsembleBO
from alloyloop.agent.strategies.forest import ForestAcquisition
from alloyloop.agent.strategies.latent_bo import LatentBO, RandomLatent
from alloyloop.agent.strategies.latent_region import LatentRegion
from alloyloop.agent.strategies.nudge import Nudge
from alloyloop.agent.strategies.screening import Screening, pool_candidates
from alloyloop.models.target import target_proba
from alloyloop.agent.suggestion import Observations, to_model_columns
from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.campaigns.goal import Goal
from alloyloop.campaigns.spec import StrategySpec
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.torch_scoring import TorchScorer

from tests.fixtures.dvae import TINY, fast, phase4_fitted

torch.set_num_threads(1)

PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni", "Ti", "V", "Nb", "Mo", "Ta", "W", "Zr")
FAST4 = fast(label="phase4", max_epochs=40, min_epochs=10, patience=8,
             classifier_hidden=(64, 64), vae_max_epochs=4)
# FCC formers and BCC formers together: p(BCC) and p(single) rank this space differently
SPACE = DesignSpace(palette=("Al", "Co", "Cr", "Fe", "Ni", "Ti", "V", "Nb", "Mo"),
                    min_elements=3, max_elements=5, step=0.05)
SMALL = DesignSpace(palette=("Co", "Cr", "Fe", "Ni", "Mn", "V"), min_elements=3,
                    max_elements=4, step=0.1)


def _row(s, elements=PALETTE) -> np.ndarray:
    return np.array([s.fractions.get(el, 0.0) for el in elements])


def _p_bcc(model, x: np.ndarray) -> np.ndarray:
    return model.predict_phase_proba(x)[:, model.classes.index("BCC")]


@pytest.fixture(scope="module")
def campaign():
    """A phase4 DVAE on up to 100 alloys of each class, observations with y (single) and
    the structure words, and the same with a 300-point candidate pool of ``SPACE``."""
    model, X, words, keys = phase4_fitted(PALETTE, FAST4, 100)
    y = np.isin(words, ("FCC", "BCC", "HCP")).astype(int)
    obs = Observations(elements=PALETTE, X=X, y=y, keys=keys,
                       X_pending=np.empty((0, len(PALETTE))), phase4=words)
    lattice = next(iter(Screening(max_candidates=20_000).candidates(SPACE, 0)))
    rows = np.random.default_rng(0).choice(len(lattice), 300, replace=False)
    pool = dataclasses.replace(obs, candidates=to_model_columns(lattice[rows], SPACE, PALETTE))
    return model, obs, pool, words


@pytest.fixture(scope="module")
def split_pool(campaign):
    """A pool on which p(single) and p(BCC) pick different alloys: the four points of the
    campaign's pool the model finds most likely FCC, and the points less likely
    single-phase than all four (so the four are the top of p(single))."""
    model, _, pool, _ = campaign
    x = pool.open_candidates()
    p4 = model.predict_phase_proba(x)
    fcc = np.argsort(-p4[:, model.classes.index("FCC")], kind="stable")[:4]
    p_single = model.predict_proba(x)
    rest = np.flatnonzero(p_single < p_single[fcc].min())
    return dataclasses.replace(pool, candidates=x[np.concatenate([fcc, rest])])


@pytest.fixture(scope="module")
def binary_model(campaign):
    _, obs, _, _ = campaign
    return DisentangledVAE(TINY, elements=PALETTE, seed=0).fit(obs.X, obs.y)


# 1. p(target)

def test_target_proba_is_the_class_column(campaign):
    model, obs, pool, _ = campaign
    x = pool.open_candidates()
    np.testing.assert_array_equal(target_proba(model, "BCC")(x),
                                  model.predict_phase_proba(x)[:, model.classes.index("BCC")])
    np.testing.assert_array_equal(target_proba(model, "FCC")(x),
                                  model.predict_phase_proba(x)[:, model.classes.index("FCC")])
    assert target_proba(model, "single") == model.predict_proba
    np.testing.assert_allclose(TorchScorer(model).predict_phase_proba(x),
                               model.predict_phase_proba(x), atol=1e-6)
    assert not np.allclose(target_proba(model, "BCC")(x), model.predict_proba(x))


# 2. refusals

STRATEGIES = (Screening, ForestAcquisition, LatentRegion, Nudge, LatentBO, RandomLatent,
              EnsembleBO)


@pytest.mark.parametrize("cls", STRATEGIES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("target", ["bcc2", "multi"])
def test_unknown_target_is_refused_naming_the_choices(cls, target):
    with pytest.raises(ValueError, match=r"'single', 'FCC', 'BCC', 'HCP'"):
        cls(target=target)
    assert cls(target="BCC").target == "BCC"


@pytest.mark.parametrize("make", [lambda: Screening(target="BCC"),
                                  lambda: ForestAcquisition(target="BCC", n_trees=5),
                                  lambda: LatentRegion(target="BCC", n_points=16),
                                  lambda: Nudge(target="BCC", max_steps=1)],
                         ids=["screen", "rf", "latent_region", "nudge"])
@pytest.mark.parametrize("pooled", [True, False], ids=["pool", "lattice"])
def test_a_structure_target_on_a_binary_model_names_the_fix(campaign, binary_model, make,
                                                            pooled):
    _, obs, pool, _ = campaign
    with pytest.raises(ValueError, match=r"model\.label = 'phase4'"):
        make().suggest(binary_model, pool if pooled else obs, SMALL, 2, seed=0)


# 3. screening

def test_screening_pool_picks_the_top_of_p_bcc(campaign, split_pool):
    model, pool = campaign[0], split_pool
    n = 4
    x = pool_candidates(pool, SPACE)
    xm = to_model_columns(x, SPACE, PALETTE)
    p_bcc, p_single = _p_bcc(model, xm), model.predict_proba(xm)
    top_bcc = np.argsort(-p_bcc, kind="stable")[:n]
    top_single = np.argsort(-p_single, kind="stable")[:n]
    assert set(top_bcc) != set(top_single)  # the pool tells the two targets apart
    got = Screening(target="BCC").suggest(model, pool, SPACE, n, seed=0)
    np.testing.assert_allclose(np.array([_row(s, SPACE.palette) for s in got]), x[top_bcc])
    np.testing.assert_allclose([s.acquisition for s in got], p_bcc[top_bcc], atol=1e-9)
    single = Screening().suggest(model, pool, SPACE, n, seed=0)
    np.testing.assert_allclose(np.array([_row(s, SPACE.palette) for s in single]),
                               x[top_single])
    assert {s.key for s in got} != {s.key for s in single}


def test_screening_lattice_maximizes_p_bcc(campaign):
    model, obs, _, _ = campaign
    n = 4
    lattice = np.vstack([c for c in Screening().candidates(SMALL, 0) if len(c)])
    xm = to_model_columns(lattice, SMALL, PALETTE)
    fresh = ~duplicates_of(xm, obs.known, SMALL.step)
    lattice, xm = lattice[fresh], xm[fresh]
    p = _p_bcc(model, xm)

    def brute_force(score: np.ndarray) -> list[int]:
        """Best first, skipping points within a step of a better pick."""
        picks: list[int] = []
        for i in np.argsort(-score, kind="stable"):
            if not picks or not duplicates_of(lattice[i:i + 1], lattice[picks], SMALL.step)[0]:
                picks.append(int(i))
            if len(picks) == n:
                break
        return picks

    picks = brute_force(p)
    # the targets rank the lattice differently (with bounded probabilities their top 4 may agree)
    assert not np.array_equal(np.argsort(-p, kind="stable"), np.argsort(-model.predict_proba(xm), kind="stable"))
    got = Screening(target="BCC").suggest(model, obs, SMALL, n, seed=0)
    np.testing.assert_allclose(np.array([_row(s, SMALL.palette) for s in got]),
                               lattice[picks], atol=1e-9)
    np.testing.assert_allclose([s.acquisition for s in got], p[picks], atol=1e-6)
    single = Screening().suggest(model, obs, SMALL, n, seed=0)
    assert np.mean([s.acquisition for s in got]) >= \
        _p_bcc(model, np.array([_row(s) for s in single])).mean()


# 4. random forest

def test_forest_fits_on_the_outcomes_of_known_structure(campaign):
    model, _, pool, words = campaign
    rf = ForestAcquisition(acquisition="UCB", target="BCC", n_trees=20)
    base = rf.suggest(model, pool, SPACE, 10, seed=0)
    assert len(base) == 10
    fcc = ForestAcquisition(acquisition="UCB", target="FCC", n_trees=20)
    other = fcc.suggest(model, pool, SPACE, 10, seed=0)
    assert [s.acquisition for s in other] != [s.acquisition for s in base]  # y unchanged
    # rows of unknown structure (word "single", NaN) are left out: as if they were not there
    bcc = pool.outcomes("BCC")
    nan_rows = np.zeros(len(pool.X), dtype=bool)
    nan_rows[np.flatnonzero(bcc == 1)[::2]] = True
    nan_rows[np.flatnonzero((bcc == 0) & (pool.y == 1))[::3]] = True
    partial = dataclasses.replace(pool, phase4=np.where(nan_rows, "single", words))
    np.testing.assert_array_equal(np.isnan(partial.outcomes("BCC")), nan_rows)
    X, y = rf._outcomes(model, partial)
    np.testing.assert_array_equal(X, pool.X[~nan_rows])
    np.testing.assert_array_equal(y, bcc[~nan_rows].astype(int))
    assert y.dtype.kind == "i"
    dropped = dataclasses.replace(partial, X=pool.X[~nan_rows], y=pool.y[~nan_rows],
                                  keys=tuple(np.array(pool.keys)[~nan_rows]),
                                  phase4=words[~nan_rows])
    a = [s.acquisition for s in rf.suggest(model, partial, SPACE, 10, seed=0)]
    b = [s.acquisition for s in rf.suggest(model, dropped, SPACE, 10, seed=0)]
    np.testing.assert_allclose(a, b)
    assert a != [s.acquisition for s in base]


def test_forest_without_a_target_row_says_so(campaign):
    model, _, pool, words = campaign
    none = dataclasses.replace(pool, phase4=np.where(words == "BCC", "FCC", words))
    with pytest.raises(ValueError, match="labelled BCC alloy"):
        ForestAcquisition(target="BCC", n_trees=5).suggest(model, none, SPACE, 2, seed=0)
    with pytest.raises(ValueError, match="carry no structure words"):
        ForestAcquisition(target="BCC", n_trees=5).suggest(
            model, dataclasses.replace(pool, phase4=None), SPACE, 2, seed=0)


def test_observations_derive_the_outcomes_from_the_words(campaign):
    _, obs, _, words = campaign
    np.testing.assert_array_equal(obs.outcomes("BCC"), np.where(words == "BCC", 1.0, 0.0))
    np.testing.assert_array_equal(obs.outcomes("FCC"), np.where(words == "FCC", 1.0, 0.0))
    np.testing.assert_array_equal(obs.outcomes("single"), obs.y)
    flipped = obs.y.copy()
    flipped[np.flatnonzero(words == "multi-phase")[0]] = 1
    with pytest.raises(ValueError, match="y = 1 but its structure word is 'multi'"):
        dataclasses.replace(obs, y=flipped)
    with pytest.raises(ValueError, match="phase4 has 3 words"):
        dataclasses.replace(obs, phase4=words[:3])


# 5. latent region and nudge

def test_latent_region_ranks_by_p_bcc(campaign):
    model, obs, _, _ = campaign
    got = LatentRegion(target="BCC", n_points=128).suggest(model, obs, SPACE, 4, seed=0)
    assert len(got) >= 2
    x = np.array([_row(s) for s in got])
    p = _p_bcc(model, x)
    np.testing.assert_allclose([s.acquisition for s in got], p, rtol=0, atol=1e-12)
    assert list(p) == sorted(p, reverse=True)


def test_nudge_walks_non_target_alloys_towards_bcc(campaign):
    model, obs, _, _ = campaign
    nudge = Nudge(target="BCC", max_steps=3)
    starts = nudge.start_points(model, obs, SPACE, 2, reserve=None)
    assert len(starts) > 0
    y_target = obs.outcomes("BCC")
    for start in starts:
        (idx,) = np.flatnonzero((obs.X == start).all(axis=1))[:1]
        assert y_target[idx] == 0  # multi-phase or FCC / HCP, never BCC nor unknown
    assert (y_target == 1).any() and np.isnan(y_target).sum() == 0
    # some labelled BCC alloys inside the palette are below the threshold, yet not starts
    got = nudge.suggest(model, obs, SPACE, 2, seed=0)
    assert len(got) >= 1
    p = _p_bcc(model, np.array([_row(s) for s in got]))
    np.testing.assert_allclose([s.acquisition for s in got], p, atol=1e-9)
    for s in got:
        assert "p_target" in s.path[0] and "p_single" not in s.path[0]
        assert s.path[-1]["p_target"] == pytest.approx(s.acquisition)


def test_nudge_starts_skip_target_and_unknown_rows(campaign):
    model, obs, _, _ = campaign
    # every labelled alloy marked unknown structure but one non-BCC row: that is the start
    keep = int(np.flatnonzero((obs.outcomes("BCC") == 0) & (obs.y == 0)
                              & np.isclose(obs.X[:, [PALETTE.index(e) for e in SPACE.palette]]
                                           .sum(axis=1), 1.0))[0])
    words = np.full(len(obs.X), "single", dtype=object)
    words[keep] = "multi"
    one = dataclasses.replace(obs, y=(words != "multi").astype(int), phase4=words)
    starts = Nudge(target="BCC", threshold=1.01).start_points(model, one, SPACE, 2,
                                                              reserve=None)
    np.testing.assert_array_equal(starts, obs.X[keep:keep + 1])


# 6. compose_batch

def test_compose_batch_passes_the_target_and_reports_p_target(campaign, split_pool):
    model, pool = campaign[0], split_pool
    mix = [StrategySpec(kind="screen", count=3)]
    batch = compose_batch(model, pool, SPACE, mix, seed=0, goal=Goal(target="BCC"))
    want = Screening(target="BCC").suggest(model, pool, SPACE, 3, seed=0)
    assert [s.key for s in batch.suggestions] == [s.key for s in want]
    assert batch.target == "BCC"
    p = _p_bcc(model, np.array([_row(s) for s in batch.suggestions]))
    inputs = suggestion_inputs(batch)
    assert len(inputs) == 3
    for item, s, v in zip(inputs, batch.suggestions, p):
        assert item.extra["target"] == "BCC"
        assert item.extra["p_target"] == pytest.approx(v, abs=1e-9)
        assert item.p_single == pytest.approx(s.p_single)
    single = compose_batch(model, pool, SPACE, mix, seed=0, goal=Goal())
    assert [s.key for s in single.suggestions] == \
        [s.key for s in Screening().suggest(model, pool, SPACE, 3, seed=0)]
    assert [s.key for s in single.suggestions] != [s.key for s in batch.suggestions]
    for item in suggestion_inputs(single):
        assert "p_target" not in item.extra and "target" not in item.extra
