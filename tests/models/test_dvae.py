"""The disentangled VAE: objective terms, training determinism, checkpoints, latent
space, calibration, conformal sets, domain signal and config validation.

Everything runs real torch training on a small synthetic alloy set (a few hundred
compositions over eight elements, labelled by a sharp chemical rule), so each test
takes seconds.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from alloyloop.models.base import PhaseClassifier
from alloyloop.models.calibration import (
    apply_temperature,
    binary_nll,
    expected_calibration_error,
    fit_temperature,
)
from alloyloop.models.checkpoint import CheckpointError
from alloyloop.models.config import ConfigError, DVAEConfig
from alloyloop.models.conformal import SplitConformal, set_labels
from alloyloop.models.domain import DomainModel, nearest_distances
from alloyloop.models.dvae import DisentangledVAE, NotFittedError
from alloyloop.models.validation_split import validation_split
from alloyloop.models.networks import M2
from alloyloop.models.objective import labelled_loss, unlabelled_loss
from alloyloop.models.priors import (
    count_quantiles,
    effective_element_count,
    element_count_penalty,
    rule_prior,
    rule_votes,
)

from tests.fixtures.dvae import FAST, SYNTHETIC_PALETTE, synthetic_alloys

torch.set_num_threads(1)


PALETTE = SYNTHETIC_PALETTE


@pytest.fixture(scope="module")
def data(synthetic_data):
    return synthetic_data


@pytest.fixture(scope="module")
def fitted(synthetic_fitted):
    return synthetic_fitted


# ---------------------------------------------------------------- objective terms
def _tiny_net(n_features: int) -> M2:
    torch.manual_seed(0)
    return M2(n_elements=len(PALETTE), n_features=n_features, latent_dim=2,
              encoder_hidden=(16,), decoder_hidden=(16,), classifier_hidden=(16,),
              activation="softplus", classifier_activation="relu", dropout=0.0, n_heads=2)


def test_elbo_terms_finite_posterior_normalized_and_gradients_reach_every_parameter(data):
    X, y, Xu = data
    x = torch.tensor(X[:16], dtype=torch.float32)
    xu = torch.tensor(Xu[:16], dtype=torch.float32)
    net = _tiny_net(len(PALETTE))
    p_l = torch.tensor(rule_prior(X[:16], PALETTE, 0.5), dtype=torch.float32)
    p_u = torch.tensor(rule_prior(Xu[:16], PALETTE, 0.5), dtype=torch.float32)
    yl = torch.tensor(y[:16], dtype=torch.float32)

    loss_l, bce = labelled_loss(net, x, x, yl, p_l, alpha=10.0, beta=0.5, count=100.0)
    loss_u, q = unlabelled_loss(net, xu, xu, p_u, beta=0.5, count=100.0)
    targets = torch.tensor(count_quantiles(effective_element_count(X), 8), dtype=torch.float32)
    penalty = element_count_penalty(net.decoder(torch.randn(8, 2), torch.ones(8)), targets)

    assert q.shape == (16, 2)
    assert torch.allclose(q.sum(dim=1), torch.ones(16), atol=1e-6)
    assert (q >= 0).all()
    for value in (loss_l, bce, loss_u, penalty):
        assert torch.isfinite(value)
    assert bce > 0 and penalty >= 0

    (loss_l + loss_u + penalty).backward()
    for name, param in net.named_parameters():
        assert param.grad is not None, f"no gradient reaches {name}"
        assert torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, f"zero gradient at {name}"


def test_unlabelled_loss_matches_enumeration_by_hand(data):
    """−U(x) = −Σ_y q(y|x) ELBO(x, y) − H(q): with the encoder's noise switched off
    (log σ² at its floor is not zero, so compare with a fixed seed instead)."""
    X, _, _ = data
    x = torch.tensor(X[:5], dtype=torch.float32)
    net = _tiny_net(len(PALETTE))
    p = torch.full((5,), 0.5)
    torch.manual_seed(7)
    loss, q = unlabelled_loss(net, x, x, p, beta=1.0, count=100.0)
    # Recompute with the same noise draws: rows are duplicated as [y=0 block; y=1 block].
    torch.manual_seed(7)
    from alloyloop.models.objective import elbo_terms

    y_enum = torch.cat([torch.zeros(5), torch.ones(5)])
    elbo = elbo_terms(net, x.repeat(2, 1), y_enum, p.repeat(2), 100.0).elbo(1.0).view(2, 5).T
    entropy = -(q * q.log()).sum(dim=1)
    expected = -((q * elbo).sum(dim=1) + entropy).mean()
    assert torch.allclose(loss, expected, rtol=1e-5)


def test_rule_prior_is_tempered_vote():
    X = np.array([[0, 0.2, 0.2, 0, 0.2, 0.2, 0.2, 0],      # CoCrFeMnNi, the Cantor alloy
                  [0.5, 0, 0, 0, 0, 0, 0, 0.5]])            # AlTi: large ΔH, multi
    votes = rule_votes(X, PALETTE)
    assert votes.shape == (2, 3) and set(np.unique(votes)) <= {0.0, 1.0}
    assert votes[0, 0] == 1.0 and votes[0, 1] == 1.0       # Ω and ΔH windows say single
    assert votes[1, 1] == 0.0                                # ΔH_mix(AlTi) = -30 kJ/mol
    p = rule_prior(X, PALETTE, 0.5)
    assert np.allclose(p, 0.5 + 0.5 * (votes.mean(axis=1) - 0.5))
    assert np.allclose(rule_prior(X, PALETTE, 0.0), 0.5)
    with pytest.raises(ValueError, match="confidence"):
        rule_prior(X, PALETTE, 1.0)


def test_effective_element_count_of_equimolar_alloys():
    X = np.array([[0.5, 0.5, 0, 0], [0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0]])
    assert np.allclose(effective_element_count(X), [2, 4, 1])


# ---------------------------------------------------------------- estimator
def test_satisfies_phase_classifier_protocol(fitted, data):
    X, y, _ = data
    assert isinstance(fitted, PhaseClassifier)
    p = fitted.predict_proba(X)
    assert p.shape == (len(X),) and p.dtype == np.float64
    assert ((p >= 0) & (p <= 1)).all()
    assert set(np.unique(fitted.predict(X))) <= {0, 1}
    m = fitted.metrics_
    assert m["n_train"] + m["n_validation"] == len(X) and m["n_unlabelled"] == 200
    phases = [h["phase"] for h in fitted.history_]
    assert phases.count("classifier") == m["epochs"] and phases.count("vae") == m["vae_epochs"]
    assert 1 <= m["best_epoch"] <= m["epochs"]


@pytest.mark.slow
def test_learns_the_synthetic_rule(data):
    X, y, Xu = data
    Xt, yt = synthetic_alloys(300, seed=9)
    cfg = dataclasses.replace(FAST, max_epochs=60, min_epochs=30, patience=30)
    model = DisentangledVAE(cfg, elements=PALETTE, seed=0).fit(X, y, X_unlabelled=Xu)
    acc = ((model.predict_proba(Xt) >= 0.5) == yt).mean()
    assert acc > 0.85


def test_fit_is_deterministic_under_a_seed_and_leaves_global_rng_alone(data):
    X, y, Xu = data
    state = torch.get_rng_state()
    a = DisentangledVAE(FAST, elements=PALETTE, seed=11).fit(X, y, X_unlabelled=Xu)
    assert torch.equal(torch.get_rng_state(), state)
    b = DisentangledVAE(FAST, elements=PALETTE, seed=11).fit(X, y, X_unlabelled=Xu)
    c = DisentangledVAE(FAST, elements=PALETTE, seed=12).fit(X, y, X_unlabelled=Xu)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert np.array_equal(a.encode(X), b.encode(X))
    assert a.data_sha256_ == b.data_sha256_
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_refit_resets_state(data):
    X, y, Xu = data
    model = DisentangledVAE(FAST, elements=PALETTE, seed=5)
    first = model.fit(X, y, X_unlabelled=Xu).predict_proba(X)
    model.fit(X[:200], y[:200])
    assert model.metrics_["n_unlabelled"] == 0
    again = model.fit(X, y, X_unlabelled=Xu).predict_proba(X)
    assert np.array_equal(first, again)


def test_save_load_round_trip_is_identical(fitted, data, tmp_path):
    X, _, _ = data
    path = fitted.save(tmp_path / "model")
    loaded = DisentangledVAE.load(path)
    assert loaded.elements == fitted.elements and loaded.config == fitted.config
    assert np.array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    a, b = fitted.predict_detail(X), loaded.predict_detail(X)
    assert a.sets == b.sets
    assert np.array_equal(a.in_domain, b.in_domain)
    assert np.array_equal(a.domain_score, b.domain_score)
    z = fitted.encode(X)
    assert np.array_equal(loaded.encode(X), z)
    assert np.array_equal(loaded.decode(z, 1), fitted.decode(z, 1))

    meta = json.loads((path / "meta.json").read_text())
    assert meta["data_sha256"] == fitted.data_sha256_ and len(meta["data_sha256"]) == 64
    assert meta["schema"]["features"][0]["name"] == fitted.schema.names[0]
    assert meta["elements"] == list(PALETTE)
    assert "val_balanced_accuracy" in meta["metrics"]
    assert {"weights.pt", "domain.pt"} <= set(meta["files"])


def test_checkpoint_detects_tampering_and_refuses_foreign_directories(fitted, tmp_path):
    path = fitted.save(tmp_path / "model")
    weights = path / "weights.pt"
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(CheckpointError, match="sha256"):
        DisentangledVAE.load(path)
    with pytest.raises(CheckpointError, match="not a model checkpoint"):
        DisentangledVAE.load(tmp_path)
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("precious")
    with pytest.raises(CheckpointError, match="not a model checkpoint"):
        fitted.save(foreign)
    assert (foreign / "keep.txt").read_text() == "precious"
    fitted.save(path)  # an existing checkpoint is replaced
    DisentangledVAE.load(path)


def test_decoded_compositions_lie_on_the_simplex(fitted, data):
    X, _, _ = data
    z = np.random.default_rng(0).normal(scale=3.0, size=(50, FAST.latent_dim))
    for y in (0, 1, np.arange(50) % 2):
        x = fitted.decode(z, y)
        assert x.shape == (50, len(PALETTE))
        assert (x >= 0).all() and np.allclose(x.sum(axis=1), 1.0)
    r = fitted.reconstruct(X)
    assert r.shape == X.shape and np.allclose(r.sum(axis=1), 1.0)
    assert fitted.encode(X, y=1).shape == (len(X), FAST.latent_dim)
    with pytest.raises(ValueError, match="z must be"):
        fitted.decode(np.zeros((3, 5)), 1)
    with pytest.raises(ValueError, match="y must be"):
        fitted.decode(np.zeros((3, 2)), 2)


def test_latent_size_is_configurable(data):
    X, y, _ = data
    model = DisentangledVAE(dataclasses.replace(FAST, latent_dim=8, max_epochs=2),
                            elements=PALETTE, seed=0).fit(X, y)
    assert model.encode(X).shape == (len(X), 8)


def test_flat_and_expert_priors_both_fit(data):
    X, y, Xu = data
    for prior in ("flat", "expert"):
        cfg = dataclasses.replace(FAST, prior=prior, max_epochs=2)
        model = DisentangledVAE(cfg, elements=PALETTE, seed=0).fit(X, y, X_unlabelled=Xu)
        assert np.isfinite(model.history_[-1]["loss"])


def test_input_errors_name_the_problem(data):
    X, y, _ = data
    model = DisentangledVAE(FAST, elements=PALETTE, seed=0)
    with pytest.raises(NotFittedError, match="fit"):
        model.predict_proba(X)
    with pytest.raises(ValueError, match=r"\(n, 8\)"):
        model.fit(X[:, :5], y)
    with pytest.raises(ValueError, match="1 \\(single-phase\\) or 0"):
        model.fit(X, y + 1)
    with pytest.raises(ValueError, match="one class"):
        model.fit(X, np.ones_like(y))
    with pytest.raises(ValueError, match="together"):
        model.fit(X, y, X_val=X[:10])
    with pytest.raises(KeyError, match="As"):
        DisentangledVAE(FAST, elements=("Fe", "As"), seed=0)
    with pytest.raises(ValueError, match="twice"):
        DisentangledVAE(FAST, elements=("Fe", "Fe"), seed=0)


def test_explicit_validation_set_is_used(data):
    X, y, _ = data
    model = DisentangledVAE(FAST, elements=PALETTE, seed=0).fit(
        X[:300], y[:300], X_val=X[300:], y_val=y[300:])
    assert model.metrics_["n_train"] == 300 and model.metrics_["n_validation"] == 100


# ---------------------------------------------------------------- uncertainty
def test_predict_detail_sets_and_domain(fitted, data):
    X, _, _ = data
    det = fitted.predict_detail(X)
    assert len(det.sets) == len(X)
    assert set(det.sets) <= {"{single}", "{multi}", "{single,multi}", "{}"}
    frame = det.to_frame()
    assert list(frame.columns[:2]) == ["p_single", "set"]
    assert det.in_domain.mean() > 0.9  # the training alloys themselves


def test_domain_flags_far_and_novel_compositions(fitted):
    # Pure Cr has ΔS_mix = 0 and one element, unlike any training alloy (2–5 elements).
    pure = np.zeros((1, len(PALETTE)))
    pure[0, PALETTE.index("Cr")] = 1.0
    det = fitted.predict_detail(pure)
    assert not det.in_domain[0] and det.domain_score[0] > 1.0

    # An element the labelled data never contained is out of domain however close.
    palette = PALETTE + ("V",)
    X, y = synthetic_alloys(200, seed=4)
    Xp = np.hstack([X, np.zeros((len(X), 1))])
    model = DisentangledVAE(dataclasses.replace(FAST, max_epochs=2), elements=palette,
                            seed=0).fit(Xp, y)
    q = Xp[:1].copy()
    q[0, -1] = 0.01
    assert not model.predict_detail(q / q.sum()).in_domain[0]
    assert model.predict_detail(Xp[:1]).in_domain[0]


def test_domain_model_threshold_is_a_training_quantile():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(500, 3))
    dom = DomainModel.fit(ref, np.ones((500, 2)), quantile=0.9)
    loo = nearest_distances(ref, ref, exclude_self=True)
    assert dom.threshold == pytest.approx(np.quantile(loo, 0.9))
    score, inside = dom.score(ref, np.ones((500, 2)))
    assert inside.all() and np.allclose(score, 0.0, atol=1e-6)
    far, inside_far = dom.score(np.full((1, 3), 25.0), np.ones((1, 2)))
    assert not inside_far[0] and far[0] > 1


def test_conformal_coverage_is_about_ninety_percent():
    rng = np.random.default_rng(0)

    def draw(n):
        p = rng.uniform(size=n)  # a calibrated model: y ~ Bernoulli(p)
        return p, (rng.uniform(size=n) < p).astype(int)

    cp = SplitConformal.fit(*draw(2000), coverage=0.9)
    p, y = draw(50_000)
    members = cp.sets(p)
    covered = members[np.arange(len(y)), y].mean()
    assert 0.88 <= covered <= 0.92
    assert SplitConformal.fit(*draw(5), coverage=0.9).threshold == 1.0  # too few rows
    assert set_labels(np.array([[True, True], [False, True], [True, False]])) == [
        "{single,multi}", "{single}", "{multi}"]


@pytest.mark.slow
def test_dvae_conformal_coverage_on_held_out_synthetic_data(data):
    X, y, Xu = data
    cfg = dataclasses.replace(FAST, max_epochs=40, min_epochs=10, val_fraction=0.3)
    model = DisentangledVAE(cfg, elements=PALETTE, seed=0).fit(X, y, X_unlabelled=Xu)
    Xt, yt = synthetic_alloys(2000, seed=21)
    det = model.predict_detail(Xt)
    covered = np.where(yt == 1, det.set_single, det.set_multi).mean()
    assert 0.85 <= covered <= 0.97


def test_temperature_scaling_reduces_nll_of_an_overconfident_model():
    rng = np.random.default_rng(1)
    true_logits = rng.normal(scale=1.5, size=5000)
    y = (rng.uniform(size=5000) < 1 / (1 + np.exp(-true_logits))).astype(int)
    overconfident = 4.0 * true_logits
    T = fit_temperature(overconfident, y)
    assert 3.0 < T < 5.5
    assert binary_nll(overconfident / T, y) < binary_nll(overconfident, y) - 0.1
    ece_before = expected_calibration_error(apply_temperature(overconfident, 1.0), y)
    ece_after = expected_calibration_error(apply_temperature(overconfident, T), y)
    assert ece_after < ece_before
    assert fit_temperature(np.zeros(3), np.ones(3)) == 1.0  # one class: not identified


def test_expected_calibration_error_of_perfect_and_bad_predictions():
    y = np.array([1, 0, 1, 0])
    assert expected_calibration_error(y.astype(float), y) == 0.0
    assert expected_calibration_error(1.0 - y, y) == pytest.approx(1.0)


# ---------------------------------------------------------------- config
@pytest.mark.parametrize(("field", "value", "fix"), [
    ("latent_dim", 0, "positive integer"),
    ("latent_dim", 2.5, "positive integer"),
    ("prior", "uniform", "'flat', 'expert'"),
    ("classifier_hidden", (100, 0), "positive layer widths"),
    ("features", ("smix", "omega"), "drop it"),
    ("features", ("smix", "bogus"), "choose from"),
    ("alpha", -1.0, "non-negative"),
    ("rule_confidence", 1.0, r"\[0, 1\)"),
    ("coverage", 1.5, "e.g. 0.9"),
    ("val_fraction", 0.0, "e.g. 0.1"),
    ("activation", "gelu", "'softplus'"),
])
def test_config_validation_names_value_and_fix(field, value, fix):
    with pytest.raises(ConfigError, match=f"{field}=") as err:
        dataclasses.replace(DVAEConfig(), **{field: value})
    assert err.match(fix)


def test_config_round_trips_through_json():
    cfg = dataclasses.replace(DVAEConfig(), latent_dim=8, prior="flat")
    again = DVAEConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg
    with pytest.raises(ConfigError, match="unknown config key 'latnt_dim'"):
        DVAEConfig.from_dict({"latnt_dim": 2})
    with pytest.raises(ConfigError, match="min_epochs"):
        DVAEConfig(min_epochs=50, max_epochs=10)


@pytest.mark.parametrize("split", ["stratified", "family"])
def test_validation_split_is_seeded_and_sized(data, split):
    X, y, _ = data
    space = DisentangledVAE(FAST, elements=PALETTE).space
    tr, va = validation_split(X, y, space, fraction=FAST.val_fraction, mode=split, seed=0)
    assert np.array_equal(np.sort(np.concatenate([tr, va])), np.arange(len(y)))
    assert 0.08 * len(y) <= len(va) <= 0.2 * len(y)
    assert set(y[va]) == {0, 1}
    again = validation_split(X, y, space, fraction=FAST.val_fraction, mode=split, seed=0)
    assert np.array_equal(again[1], va)
    if split == "family":  # no element system on both sides
        systems = lambda idx: {tuple(row) for row in (X[idx] > 0)}  # noqa: E731
        assert not systems(tr) & systems(va)
