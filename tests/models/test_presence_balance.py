"""``presence_balance``: the presence term weighed per element by how often the element
occurs in the training alloys (VAE phase only), so a frequent element is not decoded
present by default (issue #30: the decoded alloy's extra element was almost always Fe,
the corpus' most frequent)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from alloyloop.models.composition import presence_class_weights, presence_loglik
from alloyloop.models.config import ConfigError, DVAEConfig
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.latent_quality import element_errors

from tests.fixtures.dvae import SYNTHETIC_PALETTE, fast

torch.set_num_threads(1)
FE = SYNTHETIC_PALETTE.index("Fe")


def _fe_heavy(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(n, 8)`` alloys of 3 elements, Fe in 85 % of them; label: single-phase unless
    Al + Ti + Cu > 12 at.%."""
    rng = np.random.default_rng(seed)
    others = [j for j in range(len(SYNTHETIC_PALETTE)) if j != FE]
    X = np.zeros((n, len(SYNTHETIC_PALETTE)))
    for i in range(n):
        k = 2 if rng.random() < 0.85 else 3
        cols = list(rng.choice(others, size=k, replace=False)) + ([FE] if k == 2 else [])
        X[i, cols] = rng.dirichlet(np.full(3, 3.0))
    return X, (X[:, [0, 3, 7]].sum(axis=1) <= 0.12).astype(np.int64)


def test_weights_balance_each_element_and_one_is_the_plain_term():
    present = torch.tensor([[1, 1, 0], [1, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=torch.bool)
    w_in, w_out = presence_class_weights(present, 1.0)
    p = torch.tensor([0.75, 0.5, 0.01])  # the never-present element is clipped to 0.01
    torch.testing.assert_close(w_in, 0.5 / p)
    torch.testing.assert_close(w_out, 0.5 / (1 - p))
    # γ = 1: present and absent entries of each element weigh the same in total
    n_in = present.float().sum(0)[:2]
    torch.testing.assert_close(w_in[:2] * n_in, w_out[:2] * (4 - n_in))
    half_in, _ = presence_class_weights(present, 0.5)
    torch.testing.assert_close(half_in, (0.5 / p).sqrt())
    # weights of one give the plain Bernoulli term
    a, b = torch.randn(4, 3), torch.randn(4, 3)
    x = present.float() / present.float().sum(1, keepdim=True)
    ones = (torch.ones(3), torch.ones(3))
    torch.testing.assert_close(presence_loglik(a, b, x, 100.0, 30.0, ones),
                               presence_loglik(a, b, x, 100.0, 30.0))
    plain = -F.binary_cross_entropy_with_logits(a, present.float(), reduction="none").sum(1)
    assert plain.shape == (4,)


def test_config_checks_presence_balance():
    assert DVAEConfig().presence_balance == 0.0  # off by default
    DVAEConfig(composition_likelihood="presence", presence_balance=1.0)
    for bad in (-0.1, 1.5, True, "1"):
        with pytest.raises(ConfigError, match="presence_balance"):
            DVAEConfig(composition_likelihood="presence", presence_balance=bad)
    with pytest.raises(ConfigError, match='composition_likelihood=\\\\?"presence\\\\?"'):
        DVAEConfig(presence_balance=0.5)  # the multinomial decoder has no presence term


def test_balance_lowers_a_frequent_elements_presence_where_it_is_absent():
    """Real fits on alloys where Fe is in 85 %: same seed with and without the balance.
    The classifier is the same to the bit (the balance acts in the VAE phase only);
    with it, the decoder's presence probability of Fe on the Fe-free alloys falls, and it
    decodes the Fe-free alloys with Fe less often."""
    X, y = _fe_heavy(500, 0)
    Xu, _ = _fe_heavy(500, 1)
    base = dict(composition_likelihood="presence", latent_dim=2, presence_weight=30.0,
                vae_max_epochs=30, vae_patience=100, vae_keep="last")
    fits = {g: DisentangledVAE(fast(**base, presence_balance=g), elements=SYNTHETIC_PALETTE,
                               seed=0).fit(X, y, X_unlabelled=Xu) for g in (0.0, 1.0)}
    np.testing.assert_array_equal(fits[1.0].predict_proba(X), fits[0.0].predict_proba(X))
    assert fits[1.0].net_.decoder.balance is None  # a training weight, gone after the fit
    no_fe = X[:, FE] == 0

    def fe_presence(m: DisentangledVAE) -> tuple[float, float]:
        codes = m.predicted_codes(X[no_fe])
        z = torch.as_tensor(m.encode(X[no_fe], codes), dtype=torch.float32)
        with torch.no_grad():
            a, _ = m.net_.decoder.parts(z, m._y_tensor(codes, len(z)))
        extra = float((m.reconstruct(X[no_fe])[:, FE] > 0).mean())
        return float(torch.sigmoid(a[:, FE]).mean()), extra

    (s0, e0), (s1, e1) = fe_presence(fits[0.0]), fe_presence(fits[1.0])
    assert s1 < s0 - 0.05
    assert e1 < e0


def test_element_errors_counts_which_elements_the_wrong_sets_get_wrong():
    present = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0]], bool)
    decoded = np.array([[1, 1, 1, 0], [1, 0, 1, 0], [1, 0, 1, 0]], bool)
    out = element_errors(present, decoded, ("Co", "Fe", "Ni", "Ti"))
    assert out == {"extra": {"Ni": 2}, "missing": {"Fe": 1}}
    assert list(element_errors(present, ~present, ("Co", "Fe", "Ni", "Ti"), top=2)["extra"]) \
        == ["Ti", "Ni"]  # 3 and 2 alloys; Fe (1) is cut by top
