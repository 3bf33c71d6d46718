"""Strategy ``botorch``: BoTorch on the DVAE's ensemble posterior (issue #19's acceptance
tests), on small real DVAEs (one head with MC-dropout members, and five heads)."""

import dataclasses

import numpy as np
import pytest
import torch
from botorch.optim import optimize_acqf_discrete

from alloyloop.agent.novelty import nearest_known
from alloyloop.agent.strategies.diversity import diverse_order, element_systems
from alloyloop.agent.strategies.ensemble_bo import ACQUISITIONS, EnsembleBO, make_acquisition
from alloyloop.agent.strategies.screening import Screening
from alloyloop.agent.suggestion import to_model_columns


def _matrix(suggestions, palette):
    return np.array([[s.fractions.get(el, 0.0) for el in palette] for s in suggestions])


def test_gradients_flow_from_p_single_to_the_latent_code(small_campaign):
    model, obs, space = small_campaign
    latent = EnsembleBO().posterior_model(model, space, obs.elements, seed=0, latent=True)
    z = torch.as_tensor(model.encode(obs.X[:16], 1)).requires_grad_(True)
    p_single = torch.sigmoid(latent(z.unsqueeze(0)).mean(dim=1))  # (1, 16, 1)
    p_single.sum().backward()
    assert z.grad is not None and torch.isfinite(z.grad).all()
    assert (z.grad.abs().sum(dim=1) > 0).all()


@pytest.mark.parametrize("which", ["heads", "dropout"])
def test_member_spread_grows_away_from_labelled_alloys(small_campaign, ensemble_campaign, which):
    if which == "dropout":
        model, obs, space = small_campaign
    else:
        model, obs, _, space = ensemble_campaign
    frac = EnsembleBO().posterior_model(model, space, obs.elements, seed=0, latent=False)
    assert frac.n_members == (5 if which == "heads" else 8)
    lattice = next(iter(Screening(max_candidates=20_000).candidates(space, 0)))
    x = to_model_columns(lattice, space, obs.elements)
    _, dist = nearest_known(x, obs.X)
    far = x[dist >= 0.2]
    var_labelled = frac.member_values(torch.as_tensor(obs.X)).var(dim=0).median()
    var_far = frac.member_values(torch.as_tensor(far)).var(dim=0).median()
    assert var_far > 1.5 * var_labelled, (float(var_labelled), float(var_far))


def test_the_mean_member_is_the_models_own_logit(ensemble_campaign):
    model, obs, _, space = ensemble_campaign
    frac = EnsembleBO().posterior_model(model, space, obs.elements, seed=0, latent=False)
    mean = frac.member_values(torch.as_tensor(obs.X[:50])).mean(dim=0).numpy()
    np.testing.assert_allclose(mean, model.decision_function(obs.X[:50]) / model.temperature_,
                               atol=1e-4)


@pytest.mark.parametrize("acquisition", ACQUISITIONS)
def test_latent_batches_hold_the_constraints_and_are_seeded(small_campaign, acquisition):
    model, obs, space = small_campaign
    strategy = EnsembleBO(acquisition=acquisition, raw_samples=64, num_restarts=2)
    torch.manual_seed(1234)
    expected = torch.rand(3)
    torch.manual_seed(1234)
    batch = strategy.suggest(model, obs, space, 6, seed=3)
    assert torch.equal(torch.rand(3), expected)  # the caller's RNG stream is untouched
    assert 3 <= len(batch) <= 6
    assert space.feasible(_matrix(batch, space.palette)).all()
    assert all(s.in_domain and s.strategy == "botorch" for s in batch)
    again = strategy.suggest(model, obs, space, 6, seed=3)
    assert [s.key for s in batch] == [s.key for s in again]


@pytest.mark.parametrize("acquisition", ACQUISITIONS)
def test_pool_batches_and_pending_points(ensemble_campaign, acquisition):
    model, _, pool, space = ensemble_campaign
    strategy = EnsembleBO(acquisition=acquisition)
    first = strategy.suggest(model, pool, space, 6, seed=0)
    assert len(first) == 6
    x = _matrix(first, space.palette)
    assert space.feasible(x).all()
    assert [s.key for s in strategy.suggest(model, pool, space, 6, seed=0)] == [s.key for s in first]
    pending = dataclasses.replace(pool, X_pending=to_model_columns(x[:3], space, pool.elements))
    second = strategy.suggest(model, pending, space, 6, seed=0)
    assert {s.key for s in first[:3]}.isdisjoint({s.key for s in second})
    assert [s.key for s in second] != [s.key for s in first]


def test_pending_alloys_count_against_their_element_systems(ensemble_campaign):
    model, _, pool, space = ensemble_campaign
    strategy = EnsembleBO(acquisition="qUCB", max_per_system=1)
    first = strategy.suggest(model, pool, space, 4, seed=0)
    x = _matrix(first, space.palette)
    pending = dataclasses.replace(pool, X_pending=to_model_columns(x, space, pool.elements))
    second = strategy.suggest(model, pending, space, 4, seed=0)
    assert len(second) == 4
    assert set(element_systems(x, space.palette)).isdisjoint(
        element_systems(_matrix(second, space.palette), space.palette))


def test_without_spread_the_batch_is_the_discrete_optimum(ensemble_campaign):
    """diversity 0, margin 0, no cap, no probe cap: the batch is BoTorch's discrete optimum
    of the q = 1 acquisition, taken n times without replacement."""
    model, obs, pool, space = ensemble_campaign
    strategy = EnsembleBO(acquisition="qUCB", diversity=0.0, new_system_margin=0.0,
                          probe_count=0)
    batch = strategy.suggest(model, pool, space, 5, seed=0)
    frac = strategy.posterior_model(model, space, obs.elements, seed=0, latent=False)
    acq = make_acquisition("qUCB", frac, baseline=torch.as_tensor(obs.X), beta=1.0)
    choices = torch.as_tensor(pool.candidates)
    got = to_model_columns(_matrix(batch, space.palette), space, obs.elements)
    for row in got:
        best, _ = optimize_acqf_discrete(acq, q=1, choices=choices)
        np.testing.assert_allclose(row, best[0].numpy(), atol=1e-9)
        choices = choices[~torch.isclose(choices, best[0]).all(dim=1)]


def test_the_spread_setting_trades_score_for_element_systems(ensemble_campaign):
    model, _, pool, space = ensemble_campaign
    systems = {}
    for diversity in (0.0, 0.5, 5.0):
        batch = EnsembleBO(acquisition="qSR", diversity=diversity, new_system_margin=0.0).suggest(
            model, pool, space, 8, seed=0)
        systems[diversity] = len(set(element_systems(_matrix(batch, space.palette), space.palette)))
    assert systems[0.0] <= systems[0.5] <= systems[5.0]
    assert systems[5.0] > systems[0.0]
    capped = EnsembleBO(acquisition="qSR", diversity=0.0, new_system_margin=0.0,
                        max_per_system=1).suggest(
        model, pool, space, 8, seed=0)
    names = element_systems(_matrix(capped, space.palette), space.palette)
    assert len(names) == len(set(names))


def test_settings_are_checked_at_construction():
    # the bounds are BotorchOptions', which EnsembleBO extends (one declaration)
    with pytest.raises(ValueError, match="'EI' is not one of 'qLogNEI', 'qUCB', 'qSR', 'Thompson'"):
        EnsembleBO(acquisition="EI")
    with pytest.raises(ValueError, match="diversity: -1.0 is too small"):
        EnsembleBO(diversity=-1.0)
    with pytest.raises(ValueError, match="new_system_margin: 1.5 is too large: give a number of at most 1"):
        EnsembleBO(new_system_margin=1.5)
    with pytest.raises(ValueError, match="dropout_members: 1 is not valid: give a whole number of at least 2"):
        EnsembleBO(dropout_members=1)


def test_diverse_order_by_hand():
    score = np.array([5.0, 4.9, 4.8, 1.0, 0.5])
    systems = ["A-B", "A-B", "A-B", "C-D", "E-F"]
    assert list(diverse_order(score, systems, 3, penalty=0.0)) == [0, 1, 2]
    # std of the scores ≈ 2.04: penalty 2 makes one A-B alloy cost 4.08, so C-D (1.0) beats
    # 4.9 − 4.08 = 0.82, which still beats E-F (0.5); penalty 3 (6.12) puts E-F first.
    assert list(diverse_order(score, systems, 3, penalty=2.0)) == [0, 3, 1]
    assert list(diverse_order(score, systems, 3, penalty=3.0)) == [0, 3, 4]
    assert list(diverse_order(score, systems, 5, penalty=0.0, max_per_system=1)) == [0, 3, 4]
    assert list(diverse_order(score, systems, 2, penalty=0.0, max_per_system=1,
                              taken=["A-B"])) == [3, 4]
    with pytest.raises(ValueError, match="penalty=-1"):
        diverse_order(score, systems, 2, penalty=-1.0)


def test_element_systems():
    x = np.array([[0.5, 0.0, 0.5], [0.2, 0.3, 0.5]])
    assert element_systems(x, ("Ni", "Co", "Al")) == ["Al-Ni", "Al-Co-Ni"]
