"""One small real DVAE, trained once per session on Al-Co-Cr-Cu-Fe-Mn-Ni corpus alloys."""

import dataclasses

import numpy as np
import pytest

from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.suggestion import Observations
from alloyloop.featurize.matrix import fraction_matrix

from tests.fixtures.dvae import corpus_rows

PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni")


@pytest.fixture(scope="session")
def small_campaign():
    from alloyloop.models.config import DVAEConfig
    from alloyloop.models.dvae import DisentangledVAE

    lab = corpus_rows(PALETTE).sample(n=2000, random_state=0)
    x = fraction_matrix(lab["fractions"], PALETTE)
    y = lab["single_phase"].astype(int).to_numpy()
    config = dataclasses.replace(DVAEConfig(), max_epochs=60, min_epochs=10, patience=10,
                                 vae_max_epochs=20, vae_patience=5)
    model = DisentangledVAE(config, elements=PALETTE, seed=0).fit(x, y)
    obs = Observations(elements=PALETTE, X=x, y=y, keys=tuple(lab["key"]),
                       X_pending=np.empty((0, len(PALETTE))))
    space = DesignSpace(palette=("Al", "Co", "Cr", "Cu", "Fe", "Ni"), min_elements=3,
                        max_elements=5, step=0.05, bounds={"Al": (0.0, 0.25)},
                        forbidden=[{"Al", "Cu"}])
    return model, obs, space


@pytest.fixture(scope="session")
def ensemble_campaign(small_campaign):
    """The same campaign with a five-head classifier (``n_ensemble = 5``) and a candidate
    pool of 400 lattice points of the design space."""
    from alloyloop.agent.strategies.screening import Screening
    from alloyloop.agent.suggestion import to_model_columns
    from alloyloop.models.config import DVAEConfig
    from alloyloop.models.dvae import DisentangledVAE

    _, obs, space = small_campaign
    config = dataclasses.replace(DVAEConfig(), max_epochs=40, min_epochs=10, patience=8,
                                 vae_max_epochs=10, vae_patience=5, n_ensemble=5)
    model = DisentangledVAE(config, elements=PALETTE, seed=0).fit(obs.X, obs.y)
    lattice = next(iter(Screening(max_candidates=20_000).candidates(space, 0)))
    rows = np.random.default_rng(0).choice(len(lattice), 400, replace=False)
    pool = dataclasses.replace(obs, candidates=to_model_columns(lattice[rows], space, PALETTE))
    return model, obs, pool, space
