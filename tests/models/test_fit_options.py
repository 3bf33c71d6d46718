"""What the DVAE exposes beyond fit/predict: warm starts as a fit option
(``fit(init_from=…)``), the classification head as a torch module on its public inputs,
fitted figures through properties (nothing outside ``models/`` reads ``…_``), and the
VAE phase's own batches and stopping rule (``vae_batch_size``, ``vae_min_improvement``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from alloyloop.models.batches import schedule
from alloyloop.models.config import DVAEConfig
from alloyloop.models.dvae import DisentangledVAE, NotFittedError

from tests.fixtures.dvae import FAST, SYNTHETIC_PALETTE, synthetic_alloys

torch.set_num_threads(1)

PALETTE = SYNTHETIC_PALETTE


@pytest.fixture(scope="module")
def data(synthetic_data):
    X, y, _ = synthetic_data
    return X, y


@pytest.fixture(scope="module")
def first(synthetic_fitted):
    """The shared synthetic DVAE: the earlier round's model to warm-start from."""
    return synthetic_fitted


def _weights(model: DisentangledVAE) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.net_.state_dict().items()}


def test_a_fit_without_init_from_is_a_cold_start(first):
    assert first.warm_start.used is False
    assert first.metrics["warm_start"]["used"] is False


def test_warm_start_begins_from_the_earlier_weights_and_caps_epochs(first, data):
    X, y = data
    config = dataclasses.replace(FAST, warm_start_max_epochs=2, max_epochs=50, patience=50)
    warm = DisentangledVAE(config, elements=PALETTE, seed=1).fit(X, y, init_from=first)
    cold = DisentangledVAE(config, elements=PALETTE, seed=1).fit(X, y)
    assert warm.warm_start.used and warm.warm_start.reason == "previous round's weights"
    assert warm.metrics["epochs"] <= 2 and cold.metrics["epochs"] > 2
    # closer to the weights it started from than a cold fit of the same seed is
    w0, ww, wc = _weights(first), _weights(warm), _weights(cold)
    dist = lambda a: sum(float((a[k] - w0[k]).norm()) for k in w0)  # noqa: E731
    assert dist(ww) < dist(wc)


def test_warm_start_from_a_checkpoint_directory(first, data, tmp_path):
    X, y = data
    first.save(tmp_path / "m")
    model = DisentangledVAE(FAST, elements=PALETTE, seed=0).fit(X, y, init_from=tmp_path / "m")
    assert model.warm_start.used and model.warm_start.source == str(tmp_path / "m")
    missing = DisentangledVAE(FAST, elements=PALETTE, seed=0).fit(X, y, init_from=tmp_path / "x")
    assert (missing.warm_start.used, missing.warm_start.reason) == (False, "previous checkpoint is missing")
    loaded = DisentangledVAE.load(tmp_path / "m")
    assert loaded.warm_start == first.warm_start  # the record survives a checkpoint


def test_a_palette_that_grew_starts_cold_and_still_fits(first, data):
    X, y = data
    grown = PALETTE + ("V",)
    Xg = np.hstack([X, np.zeros((len(X), 1))])
    model = DisentangledVAE(FAST, elements=grown, seed=0).fit(Xg, y, init_from=first)
    assert (model.warm_start.used, model.warm_start.reason) == (False, "the model palette changed")
    cold = DisentangledVAE(FAST, elements=grown, seed=0).fit(Xg, y)
    np.testing.assert_array_equal(model.predict_proba(Xg), cold.predict_proba(Xg))


def test_a_changed_architecture_starts_cold(first, data):
    X, y = data
    wider = dataclasses.replace(FAST, classifier_hidden=(16,))
    model = DisentangledVAE(wider, elements=PALETTE, seed=0).fit(X, y, init_from=first)
    assert (model.warm_start.used, model.warm_start.reason) == (
        False, "DVAE setting classifier_hidden changed")


def test_classifier_head_on_transform_reproduces_predict_proba(first, data):
    X, _ = data
    head = first.classifier_head()
    with torch.no_grad():
        p = head(torch.as_tensor(first.transform(X[:20]), dtype=torch.float32))
    assert p.shape == (20, 1)
    np.testing.assert_allclose(p[:, 0].double().numpy(), first.predict_proba(X[:20]), atol=1e-5)
    assert first.transform(X).shape == first.describe(X).shape == (len(X), len(first.feature_names))
    # a copy: changing it leaves the model alone
    before = first.predict_proba(X[:5])
    for prm in head.parameters():
        prm.data.zero_()
    np.testing.assert_array_equal(first.predict_proba(X[:5]), before)


def test_properties_need_a_fitted_model():
    model = DisentangledVAE(FAST, elements=PALETTE, seed=0)
    with pytest.raises(NotFittedError, match="call fit"):
        model.classifier_head()
    with pytest.raises(NotFittedError):
        model.metrics  # noqa: B018


def test_warm_start_max_epochs_is_validated():
    with pytest.raises(ValueError, match="warm_start_max_epochs"):
        DVAEConfig(warm_start_max_epochs=0)


def test_vae_phase_settings_change_the_decoder_not_the_classifier():
    """The trainer's VAE phase (own batches, stopping threshold) leaves the classifier alone."""
    X, y = synthetic_alloys(300, seed=7)
    pool = X[:60] * 0.5 + X[60:120] * 0.5
    base = dataclasses.replace(FAST, vae_max_epochs=6, vae_patience=3)
    small = DisentangledVAE(dataclasses.replace(base, vae_batch_size=FAST.batch_size,
                                                vae_min_improvement=0.0),
                            elements=PALETTE, seed=0).fit(X, y, X_unlabelled=pool)
    large = DisentangledVAE(dataclasses.replace(base, vae_batch_size=4 * FAST.batch_size,
                                                vae_min_improvement=0.05),
                            elements=PALETTE, seed=0).fit(X, y, X_unlabelled=pool)
    # the classifier phase and everything fitted on its classifier are the same
    np.testing.assert_array_equal(small.predict_proba(X), large.predict_proba(X))
    assert small.temperature_ == large.temperature_
    assert small.metrics["best_epoch"] == large.metrics["best_epoch"]
    # the VAE phase took other steps, so the decoder differs
    assert small.metrics["steps"] != large.metrics["steps"]
    z = np.zeros((4, FAST.latent_dim))
    assert not np.array_equal(small.decode(z, 1), large.decode(z, 1))


@pytest.mark.parametrize(("n_l", "n_u", "batch", "steps"), [
    (30, 0, None, 20),       # a campaign's few labels: min_steps_per_epoch steps
    (30, 0, 1024, 20),       # the VAE phase's larger batch gives them as many updates
    (5182, 1978, None, 21),  # a corpus fold: one pass over the labelled rows
    (5182, 1978, 1024, 6),   # the same pass in 6 larger steps
])
def test_schedule_steps_per_epoch(n_l, n_u, batch, steps):
    """A small labelled set gets as many updates per epoch in both phases."""
    c = DVAEConfig(batch_size=256, min_steps_per_epoch=20)
    plan = schedule(c, n_l, n_u, seed=0, batch=batch)
    assert plan.steps == steps
    assert plan.labelled.next().numel() == min(batch or 256, n_l)
    if n_u:
        assert plan.unlabelled.next().numel() == -(-n_u // steps)
