"""Session 6's decoder options for unseen element systems: ``presence_threshold``, the
opt-in augmentation kinds
``"drop2"`` (two elements dropped) and ``"mix3"`` (three-way unions), and
``vae_average_last`` (the mean of the VAE phase's last epochs' weights)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from alloyloop.models.augment import augment, mixtures3, sub_alloys2
from alloyloop.models.composition import hard_composition
from alloyloop.models.config import ConfigError, DVAEConfig
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.trainer import average_states

from tests.fixtures.dvae import SYNTHETIC_PALETTE, fast

torch.set_num_threads(1)


def _sets(x: np.ndarray) -> list[frozenset[int]]:
    return [frozenset(np.flatnonzero(r > 0).tolist()) for r in x]


def test_drop2_removes_two_elements_and_keeps_the_others_ratios():
    rng = np.random.default_rng(0)
    x = np.hstack([rng.dirichlet(np.ones(5), size=30), np.zeros((30, 3))])
    x[:10, 3:] = 0  # ternaries: too small to lose two elements and stay an alloy
    x[:10] /= x[:10].sum(axis=1, keepdims=True)
    out = sub_alloys2(x, 300, np.random.default_rng(1))
    assert out.shape == (300, 8)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    assert set((out > 0).sum(axis=1)) == {3}  # every quinary parent lost two
    for row in out[:30]:
        kept = row > 0
        assert any(np.allclose(row[kept], p[kept] / p[kept].sum())
                   for p in x[10:] if (p[kept] > 0).all())
    assert sub_alloys2(x[:10], 5, np.random.default_rng(1)).shape == (0, 8)


def test_mix3_unions_of_three_one_element_beyond_the_largest():
    rng = np.random.default_rng(0)
    x = np.zeros((90, 7))
    systems = [[0, 1, 2], [0, 1, 3], [0, 2, 3], [4, 5, 6]]
    for i in range(90):
        cols = systems[i % 4]
        x[i, cols] = rng.dirichlet(np.ones(3))
    out = mixtures3(x, 100, np.random.default_rng(2))
    assert 0 < len(out) <= 100
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    # three ternaries from {0,1,2,3} make the quaternary; nothing with {4,5,6} qualifies
    assert set(_sets(out)) == {frozenset({0, 1, 2, 3})}
    # a three-way union is not always a two-way one: some use all three parent systems
    made = augment(x, 1.0, ("mix3",), seed=3)
    assert len(made) and set(_sets(made)) == {frozenset({0, 1, 2, 3})}


def test_config_takes_the_new_kinds_opt_in_and_checks_average_last():
    assert DVAEConfig().vae_augment_kinds == ("drop", "mix")  # the default is unchanged
    assert DVAEConfig(vae_augment_kinds=("drop", "drop2", "mix3")).vae_augment_kinds == (
        "drop", "drop2", "mix3")
    with pytest.raises(ConfigError, match="drop3"):
        DVAEConfig(vae_augment_kinds=("drop3",))
    assert DVAEConfig().vae_average_last == 0  # off by default
    for bad in (-1, 2.5, True):
        with pytest.raises(ConfigError, match="vae_average_last"):
            DVAEConfig(vae_keep="last", vae_average_last=bad)
    with pytest.raises(ConfigError, match='vae_keep="last"'):
        DVAEConfig(vae_average_last=5)  # vae_keep "best" keeps one epoch: nothing to average


def test_average_states_means_floats_and_keeps_counters():
    a = {"w": torch.tensor([1.0, 2.0]), "n": torch.tensor(3)}
    b = {"w": torch.tensor([3.0, 6.0]), "n": torch.tensor(4)}
    out = average_states([a, b])
    torch.testing.assert_close(out["w"], torch.tensor([2.0, 4.0]))
    assert int(out["n"]) == 4


def test_vae_average_last_keeps_the_mean_of_the_last_epochs(synthetic_data):
    """Same seed, same trajectory: averaging one epoch is the last epoch; averaging three
    moves the decoder's weights (not the classifier's) off the last epoch's, to a point
    between them."""
    X, y, Xu = synthetic_data
    fits = {n: DisentangledVAE(fast(vae_max_epochs=6, vae_patience=100, vae_keep="last",
                                    vae_average_last=n),
                               elements=SYNTHETIC_PALETTE, seed=1).fit(X, y, X_unlabelled=Xu)
            for n in (0, 1, 3)}
    w = {n: m.net_.state_dict() for n, m in fits.items()}
    for key in w[0]:
        torch.testing.assert_close(w[1][key], w[0][key])  # the mean of one epoch
    dec = [k for k in w[0] if k.startswith("decoder.")]
    assert any(not torch.equal(w[3][k], w[0][k]) for k in dec)
    for key in (k for k in w[0] if k.startswith("classifier.")):
        torch.testing.assert_close(w[3][key], w[0][key])
    np.testing.assert_array_equal(fits[3].predict_proba(X), fits[0].predict_proba(X))
    assert fits[3].metrics["vae_epochs"] == 6


def test_hard_composition_threshold_keeps_only_elements_that_reach_it():
    a = torch.tensor([[2.0, 0.2, 0.6, -3.0], [0.1, 0.05, -1.0, -2.0]])  # σ 0.88 .55 .65 .05
    b = torch.zeros_like(a)
    assert ((hard_composition(a, b) > 0) == np.array(
        [[1, 1, 1, 0], [1, 1, 0, 0]], bool)).all()
    # at 0.6 the σ 0.55 element goes; the second row keeps its top two (at least two)
    assert ((hard_composition(a, b, threshold=0.6) > 0) == np.array(
        [[1, 0, 1, 0], [1, 1, 0, 0]], bool)).all()
    with pytest.raises(ConfigError, match="presence_threshold=1"):
        DVAEConfig(presence_threshold=1)
    with pytest.raises(ConfigError, match="presence_threshold=0"):
        DVAEConfig(presence_threshold=0.0)


def test_presence_threshold_changes_decoding_not_training(synthetic_data):
    """Decode-time only: same seed, same weights and classifier; the lower threshold
    decodes a superset of the elements of the 0.5 one, strictly more for some alloys."""
    X, y, Xu = synthetic_data
    fits = [DisentangledVAE(fast(composition_likelihood="presence", latent_dim=4,
                                 presence_threshold=t),
                            elements=SYNTHETIC_PALETTE, seed=2).fit(X, y, X_unlabelled=Xu)
            for t in (0.5, 0.1)]
    w0, w1 = (m.net_.state_dict() for m in fits)
    for key in w0:
        torch.testing.assert_close(w1[key], w0[key])
    z = np.random.default_rng(0).standard_normal((300, 4))
    d0, d1 = (m.decode(z, 1) > 0 for m in fits)
    assert not (d0 & ~d1).any()
    assert (d1.sum(axis=1) > d0.sum(axis=1)).any()
    assert (d0.sum(axis=1) >= 2).all()
