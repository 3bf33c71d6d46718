"""The classifier-phase options that issue #30 ablated (docs/benchmarks.md, 2026-12-07
session 4): label smoothing of the classification target (``DVAEConfig.label_smoothing``),
a moving average of the classifier's weights (``DVAEConfig.classifier_ema``) and a first
epoch the selection may keep (``DVAEConfig.select_after``). All default to off; these
tests pin what they compute."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from alloyloop.models import objective, objective_phase
from alloyloop.models.config import ConfigError, DVAEConfig
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.trainer import ClassifierAverage

from tests.fixtures.dvae import SYNTHETIC_PALETTE, fast, simplex_rows, tiny_m2

torch.set_num_threads(1)




def test_binary_smoothing_moves_only_the_classification_target():
    net, (x, p) = tiny_m2(), simplex_rows()
    y = (torch.arange(12) % 2).float()
    eps, alpha = 0.2, 10.0
    losses = []
    for s in (0.0, eps):
        torch.manual_seed(5)  # the same reparameterised draws: the ELBO part is equal
        loss, _ = objective.labelled_loss(net, x, x, y, p, alpha=alpha, beta=1.0,
                                          count=100.0, smoothing=s)
        losses.append(loss)
    heads = net.classifier.head_logits(x)
    hard = F.binary_cross_entropy_with_logits(heads, y.expand_as(heads))
    soft = F.binary_cross_entropy_with_logits(heads, (y * (1 - eps) + eps / 2).expand_as(heads))
    torch.testing.assert_close(losses[1] - losses[0], alpha * (soft - hard))


def test_phase4_smoothing_mixes_the_partial_label_loss_with_the_uniform_one():
    net, (x, p) = tiny_m2(n_classes=4), simplex_rows()
    mask = torch.zeros(12, 4)
    mask[torch.arange(12), torch.arange(12) % 4] = 1.0
    mask[:3, :3] = 1.0  # partial labels: "single", any of FCC / BCC / HCP
    eps, alpha = 0.1, 3.0
    losses = []
    for s in (0.0, eps):
        torch.manual_seed(5)
        loss, _ = objective_phase.labelled_loss(net, x, x, mask, p, alpha=alpha, beta=1.0,
                                                count=100.0, smoothing=s)
        losses.append(loss)
    heads = net.classifier.head_logits(x)
    hard = objective_phase.partial_nll(heads, mask).mean()
    uniform = -torch.log_softmax(heads, dim=-1).mean()
    expected = alpha * ((1 - eps) * hard + eps * uniform - hard)
    torch.testing.assert_close(losses[1] - losses[0], expected)


def test_the_weight_average_warms_up_then_follows_its_decay():
    net = tiny_m2()
    average = ClassifierAverage(net, decay=0.99)
    start = [q.clone() for q in average.classifier.parameters()]
    with torch.no_grad():
        for q in net.classifier.parameters():
            q.add_(1.0)
    average.update(net)  # t = 1: keep min(0.99, 2 / 11)
    keep = 2 / 11
    for avg, old, cur in zip(average.classifier.parameters(), start,
                             net.classifier.parameters(), strict=True):
        torch.testing.assert_close(avg, keep * old + (1 - keep) * cur)
    for _ in range(2000):
        average.update(net)
    assert (1 + average.t) / (10 + average.t) > 0.99  # past the warm-up: the decay rules
    for avg, cur in zip(average.classifier.parameters(), net.classifier.parameters(),
                        strict=True):
        torch.testing.assert_close(avg, cur)  # a constant target is reached
        assert not avg.requires_grad  # the optimiser never sees the average


def test_no_epoch_up_to_select_after_is_kept(synthetic_data):
    X, y, _ = synthetic_data
    config = fast(max_epochs=8, min_epochs=1, patience=2, select_after=5,
                  vae_selection="classifier", free_bits=0.0, control_weight=0.0)
    model = DisentangledVAE(config, elements=SYNTHETIC_PALETTE, seed=0).fit(X, y)
    assert model.metrics["best_epoch"] > 5
    assert 5 < model.metrics["epochs"] <= 8  # the patience counts from epoch 6 on


@pytest.mark.parametrize(("field", "value"), [("label_smoothing", 0.5),
                                              ("label_smoothing", -0.1),
                                              ("classifier_ema", 1.0),
                                              ("classifier_ema", float("nan")),
                                              ("select_after", -1)])
def test_out_of_range_values_are_refused_with_the_field_named(field, value):
    with pytest.raises(ConfigError, match=field):
        DVAEConfig(**{field: value})
