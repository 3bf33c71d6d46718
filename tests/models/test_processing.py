"""Processing route as a condition of the DVAE (``DVAEConfig.processing_input``) on real
corpus alloys with Borg 2020's routes: input shapes, route counts, predictions per route,
torch members with a route, errors, checkpoints."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from alloyloop.featurize.matrix import fraction_matrix
from alloyloop.models.config import ConfigError, DVAEConfig
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.processing import LEVELS, route_counts, route_one_hot, route_words
from alloyloop.models.target import target_members
from alloyloop.models.torch_members import member_logits

from tests.fixtures.dvae import corpus_rows, fast

torch.set_num_threads(1)

PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni", "Ti", "V", "Nb", "Mo", "Ta", "W",
           "Zr", "Hf")
FAST = fast(label="phase4", processing_input=True, max_epochs=4, patience=3,
            classifier_hidden=(32,), encoder_hidden=(16,), decoder_hidden=(16,),
            composition_prior_samples=16, vae_max_epochs=3, vae_patience=2, control_samples=16)


@pytest.fixture(scope="module")
def corpus():
    """Every corpus alloy with a route inside the palette, plus as many without one."""
    df = corpus_rows(PALETTE, phase4=True)
    routed = df[df["processing"].notna()]
    other = df[df["processing"].isna()].sample(len(routed), random_state=0)
    sel = pd.concat([routed, other])
    return (fraction_matrix(sel["fractions"], PALETTE), sel["phase4"].to_numpy(object),
            sel["processing"].to_numpy(object))


@pytest.fixture(scope="module")
def fitted(corpus):
    X, y, routes = corpus
    return DisentangledVAE(FAST, elements=PALETTE, seed=0).fit(X, y, processing=routes)


def test_route_words_and_counts():
    words = route_words(["CAST", "ANNEAL", None, float("nan"), "Wrought", "powder"], 6)
    assert list(words) == ["as-cast", "annealed", "unknown", "unknown", "wrought", "powder"]
    assert route_one_hot(words).shape == (6, len(LEVELS))
    assert route_counts(words)["unknown"] == 2
    assert list(route_words("annealed", 3)) == ["annealed"] * 3
    with pytest.raises(ValueError, match="'forged' is not a processing route: use one of"):
        route_words(["forged"], 1)
    with pytest.raises(ConfigError, match="processing_input='yes' is invalid"):
        DVAEConfig(processing_input="yes")


def test_processing_condition_shapes(fitted, corpus):
    X, _, routes = corpus
    F = len(fitted.schema) + len(PALETTE) + len(LEVELS)
    assert fitted.transform(X[:5]).shape == (5, F)
    assert fitted.describe(X[:5], processing="annealed")[:, -len(LEVELS):].sum(axis=1).tolist() \
        == [1.0] * 5
    assert fitted.feature_names[-1] == "route=unknown" and len(fitted.feature_names) == F
    cast = fitted.predict_phase_proba(X[:20], processing="as-cast")
    annealed = fitted.predict_phase_proba(X[:20], processing="annealed")
    assert cast.shape == annealed.shape == (20, 4)
    assert not np.allclose(cast, annealed)  # the route is an input
    assert fitted.predict_proba(X[:3], processing=["as-cast", None, "wrought"]).shape == (3,)
    with pytest.raises(ValueError, match="processing must be one route or"):
        fitted.predict_proba(X[:3], processing=["as-cast"])


def test_route_counts_in_metrics(fitted, corpus):
    counts = fitted.metrics["processing_counts"]
    assert set(counts) == set(LEVELS)
    assert sum(counts.values()) == fitted.metrics["n_train"]
    assert counts["as-cast"] > 0 and counts["unknown"] > 0
    assert fitted.metrics["processing_input"] is True


def test_torch_members_take_a_route(fitted, corpus):
    X, _, _ = corpus
    x = torch.as_tensor(X[:4], dtype=torch.float64)
    for route in ("annealed", None):
        logit = target_members(fitted, "BCC", dropout_members=2, processing=route)(x)
        p = fitted.predict_phase_proba(X[:4], processing=route)[:, 1]
        # the dropout members scatter around the deterministic prediction
        assert logit.shape == (2, 4)
        assert np.all(np.abs(torch.sigmoid(logit).mean(0).numpy() - p) < 0.5)
    assert member_logits(fitted, dropout_members=2).inputs(x).shape[1] == \
        fitted.transform(X[:1]).shape[1]


def test_checkpoint_keeps_the_condition(fitted, corpus, tmp_path):
    X, _, _ = corpus
    back = DisentangledVAE.load(fitted.save(tmp_path / "m"))
    assert back.config.processing_input
    np.testing.assert_array_equal(back.predict_proba(X[:9], processing="wrought"),
                                  fitted.predict_proba(X[:9], processing="wrought"))


def test_routes_counted_without_the_condition(corpus):
    X, y, routes = corpus
    cfg = dataclasses.replace(FAST, processing_input=False)
    model = DisentangledVAE(cfg, elements=PALETTE, seed=0).fit(X, y, processing=routes)
    assert model.transform(X[:2]).shape[1] == len(model.schema) + len(PALETTE)
    assert model.metrics["processing_counts"]["as-cast"] > 0


def test_the_design_route_is_fixed_at_construction(fitted, corpus, tmp_path):
    """A model built for a route predicts for it whenever no route is asked, through fit and
    the checkpoint; one built without a route predicts for "unknown" (no mode switch)."""
    X, y, routes = corpus
    annealed = DisentangledVAE(FAST, elements=PALETTE, seed=0, design_processing="ANNEAL")
    assert annealed.design_processing == "annealed" and "design_processing='annealed'" in repr(
        annealed)
    annealed.fit(X, y, processing=routes)
    assert annealed.design_processing == "annealed"
    np.testing.assert_array_equal(annealed.predict_proba(X[:9]),
                                  fitted.predict_proba(X[:9], processing="annealed"))
    np.testing.assert_array_equal(fitted.predict_proba(X[:9]),
                                  fitted.predict_proba(X[:9], processing="unknown"))
    back = DisentangledVAE.load(annealed.save(tmp_path / "annealed"))
    assert back.design_processing == "annealed"
    np.testing.assert_array_equal(back.predict_proba(X[:9]), annealed.predict_proba(X[:9]))
    assert not hasattr(back, "set_design_processing")
