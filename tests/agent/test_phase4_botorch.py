"""The ``botorch`` strategy on a DVAE trained with phase4 labels: a structure target
(p(BCC)) drives the batch, y = 1 means the model's most common structure to every
generative caller, and the decodes of a structure target hold the design space."""

import dataclasses

import numpy as np
import pytest
import torch

from alloyloop.agent.strategies.ensemble_bo import EnsembleBO
from alloyloop.agent.strategies.screening import Screening
from alloyloop.models.target import decode_class, target_members
from alloyloop.agent.suggestion import Observations, to_model_columns
from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.featurize.matrix import fraction_matrix
from alloyloop.models.dvae import DisentangledVAE

from tests.fixtures.dvae import TINY, corpus_rows, fast

PALETTE = ("Al", "Co", "Cr", "Fe", "Mo", "Nb", "Ni", "Ta", "Ti", "V", "W", "Zr")


@pytest.fixture(scope="module")
def phase4_campaign():
    lab = corpus_rows(PALETTE, phase4=True)
    lab = lab.sample(n=min(len(lab), 900), random_state=0)
    x = fraction_matrix(lab["fractions"], PALETTE)
    y = lab["phase4"].to_numpy(dtype=object)
    config = fast(label="phase4", max_epochs=30, min_epochs=5, patience=6,
                  classifier_hidden=(64, 64), vae_max_epochs=5)
    model = DisentangledVAE(config, elements=PALETTE, seed=0).fit(x, y)
    y01 = np.isin(y, ("FCC", "BCC", "HCP")).astype(int)
    obs = Observations(elements=PALETTE, X=x, y=y01, keys=tuple(lab["key"]),
                       X_pending=np.empty((0, len(PALETTE))))
    space = DesignSpace(palette=("Cr", "Mo", "Nb", "Ta", "Ti", "V", "W"), min_elements=3,
                        max_elements=5, step=0.05)
    lattice = next(iter(Screening(max_candidates=20_000).candidates(space, 0)))
    rows = np.random.default_rng(0).choice(len(lattice), 300, replace=False)
    pool = dataclasses.replace(obs, candidates=to_model_columns(lattice[rows], space, PALETTE))
    return model, obs, pool, space


def test_y_one_means_the_most_common_structure(phase4_campaign):
    model, obs, _, _ = phase4_campaign
    assert model.single_class in ("FCC", "BCC", "HCP")
    counts = model.metrics["label_counts"]
    assert counts[model.single_class] == max(counts[k] for k in ("FCC", "BCC", "HCP"))
    z = np.random.default_rng(0).normal(size=(5, model.config.latent_dim))
    np.testing.assert_array_equal(model.decode(z, 1), model.decode(z, model.single_class))
    np.testing.assert_array_equal(model.decode(z, 0), model.decode(z, "multi"))
    np.testing.assert_array_equal(model.encode(obs.X[:4], 1),
                                  model.encode(obs.X[:4], model.single_class))
    assert decode_class(model, "BCC") == "BCC"
    assert decode_class(model, "single") == model.single_class


def test_a_structure_target_ranks_the_pool_by_its_own_probability(phase4_campaign):
    model, _, pool, space = phase4_campaign
    members = target_members(model, "BCC", dropout_members=8, seed=0)
    x = torch.as_tensor(pool.open_candidates(), dtype=torch.float64)
    with torch.no_grad():
        p_member = torch.sigmoid(members(x)).mean(0).numpy()
    p_bcc = model.predict_phase_proba(pool.open_candidates())[:, model.classes.index("BCC")]
    assert np.corrcoef(p_member, p_bcc)[0, 1] > 0.95
    bcc = EnsembleBO(acquisition="qSR", diversity=0.0, new_system_margin=0.0, target="BCC").suggest(
        model, pool, space, 6, seed=0)
    fcc = EnsembleBO(acquisition="qSR", diversity=0.0, new_system_margin=0.0, target="FCC").suggest(
        model, pool, space, 6, seed=0)
    assert len(bcc) == 6
    proba = model.predict_phase_proba(np.array(
        [[s.fractions.get(el, 0.0) for el in PALETTE] for s in bcc + fcc]))
    got = proba[:6, model.classes.index("BCC")]
    assert got.min() >= np.quantile(p_bcc, 0.9) - 1e-9  # the pool's top tenth by p(BCC)
    k = model.classes.index("FCC")
    assert proba[6:, k].mean() > proba[:6, k].mean()  # another target, another batch


def test_latent_search_for_a_structure_holds_the_design_space(phase4_campaign):
    model, obs, _, space = phase4_campaign
    got = EnsembleBO(target="BCC").suggest(model, obs, space, 4, seed=0)
    x = np.array([[s.fractions.get(el, 0.0) for el in space.palette] for s in got])
    assert len(got) >= 1
    assert space.feasible(x).all()
    again = EnsembleBO(target="BCC").suggest(model, obs, space, 4, seed=0)
    assert [s.key for s in again] == [s.key for s in got]


def test_a_structure_target_on_a_binary_model_names_the_fix(phase4_campaign):
    _, obs, _, _ = phase4_campaign
    model = DisentangledVAE(TINY, elements=PALETTE, seed=0).fit(obs.X[:200], obs.y[:200])
    with pytest.raises(ValueError, match="phase4"):
        target_members(model, "BCC")
    assert decode_class(model, "single") == 1


def test_screening_scores_a_phase4_model_as_predict_proba(phase4_campaign):
    from alloyloop.models.torch_scoring import TorchScorer

    model, _, pool, space = phase4_campaign
    x = pool.open_candidates()
    np.testing.assert_allclose(TorchScorer(model).predict_proba(x), model.predict_proba(x),
                               atol=1e-6)
    got = Screening(acquisition="greedy").suggest(model, pool, space, 4, seed=0)
    assert len(got) == 4
