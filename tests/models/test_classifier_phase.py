"""The classifier-phase options of issue #30's session 6 (docs/benchmarks.md): a cosine
learning-rate schedule (``DVAEConfig.classifier_schedule``), a fixed budget whose last or
tail-averaged weights are kept (``classifier_keep``, ``classifier_average_epochs``) and a
composition jitter of the labelled rows' classifier inputs (``classifier_jitter``). All
default to off; these tests pin what they compute on real torch fits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from alloyloop.models.classifier_phase import TailAverage, jitter_fractions, lr_schedule
from alloyloop.models.config import ConfigError, DVAEConfig
from alloyloop.models.dvae import DisentangledVAE

from tests.fixtures.dvae import SYNTHETIC_PALETTE, fast

torch.set_num_threads(1)

CLASSIFIER_ONLY = {"vae_selection": "classifier", "free_bits": 0.0, "control_weight": 0.0,
                   "min_epochs": 1}


def _fit(data, **changes) -> DisentangledVAE:
    X, y, _ = data
    config = fast(**CLASSIFIER_ONLY, **changes)
    return DisentangledVAE(config, elements=SYNTHETIC_PALETTE, seed=0).fit(X, y)


def _classifier(model: DisentangledVAE) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.net_.classifier.state_dict().items()}


def test_cosine_warms_up_over_one_epoch_then_decays_to_zero_at_the_budget():
    config = DVAEConfig(classifier_schedule="cosine", max_epochs=10, min_epochs=1, lr=1e-2)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=config.lr)
    sched = lr_schedule(opt, config, steps_per_epoch=5)
    assert sched is not None
    lrs = []
    for _ in range(50):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == pytest.approx(1e-2 / 5)  # first warm-up step
    assert lrs[5] == pytest.approx(1e-2)  # warm-up over: the full rate
    assert np.all(np.diff(lrs[5:]) < 0)  # then only down
    assert lrs[-1] < 1e-2 * 0.01
    assert lr_schedule(opt, DVAEConfig(), 5) is None  # "constant": no scheduler


def test_the_tail_average_is_the_mean_of_the_last_k_snapshots():
    layer = torch.nn.Linear(2, 1)
    tail = TailAverage(2)
    for value in (1.0, 2.0, 4.0):
        with torch.no_grad():
            layer.weight.fill_(value)
        tail.add(layer)
    torch.testing.assert_close(tail.state()["weight"], torch.full((1, 2), 3.0))  # (2 + 4) / 2


def test_a_fixed_budget_runs_every_epoch_and_keeps_the_last(synthetic_data):
    model = _fit(synthetic_data, max_epochs=5, patience=1, classifier_keep="last")
    assert model.metrics["epochs"] == 5  # patience 1 would stop a "best" fit earlier
    assert model.metrics["best_epoch"] == 5


def test_the_average_is_the_mean_of_the_last_epochs_of_one_trajectory(synthetic_data):
    # With the constant rate, a budget of k epochs is the first k epochs of a longer one:
    # the last weights of budgets 2 and 3 are epochs 2 and 3 of the same trajectory.
    ends = [_classifier(_fit(synthetic_data, max_epochs=k, classifier_keep="last"))
            for k in (2, 3)]
    averaged = _classifier(_fit(synthetic_data, max_epochs=3, classifier_keep="average",
                                classifier_average_epochs=2))
    for key, value in averaged.items():
        torch.testing.assert_close(value, (ends[0][key] + ends[1][key]) / 2)
    assert any(not torch.equal(averaged[k], ends[1][k]) for k in averaged)


def test_best_average_keeps_the_window_ending_at_the_best_epoch(synthetic_data):
    model = _fit(synthetic_data, max_epochs=4, patience=4, classifier_keep="best_average",
                 classifier_average_epochs=2)
    best = model.metrics["best_epoch"]
    window = range(max(1, best - 1), best + 1)
    ends = [_classifier(_fit(synthetic_data, max_epochs=k, classifier_keep="last"))
            for k in window]
    kept = _classifier(model)
    for key, value in kept.items():
        torch.testing.assert_close(value, sum(e[key] for e in ends) / len(ends))
    plain = _classifier(_fit(synthetic_data, max_epochs=4, patience=4))
    assert plain.keys() == kept.keys()
    assert (best == 1) == all(torch.equal(plain[k], kept[k]) for k in kept)


def test_cosine_changes_the_trajectory(synthetic_data):
    constant = _classifier(_fit(synthetic_data, max_epochs=3, classifier_keep="last"))
    cosine = _classifier(_fit(synthetic_data, max_epochs=3, classifier_keep="last",
                              classifier_schedule="cosine"))
    assert any(not torch.allclose(constant[k], cosine[k]) for k in constant)


def test_jitter_moves_only_present_elements_and_keeps_the_simplex():
    torch.manual_seed(0)
    x = torch.tensor([[0.5, 0.5, 0.0, 0.0], [0.2, 0.3, 0.0, 0.5]])
    jittered = jitter_fractions(x, 0.2)
    assert torch.equal(jittered == 0, x == 0)
    torch.testing.assert_close(jittered.sum(dim=1), torch.ones(2))
    assert not torch.allclose(jittered, x)


def test_unjittered_recomputed_inputs_are_the_fit_inputs(synthetic_data):
    # The jitter recomputes descriptors from fractions: at σ → 0 they must be the inputs
    # the classifier trains on, or the jitter would shift every row, not perturb it.
    model = _fit(synthetic_data, max_epochs=1)
    X = synthetic_data[0][:50]
    recomputed = model.features_.torch_decoded_inputs(0.0)(torch.as_tensor(X,
                                                                            dtype=torch.float32))
    np.testing.assert_allclose(recomputed.numpy(), model.features_.inputs(X)[1], atol=2e-3)  # float32


def test_jitter_changes_what_the_classifier_learns(synthetic_data):
    plain = _fit(synthetic_data, max_epochs=2, classifier_keep="last")
    jittered = _fit(synthetic_data, max_epochs=2, classifier_keep="last",
                    classifier_jitter=0.2)
    a, b = _classifier(plain), _classifier(jittered)
    assert any(not torch.allclose(a[k], b[k]) for k in a)


@pytest.mark.parametrize(("changes", "field"), [
    ({"classifier_schedule": "linear"}, "classifier_schedule"),
    ({"classifier_keep": "median"}, "classifier_keep"),
    ({"classifier_average_epochs": 0}, "classifier_average_epochs"),
    ({"classifier_keep": "average", "select_after": 3}, "classifier_keep"),
    ({"classifier_keep": "last", "classifier_ema": 0.99}, "classifier_keep"),
    ({"classifier_keep": "best_average", "classifier_ema": 0.99}, "classifier_keep"),
    ({"classifier_jitter": -0.1}, "classifier_jitter"),
    ({"classifier_jitter": 1.5}, "classifier_jitter"),
    ({"classifier_jitter": 0.1, "processing_input": True}, "classifier_jitter"),
])
def test_bad_values_are_refused_with_the_field_named(changes, field):
    with pytest.raises(ConfigError, match=field):
        DVAEConfig(**changes)


def test_the_defaults_are_off():
    c = DVAEConfig()
    assert (c.classifier_schedule, c.classifier_keep, c.classifier_jitter) == (
        "constant", "best", 0.0)
