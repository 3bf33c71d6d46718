"""Every strategy: constraints hold, no duplicates, pending matters; nudge and BoTorch
behave as the paper and the issue expect. Real DVAE, real BoTorch."""

import dataclasses

import numpy as np
import pytest

from alloyloop.agent.novelty import duplicates_of
from alloyloop.agent.strategies.ensemble_bo import EnsembleBO
from alloyloop.agent.strategies.forest import ForestAcquisition
from alloyloop.agent.strategies.latent_bo import LatentBO, RandomLatent
from alloyloop.agent.strategies.latent_region import LatentRegion, group_region
from alloyloop.agent.strategies.nudge import Nudge, nudge_path
from alloyloop.agent.strategies.random_pick import RandomPick
from alloyloop.agent.strategies.screening import Screening
from alloyloop.agent.suggestion import to_model_columns
from alloyloop.featurize.composition import parse_composition

STRATEGIES = [
    Screening(),
    Screening(acquisition="uncertainty"),
    Screening(resolution=0.001, per_system=1),
    LatentRegion(group="magnetic"),
    Nudge(),
    EnsembleBO(),
    EnsembleBO(acquisition="qLogNEI"),
    LatentBO(),
    LatentBO(acquisition="qUCB"),
    RandomLatent(),
    ForestAcquisition(max_candidates=20_000),
    ForestAcquisition(acquisition="UCB", max_candidates=20_000),
    RandomPick(),
]


def _matrix(suggestions, palette):
    return np.array([[s.fractions.get(el, 0.0) for el in palette] for s in suggestions])


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: f"{s.name}")
def test_suggestions_satisfy_constraints_and_are_new(small_campaign, strategy):
    model, obs, space = small_campaign
    batch = strategy.suggest(model, obs, space, 6, seed=0)
    assert 0 < len(batch) <= 6
    x = _matrix(batch, space.palette)
    assert space.feasible(x).all()
    assert not duplicates_of(to_model_columns(x, space, obs.elements), obs.known, space.step).any()
    for i in range(len(x)):
        assert not duplicates_of(x[i:i + 1], np.delete(x, i, axis=0), space.step).any()
    for s in batch:
        assert s.strategy == strategy.name
        assert 0.0 <= s.p_single <= 1.0
        assert s.conformal_set in {"{single}", "{multi}", "{single,multi}", "{}"}
        assert s.nearest_key in obs.keys and s.nearest_distance > 0
        assert len(s.latent) == model.config.latent_dim
        assert 0.0 <= s.repair_distance <= 1.0
        if strategy.name not in ("screen", "rf", "random"):  # decodes outside the domain are rejected
            assert s.in_domain


@pytest.mark.parametrize("strategy", [Screening(), EnsembleBO(), LatentBO()], ids=lambda s: s.name)
def test_pending_suggestions_change_the_next_batch(small_campaign, strategy):
    model, obs, space = small_campaign
    first = strategy.suggest(model, obs, space, 4, seed=0)
    pending = to_model_columns(_matrix(first, space.palette), space, obs.elements)
    with_pending = dataclasses.replace(obs, X_pending=pending)
    second = strategy.suggest(model, with_pending, space, 4, seed=0)
    assert {s.key for s in first}.isdisjoint({s.key for s in second})


def test_nudge_turns_the_papers_multi_phase_alloy_single_phase(small_campaign):
    model, obs, space = small_campaign
    start = parse_composition("Al1.4Co0.9Cr1.4Cu0.5Fe0.9Ni1")
    x0 = np.array([start.fractions.get(el, 0.0) for el in obs.elements])
    nudge_space = dataclasses.replace(space, bounds={}, forbidden=(), min_elements=2,
                                      max_elements=6, step=0.01)
    path = nudge_path(model, x0, nudge_space, obs.elements, threshold=0.6, max_steps=10)
    assert path[0].key == start.key
    assert path[-1].p_single >= 0.6, [(s.key, s.p_single) for s in path]
    assert len(path) <= 11
    strategy = Nudge(starts=("Al1.4Co0.9Cr1.4Cu0.5Fe0.9Ni1",))
    if path[0].p_single < 0.6:  # the model already calls it single-phase otherwise
        (s,) = strategy.suggest(model, obs, nudge_space, 1, seed=0)
        assert s.path[0]["key"] == start.key and s.p_single >= 0.6


@pytest.mark.parametrize("strategy", [EnsembleBO(), LatentBO()], ids=lambda s: s.name)
def test_botorch_beats_random_latent_sampling(small_campaign, strategy):
    model, obs, space = small_campaign
    bo = strategy.suggest(model, obs, space, 8, seed=0)
    rnd = RandomLatent().suggest(model, obs, space, 8, seed=0)
    p_bo = np.mean([s.p_single for s in bo])
    p_rnd = np.mean([s.p_single for s in rnd])
    novelty_bo = np.mean([s.nearest_distance for s in bo])
    novelty_rnd = np.mean([s.nearest_distance for s in rnd])
    assert p_bo > p_rnd
    assert novelty_bo >= 0.5 * novelty_rnd  # not bought by hugging known alloys


def test_latent_region_errors_name_the_fix(small_campaign):
    model, obs, space = small_campaign
    with pytest.raises(ValueError, match="use one of magnetic, noble, refractory"):
        group_region(model, obs, "shiny")
    no_single = dataclasses.replace(obs, y=np.zeros_like(obs.y))
    with pytest.raises(ValueError, match="give an explicit latent box"):
        group_region(model, no_single, "magnetic")
    d = model.config.latent_dim
    wrong = LatentRegion(box=((-3.0,) * (d + 1), (3.0,) * (d + 1)))
    with pytest.raises(ValueError, match=rf"latent_dim = {d}\): give .* with {d} values"):
        wrong.suggest(model, obs, space, 3, seed=1)
    box = LatentRegion(box=((-3.0,) * d, (3.0,) * d), n_points=1024)
    batch = box.suggest(model, obs, space, 3, seed=1)
    assert len(batch) == 3 and space.feasible(_matrix(batch, space.palette)).all()


def test_screening_streams_large_lattices_by_sampling(small_campaign):
    model, obs, space = small_campaign
    fine = dataclasses.replace(space, step=0.01)
    strategy = Screening(max_candidates=30_000, chunk_size=10_000)
    batch = strategy.suggest(model, obs, fine, 5, seed=3)
    assert len(batch) == 5 and fine.feasible(_matrix(batch, fine.palette)).all()


@pytest.mark.parametrize("strategy", [LatentBO(), LatentBO(acquisition="qUCB")], ids=lambda s: s.acquisition)
def test_botorch_leaves_the_global_rng_alone_and_is_seeded(small_campaign, strategy):
    import torch

    model, obs, space = small_campaign
    torch.manual_seed(1234)
    expected = torch.rand(3)
    torch.manual_seed(1234)
    first = strategy.suggest(model, obs, space, 3, seed=7)
    assert torch.equal(torch.rand(3), expected)  # the caller's RNG stream is untouched
    again = strategy.suggest(model, obs, space, 3, seed=7)
    assert [s.key for s in first] == [s.key for s in again]


def test_screening_breaks_saturated_ties_and_spreads_over_systems(small_campaign):
    from alloyloop.agent.novelty import nearest_known
    from alloyloop.agent.strategies.diversity import element_systems
    from alloyloop.agent.strategies.screening import member_spread

    model, obs, space = small_campaign
    plain = Screening().suggest(model, obs, space, 8, seed=0)
    ranked = Screening(resolution=0.01).suggest(model, obs, space, 8, seed=0)
    spread = Screening(resolution=0.01, per_system=1).suggest(model, obs, space, 8, seed=0)
    systems = element_systems(_matrix(spread, space.palette), space.palette)
    assert len(set(systems)) == len(systems) == 8
    assert len(set(element_systems(_matrix(plain, space.palette), space.palette))) < 8
    assert space.feasible(_matrix(spread, space.palette)).all()
    # within a tie (same 0.01 bin of p), the most disputed and novel alloy comes first
    x = to_model_columns(_matrix(ranked, space.palette), space, obs.elements)
    tie = nearest_known(x, obs.known)[1] + member_spread(model, x)
    bins = np.floor(np.array([s.acquisition for s in ranked]) / 0.01)
    assert (np.diff(bins) <= 0).all()
    for b in np.unique(bins):
        assert (np.diff(tie[bins == b]) <= 1e-9).all()
    with pytest.raises(ValueError, match="resolution: -1.0 is too small"):
        Screening(resolution=-1.0)


def test_nudge_walks_from_more_starts_when_the_first_ones_fall_short(small_campaign):
    from alloyloop.agent.strategies.nudge import _usable

    model, obs, space = small_campaign
    strategy, n = Nudge(max_steps=3), 8
    first = strategy.start_points(model, obs, space, n)
    every = strategy.start_points(model, obs, space, n, reserve=None)
    assert len(first) <= 3 * n and len(every) >= len(first)
    np.testing.assert_array_equal(every[: len(first)], first)
    from_first = _usable(strategy._walk(model, obs, space, first, 0)[0], space, obs)
    from_every = _usable(strategy._walk(model, obs, space, every, 0)[0], space, obs)
    got = strategy.suggest(model, obs, space, n, seed=0)
    assert len(got) == min(n, len(from_first) if len(from_first) >= n else len(from_every))
    assert len({s.key for s in got}) == len(got)
