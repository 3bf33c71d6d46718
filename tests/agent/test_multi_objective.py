"""The botorch strategy with objectives (qLogNEHVI on [logit p(target), −density]) and
targets, on small real DVAEs (conftest): pool and latent search, limits, seeds."""

import dataclasses

import numpy as np
import pytest
import torch

from alloyloop.agent.strategies.ensemble_bo import EnsembleBO
from alloyloop.agent.strategies.multi_objective import MultiOutputEnsemble, reference_point
from alloyloop.models.target import PHASE4_HINT
from alloyloop.featurize.properties import property_matrix

DENSITY = (("density", "minimize"),)


def _matrix(suggestions, palette):
    return np.array([[s.fractions.get(el, 0.0) for el in palette] for s in suggestions])


def test_the_multi_output_model_carries_member_logits_and_exact_properties(ensemble_campaign):
    model, obs, _, space = ensemble_campaign
    strategy = EnsembleBO(objectives=DENSITY + (("vec", "maximize"), ("delta", "minimize")))
    mo = strategy.posterior_model(model, space, obs.elements, seed=0, latent=False)
    assert isinstance(mo, MultiOutputEnsemble) and mo.num_outputs == 4
    x = obs.X[:20]
    values = mo.member_values(torch.as_tensor(x)).numpy()  # (S, n, 4)
    single = EnsembleBO().posterior_model(model, space, obs.elements, seed=0, latent=False)
    np.testing.assert_allclose(values[..., 0], single.member_values(torch.as_tensor(x)).numpy())
    props = property_matrix(x, obs.elements, ["density", "vec", "delta"]) * [-1, 1, -1]
    for member in values:  # every member: the same, exact property values
        np.testing.assert_allclose(member[:, 1:], props, rtol=1e-9, atol=1e-9)


def test_reference_point_takes_the_space_limit_and_p_half(ensemble_campaign):
    model, obs, _, space = ensemble_campaign
    mo = EnsembleBO(objectives=DENSITY).posterior_model(model, space, obs.elements, seed=0,
                                                      latent=False)
    ref = reference_point(mo, torch.as_tensor(obs.X[:200]), {"density": (None, 8.5)})
    assert ref.tolist() == [0.0, -8.5]  # logit(0.5) = 0; minimized density ≤ 8.5
    free = reference_point(mo, torch.as_tensor(obs.X[:200]), {})
    assert free[1] < -float(property_matrix(obs.X[:200], obs.elements, ["density"]).min())


def test_pool_batch_trades_p_single_against_density(ensemble_campaign):
    model, obs, pool, space = ensemble_campaign
    limited = dataclasses.replace(space, descriptor_limits={"density": (None, 8.0)})
    mo = EnsembleBO(objectives=DENSITY).suggest(model, pool, limited, 6, seed=3)
    assert len(mo) == 6  # its time is in benchmarks/multi_objective_batch.py, not here
    x = _matrix(mo, space.palette)
    rho = property_matrix(x, space.palette, ["density"])[:, 0]
    assert (rho <= 8.0 + 1e-9).all()  # the limit holds in the pool as on the lattice
    assert len({s.key for s in mo}) == 6
    plain = EnsembleBO(acquisition="qLogNEI").suggest(model, pool, limited, 6, seed=3)
    rho_plain = property_matrix(_matrix(plain, space.palette), space.palette, ["density"])[:, 0]
    assert rho.mean() < rho_plain.mean(), (rho.mean(), rho_plain.mean())
    assert all(np.isfinite(s.acquisition) for s in mo)
    again = EnsembleBO(objectives=DENSITY).suggest(model, pool, limited, 6, seed=3)
    assert [s.key for s in again] == [s.key for s in mo]  # seeded


def test_latent_search_with_objectives_holds_the_constraints(small_campaign):
    model, obs, space = small_campaign
    limited = dataclasses.replace(space, descriptor_limits={"density": (None, 8.2)})
    strategy = EnsembleBO(objectives=DENSITY, raw_samples=64, num_restarts=2, oversample=2)
    out = strategy.suggest(model, obs, limited, 4, seed=1)
    assert 1 <= len(out) <= 4
    x = _matrix(out, space.palette)
    assert limited.feasible(x).all()
    assert (property_matrix(x, space.palette, ["density"])[:, 0] <= 8.2 + 1e-9).all()


@pytest.mark.parametrize("target", ["FCC", "BCC", "HCP"])
def test_structure_targets_need_a_phase4_model(small_campaign, target):
    model, obs, space = small_campaign
    with pytest.raises(ValueError, match=f"target '{target}': " + PHASE4_HINT.replace("(", r"\(")
                       .replace(")", r"\)")):
        EnsembleBO(target=target).posterior_model(model, space, obs.elements, seed=0,
                                                  latent=False)
