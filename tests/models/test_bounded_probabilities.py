"""Probabilities a lab can believe: bounded logits (``DVAEConfig.probability_floor``) on
every path that turns the classifier into a probability (numpy, bulk torch scorer, torch
members for BoTorch, the SHAP head), and a calibration temperature that never sharpens.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from alloyloop.models.calibration import fit_temperature, fit_temperature_softmax
from alloyloop.models.config import ConfigError, DVAEConfig
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.labels import PHASE4_CLASSES, phase4_masks
from alloyloop.models.networks import SoftCap, logit_bound
from alloyloop.models.torch_members import member_logits
from alloyloop.models.torch_scoring import TorchScorer

from tests.fixtures.dvae import SYNTHETIC_PALETTE, fast, random_alloys

torch.set_num_threads(1)

PALETTE = SYNTHETIC_PALETTE
FLOOR = 1e-4
# 80 epochs on 30 rows, kept at the best NLL on the training rows themselves: the worst
# case, where nothing stops an unbounded classifier's logits from growing (it reaches
# p ≈ 1e-18 on this data, see the last test).
SMALL = fast(max_epochs=80, min_epochs=80, patience=80, batch_size=32, selection_metric="nll",
             classifier_hidden=(64, 64), encoder_hidden=(16,), decoder_hidden=(16,),
             composition_prior_samples=16, vae_max_epochs=2, vae_patience=1,
             control_samples=16, dropout=0.1)


def _alloys(n: int, seed: int) -> np.ndarray:
    return random_alloys(n, len(PALETTE), seed, 2.0)


@pytest.fixture(scope="module")
def few_labels():
    """30 labelled alloys, all multi-phase but two, as a CALPHAD campaign has after a
    dozen unlucky rounds; candidates span the palette, pure elements included."""
    X = _alloys(30, seed=4)
    y = np.zeros(30, dtype=np.int64)
    y[[3, 17]] = 1
    candidates = np.vstack([_alloys(2000, seed=5), np.eye(len(PALETTE))])
    return X, y, candidates


@pytest.fixture(scope="module")
def bounded(few_labels):
    X, y, _ = few_labels
    return DisentangledVAE(SMALL, elements=PALETTE, seed=0).fit(X, y, X_val=X, y_val=y)


def test_logit_bound_keeps_every_class_probability_inside_the_floor():
    big = torch.linspace(-1e4, 1e4, 4001, dtype=torch.float64)
    c1 = logit_bound(FLOOR, 1)
    p = torch.sigmoid(SoftCap(c1).eval()(big))
    assert p.min() >= FLOOR * (1 - 1e-9) and p.max() <= 1 - FLOOR * (1 - 1e-9)
    top = SoftCap(c1).eval()(torch.tensor(1e4, dtype=torch.float64))
    assert abs(float(torch.sigmoid(top)) - (1 - FLOOR)) < 1e-8
    c4 = logit_bound(FLOOR, 4)
    rng = torch.Generator().manual_seed(0)
    logits = torch.randn(5000, 4, generator=rng, dtype=torch.float64) * 1e3
    q = torch.softmax(SoftCap(c4).eval()(logits), dim=-1)
    assert q.min() >= FLOOR * (1 - 1e-9) and q.max() <= 1 - FLOOR
    # the identity near 0: small logits pass unchanged (to first order)
    small = torch.tensor([-0.1, 0.0, 0.2], dtype=torch.float64)
    torch.testing.assert_close(SoftCap(c1).eval()(small), small, atol=1e-3, rtol=0)
    assert logit_bound(0.0, 1) is None
    # training passes logits through (a capped loss could not correct a confident error)
    torch.testing.assert_close(SoftCap(c1).train()(big), big)


def test_a_few_multi_phase_labels_never_give_p_beyond_the_floor(few_labels, bounded):
    X, y, candidates = few_labels
    p = bounded.predict_proba(candidates)
    assert p.min() >= FLOOR and p.max() <= 1 - FLOOR
    assert bounded.temperature_ >= 1.0
    # every other path sees the same bounded, calibrated probability
    np.testing.assert_allclose(TorchScorer(bounded).predict_proba(candidates), p, atol=1e-6)
    head = bounded.classifier_head()
    with torch.no_grad():
        p_head = head(torch.as_tensor(bounded.transform(candidates),
                                      dtype=torch.float32)).numpy()[:, 0]
    np.testing.assert_allclose(p_head, p, atol=1e-5)
    members = member_logits(bounded, dropout_members=8, seed=0)
    with torch.no_grad():
        p_members = torch.sigmoid(members(torch.as_tensor(candidates))).numpy()
    assert p_members.shape == (8, len(candidates))
    assert p_members.min() >= FLOOR and p_members.max() <= 1 - FLOOR
    # the members keep gradients (the BoTorch acquisition optimises through them)
    c = torch.as_tensor(candidates[:5]).clone().requires_grad_(True)
    members(c).sum().backward()
    assert torch.isfinite(c.grad).all() and (c.grad.abs() > 0).any()


def test_without_the_floor_the_same_fit_is_overconfident(few_labels):
    """What the cap prevents: the same data and seed, unbounded, score candidates far
    below 1e-4 (so the test above is not passing for want of confidence)."""
    X, y, candidates = few_labels
    free = DisentangledVAE(dataclasses.replace(SMALL, probability_floor=0.0),
                           elements=PALETTE, seed=0).fit(X, y, X_val=X, y_val=y)
    assert free.predict_proba(candidates).min() < FLOOR


def test_temperature_never_sharpens():
    rng = np.random.default_rng(3)
    true_logits = rng.normal(scale=2.0, size=40)
    y = (rng.uniform(size=40) < 1 / (1 + np.exp(-true_logits))).astype(int)
    under = 0.25 * true_logits  # an under-confident model: the NLL optimum is T ≈ 0.25
    assert fit_temperature(under, y) == 1.0
    perfect = np.where(y == 1, 2.0, -2.0)  # a small set ranked perfectly: T → 0 before
    assert fit_temperature(perfect, y) == 1.0
    logits4 = rng.normal(size=(40, 4)) * 0.1
    labels = np.array(PHASE4_CLASSES, dtype=object)[(logits4 * 40).argmax(axis=1)]
    assert fit_temperature_softmax(logits4, phase4_masks(labels)) == 1.0


def test_probability_floor_is_validated_and_old_checkpoints_keep_no_cap(bounded, tmp_path):
    with pytest.raises(ConfigError, match="probability_floor"):
        DVAEConfig(probability_floor=0.2)
    with pytest.raises(ConfigError, match="probability_floor"):
        DVAEConfig(probability_floor=-1e-4)
    bounded.save(tmp_path / "m")
    again = DisentangledVAE.load(tmp_path / "m")
    assert again.config.probability_floor == FLOOR
    cands = _alloys(50, seed=9)
    np.testing.assert_array_equal(again.predict_proba(cands), bounded.predict_proba(cands))
    # a checkpoint written before the cap (no probability_floor key) loads without one
    meta = json.loads((tmp_path / "m" / "meta.json").read_text())
    del meta["config"]["probability_floor"]
    (tmp_path / "m" / "meta.json").write_text(json.dumps(meta))
    old = DisentangledVAE.load(tmp_path / "m")
    assert old.config.probability_floor == 0.0
    assert not any(isinstance(m, SoftCap) for m in old.net_.modules())
