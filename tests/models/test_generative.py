"""The DVAE's generative half: two-phase selection, free bits, the label-control term,
the differentiable descriptors it stands on, and the figures of
``alloyloop.models.latent_quality``. Small synthetic data, a few epochs each."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from alloyloop.featurize.descriptors import MODEL_SCHEMA, descriptor_matrix
from alloyloop.featurize.elements import element_table
from alloyloop.models.config import ConfigError, DVAEConfig
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.features import Standardizer
from alloyloop.models.latent_quality import (
    clean,
    equimolar_quaternaries,
    flip_paths,
    label_control,
    latent_usage,
    reconstruction_quality,
)
from alloyloop.models.objective import gaussian_kl
from alloyloop.models.torch_features import TorchClassifierInputs, clean_fractions

from tests.fixtures.dvae import SYNTHETIC_PALETTE, fast, fit_synthetic, synthetic_set

torch.set_num_threads(1)

PALETTE = SYNTHETIC_PALETTE

GATED_OFF = dict(vae_selection="classifier", free_bits=0.0, control_weight=0.0)


@pytest.fixture(scope="module")
def data():
    return synthetic_set(300, 11, 150, 12)


@pytest.fixture(scope="module")
def generative(data):
    """A short two-phase fit: 8 classifier epochs, up to 40 VAE epochs."""
    return fit_synthetic(fast(max_epochs=8, vae_max_epochs=40, vae_patience=40), data, seed=0)


# ---------------------------------------------------------------- differentiable descriptors
def test_torch_descriptors_match_the_featurizer_in_float64():
    table = element_table()
    palette = tuple(s for s in table.symbols if s not in ("Th", "U"))
    rng = np.random.default_rng(0)
    X = np.zeros((200, len(palette)))
    for i in range(len(X)):
        k = rng.integers(1, 8)
        X[i, rng.choice(len(palette), size=k, replace=False)] = rng.dirichlet(np.ones(k))
    X[:5] = rng.dirichlet(np.ones(len(palette)), size=5)  # dense rows, as decoders give
    expected = descriptor_matrix(X, palette, MODEL_SCHEMA)
    std = Standardizer.fit(expected)
    module = TorchClassifierInputs(palette, MODEL_SCHEMA, std, "descriptors+fractions",
                                   dtype=torch.float64)
    got = module.descriptors(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)
    full = module(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(full, np.hstack([std.transform(expected), X]), rtol=1e-9,
                               atol=1e-9)


def test_torch_descriptors_have_finite_gradients_at_absent_elements():
    std = Standardizer(mean=np.zeros(len(MODEL_SCHEMA)), std=np.ones(len(MODEL_SCHEMA)))
    module = TorchClassifierInputs(PALETTE, MODEL_SCHEMA, std, "descriptors")
    x = torch.zeros(2, len(PALETTE))
    x[0, :3] = torch.tensor([0.5, 0.3, 0.2])
    x[1, 1] = 1.0  # a pure element: δ and Δχ are exactly 0
    x.requires_grad_(True)
    module(x).sum().backward()
    assert torch.isfinite(x.grad).all()


# ---------------------------------------------------------------- config
@pytest.mark.parametrize("field, value, fix", [
    ("vae_selection", "best", "choose one of"),
    ("vae_patience", 0, "e.g. 10"),
    ("vae_batch_size", 0, "e.g. 1024"),
    ("vae_min_improvement", -1e-3, "0 = any improvement resets the patience"),
    ("vae_max_epochs", -1, "e.g. 200"),
    ("free_bits", -0.1, "0.25 nat"),
    ("control_weight", float("nan"), "e.g. 10"),
    ("control_samples", 0, "e.g. 128"),
    ("decode_clean_at_pct", 50, "e.g. 2"),
])
def test_generative_settings_are_validated(field, value, fix):
    with pytest.raises(ConfigError, match=field) as err:
        dataclasses.replace(DVAEConfig(), **{field: value})
    assert fix in str(err.value)


def test_free_bits_or_control_without_a_vae_phase_is_refused():
    with pytest.raises(ConfigError, match="vae_selection='elbo'"):
        DVAEConfig(vae_selection="classifier")
    DVAEConfig(**GATED_OFF)  # the classifier-only selection, stated in full


def test_free_bits_floor_each_dimension():
    mu = torch.tensor([[0.0, 2.0]])
    logvar = torch.zeros(1, 2)
    assert gaussian_kl(mu, logvar).item() == pytest.approx(2.0)
    assert gaussian_kl(mu, logvar, free_bits=0.25).item() == pytest.approx(2.25)


# ---------------------------------------------------------------- two-phase selection
def test_two_phase_keeps_the_classifier_of_a_classifier_only_selection(data, generative):
    X, y, Xu = data
    cfg = dataclasses.replace(generative.config, **GATED_OFF)
    plain = DisentangledVAE(cfg, elements=PALETTE, seed=0).fit(X, y, X_unlabelled=Xu)
    a, b = plain.net_.state_dict(), generative.net_.state_dict()
    for key in a:
        same = torch.equal(a[key], b[key])
        assert same == key.startswith("classifier."), key
    np.testing.assert_array_equal(plain.predict_proba(X), generative.predict_proba(X))
    m = generative.metrics
    assert m["vae_selection"] == "elbo" and m["vae_epochs"] >= 1
    assert plain.metrics["vae_epochs"] == 0


def test_the_vae_phase_improves_the_validation_elbo(data, generative):
    X, y, Xu = data
    cfg = dataclasses.replace(generative.config, **GATED_OFF)
    plain = DisentangledVAE(cfg, elements=PALETTE, seed=0).fit(X, y, X_unlabelled=Xu)
    assert generative.metrics["val_neg_elbo"] < plain.metrics["val_neg_elbo"]


# ---------------------------------------------------------------- generative properties
def test_the_label_steers_decoding_towards_what_the_classifier_calls_single(generative):
    ctrl = label_control(generative, n=300, seed=1)
    assert ctrl["tv_between"] > 0.05  # decode(z, 1) and decode(z, 0) differ
    assert ctrl["gap"] > 0.3  # and the model's own classifier prefers decode(z, 1)
    assert (ctrl["p1"] > ctrl["p0"]).mean() > 0.7


def test_every_latent_dimension_is_used_after_a_short_fit(data, generative):
    X, _, _ = data
    usage = latent_usage(generative, X)
    assert len(usage["kl_per_dim"]) == 2
    assert usage["kl_min_dim"] > 0.1
    assert usage["abs_corr"] < 0.9


def test_fit_metrics_carry_the_generative_figures(generative, tmp_path):
    m = generative.metrics
    for key in ("val_neg_elbo", "val_recon_tv", "val_kl_min_dim", "val_latent_abs_corr",
                "label_gap", "val_recon_element_set_agreement"):
        assert np.isfinite(m[key]), key
    assert len(m["val_kl_per_dim"]) == 2 and 0 <= m["val_recon_tv"] <= 1
    loaded = DisentangledVAE.load(generative.save(tmp_path / "m"))
    assert loaded.config == generative.config
    assert loaded.metrics["label_gap"] == m["label_gap"]


def test_a_checkpoint_from_before_two_phase_selection_loads_as_classifier_only(
        generative, tmp_path):
    path = generative.save(tmp_path / "old")
    meta_file = Path(path) / "meta.json"
    meta = json.loads(meta_file.read_text())
    for key in ("vae_selection", "vae_max_epochs", "vae_patience", "free_bits",
                "control_weight", "control_samples", "decode_clean_at_pct"):
        del meta["config"][key]
    meta_file.write_text(json.dumps(meta))
    old = DisentangledVAE.load(path)
    assert old.config.vae_selection == "classifier" and old.config.free_bits == 0
    assert old.config.decode_clean_at_pct == 0  # its decodes were never cleaned
    np.testing.assert_array_equal(old.predict_proba(np.eye(len(PALETTE))),
                                  generative.predict_proba(np.eye(len(PALETTE))))


def test_reconstruction_and_flip_figures_have_their_shapes(data, generative):
    X, _, _ = data
    rec = reconstruction_quality(generative, X[:50])
    assert 0 <= rec["tv_cleaned"] <= 1 and 0 <= rec["element_set_agreement"] <= 1
    # precision and recall count the same true positives: decoded elements ≥ 2 at.%
    # that the input holds
    x = X[:50] / X[:50].sum(1, keepdims=True)
    decoded = generative.reconstruct(x) >= 0.02
    assert rec["decoded_elements"] == pytest.approx(decoded.sum(axis=1).mean())
    true_pos = (decoded & (x > 0)).sum()
    assert rec["element_precision"] * decoded.sum() == pytest.approx(true_pos)
    assert rec["element_recall"] * (x > 0).sum() == pytest.approx(true_pos)
    path, p = flip_paths(generative, X[:7], steps=3)
    assert path.shape == (4, 7, len(PALETTE)) and p.shape == (4, 7)
    np.testing.assert_allclose(path[0], X[:7] / X[:7].sum(1, keepdims=True))
    np.testing.assert_allclose(path.sum(-1), 1.0)


def test_clean_drops_traces_and_renormalises():
    x = np.array([[0.5, 0.49, 0.01], [0.01, 0.01, 0.005]])
    out = clean(x)
    np.testing.assert_allclose(out[0], [0.5 / 0.99, 0.49 / 0.99, 0.0])
    np.testing.assert_allclose(out.sum(1), 1.0)
    assert (out[1] > 0).sum() == 1  # all traces: the largest element stays


def test_numpy_and_torch_cleaning_agree():
    x = np.random.default_rng(3).dirichlet(np.full(12, 0.3), size=100)
    np.testing.assert_allclose(clean_fractions(torch.as_tensor(x), 2.0).numpy(), clean(x, 2.0),
                               atol=1e-15)
    np.testing.assert_array_equal(clean_fractions(torch.as_tensor(x), 0.0).numpy(), x)


def test_decoded_alloys_hold_no_traces(generative):
    z = np.random.default_rng(4).standard_normal((50, 2))
    for y in (0, 1):
        d = generative.decode(z, y)
        assert ((d == 0) | (d >= 0.02)).all()
        np.testing.assert_allclose(d.sum(1), 1.0)


def test_equimolar_quaternaries_of_each_group():
    X, groups = equimolar_quaternaries(("Ag", "Cu", "Pd", "Au", "Pt", "Fe", "Co", "Ni",
                                        "Ru", "Ti"))
    assert (groups == "noble").sum() == 5 and (groups == "magnetic").sum() == 1
    assert "refractory" not in set(groups)
    np.testing.assert_allclose(X.sum(1), 1.0)
    assert ((X > 0).sum(1) == 4).all()
