"""The classifier phase's semi-supervised options of issue #30 (docs/benchmarks.md, "Data
efficiency"): what the unlabelled M2 term asks of the classifier
(``DVAEConfig.unlabelled_classifier``) and confidence-thresholded pseudo-labels
(``pseudo_label_threshold`` / ``_weight`` / ``_jitter``). Real torch training on the
synthetic alloys; no figure is hard-coded."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from alloyloop.models import objective, objective_phase
from alloyloop.models.config import ConfigError, DVAEConfig
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.label_space import BinarySpace
from alloyloop.models.trainer import Trainer
from alloyloop.models.training_data import build_training_data
from alloyloop.models.validation_split import Rows

from tests.fixtures.dvae import SYNTHETIC_PALETTE, fast, simplex_rows, tiny_m2

torch.set_num_threads(1)




def _loss(module, net, x, p, mode, **kw):
    torch.manual_seed(5)  # the same reparameterised draws for every mode
    return module.unlabelled_loss(net, x, x, p, beta=1.0, count=100.0, classifier=mode,
                                  **kw)


@pytest.mark.parametrize(("module", "extra"), [(objective, {}), (objective_phase, {"k": 4})])
def test_modes_of_the_unlabelled_term(module, extra):
    net, (x, p) = tiny_m2(4 if extra else 1), simplex_rows()
    m2, q = _loss(module, net, x, p, "m2", **extra)
    no_entropy, _ = _loss(module, net, x, p, "no_entropy", **extra)
    entropy = -(q * q.log()).sum(dim=1).mean()
    # −U lacks −H(q) (float32 differences of ELBOs of hundreds of nats: 1e-4 tolerance)
    torch.testing.assert_close(no_entropy - m2, entropy, atol=1e-4, rtol=1e-4)

    detached, _ = _loss(module, net, x, p, "detached", **extra)
    torch.testing.assert_close(detached, m2)  # the same value ...
    detached.backward()
    assert all(w.grad is None for w in net.classifier.parameters())  # ... no gradient
    assert all(w.grad is not None for w in net.encoder.parameters())
    net.zero_grad(set_to_none=True)
    m2, _ = _loss(module, net, x, p, "m2", **extra)
    m2.backward()
    assert any(w.grad is not None and w.grad.abs().sum() > 0
               for w in net.classifier.parameters())


def test_binary_pseudo_labels_count_only_confidentsimplex_rows():
    teacher = torch.tensor([3.0, -3.0, 0.1, -0.2])  # p = .95, .05, .52, .45
    heads = torch.tensor([[1.0, 0.5, -2.0, 2.0], [0.0, -1.0, 1.0, 1.0]], requires_grad=True)
    loss = objective.pseudo_label_loss(heads, teacher, threshold=0.9)
    target = torch.tensor([1.0, 0.0])
    by_hand = sum(F.binary_cross_entropy_with_logits(heads[:, i], target[i].expand(2))
                  for i in range(2)) / 4  # two confident rows of four
    torch.testing.assert_close(loss, by_hand)
    loss.backward()
    assert heads.grad[:, 2:].abs().sum() == 0  # the unconfident rows teach nothing
    assert objective.pseudo_label_loss(heads, teacher, threshold=0.99) == 0


def test_phase4_pseudo_labels_use_the_teachers_class():
    teacher = torch.tensor([[5.0, 0.0, 0.0, 0.0], [0.0, 0.1, 0.0, 0.2]])
    heads = torch.randn(3, 2, 4, generator=torch.Generator().manual_seed(0))
    loss = objective_phase.pseudo_label_loss(heads, teacher, threshold=0.9)
    by_hand = torch.stack([F.cross_entropy(h[:1], torch.tensor([0])) for h in heads]).mean()
    torch.testing.assert_close(loss, by_hand / 2)


def _data(c: DVAEConfig, synthetic_data, seed: int = 0):
    """A fitted model's feature map and the :class:`TrainingData` of ``c``."""
    X, y, Xu = synthetic_data
    model = DisentangledVAE(fast(max_epochs=2, min_epochs=1), elements=SYNTHETIC_PALETTE,
                            seed=seed).fit(X[:200], y[:200], X_unlabelled=Xu)
    routes = np.full(200, None, dtype=object)
    train = Rows(X[:150], y[:150], routes[:150])
    val = Rows(X[150:200], y[150:200], routes[150:200])
    return model, build_training_data(c, model.features_, train, Xu, val)


def test_the_pseudo_label_term_trains_the_classifier_only(synthetic_data):
    c = fast(pseudo_label_threshold=0.5)
    model, d = _data(c, synthetic_data)
    net = model.net_
    net.train()
    net.zero_grad(set_to_none=True)
    trainer = Trainer(c, BinarySpace(), 0, lambda x: x)
    loss = trainer.pseudo_labels(net, d, torch.arange(64))
    assert loss > 0  # at τ = 0.5 every row is pseudo-labelled
    loss.backward()
    assert all(w.grad is None for w in (*net.encoder.parameters(),
                                        *net.decoder.parameters()))
    assert any(w.grad.abs().sum() > 0 for w in net.classifier.parameters())
    assert net.classifier.training  # the teacher's eval mode is undone
    strict = Trainer(fast(pseudo_label_threshold=0.999999), BinarySpace(), 0, lambda x: x)
    logits = net.classifier.eval()(d.f_u[:64])
    assert (torch.sigmoid(logits).sub(0.5).abs() < 0.499999).all()  # nothing that sure ...
    assert strict.pseudo_labels(net, d, torch.arange(64)) == 0  # ... so nothing to learn


def test_jittered_compositions_keep_their_elements(synthetic_data):
    c = fast(pseudo_label_threshold=0.5, pseudo_label_jitter=0.3)
    model, d = _data(c, synthetic_data)
    assert d.inputs_of is not None
    n_desc = len(model.features_.schema)
    same = d.inputs_of(d.x_u[:20])  # unjittered: the numpy inputs, recomputed in torch
    torch.testing.assert_close(same, d.f_u[:20], atol=1e-4, rtol=1e-4)
    net = model.net_
    net.train()
    trainer = Trainer(c, BinarySpace(), 0, lambda x: x)
    seen = []
    original = d.inputs_of

    def spy(x):
        seen.append(x)
        return original(x)

    object.__setattr__(d, "inputs_of", spy)
    trainer.pseudo_labels(net, d, torch.arange(20))
    (x,) = seen
    assert torch.equal(x > 0, d.x_u[:20] > 0)  # the same element set
    torch.testing.assert_close(x.sum(dim=1), torch.ones(20))
    assert (x - d.x_u[:20]).abs().max() > 0.01  # but other fractions
    assert n_desc > 0


def _classifier(config: DVAEConfig, synthetic_data, unlabelled: bool = True):
    X, y, Xu = synthetic_data
    model = DisentangledVAE(config, elements=SYNTHETIC_PALETTE, seed=0)
    model.fit(X[:120], y[:120], X_unlabelled=Xu if unlabelled else None)
    return model.net_.classifier.state_dict()


def _same(a: dict, b: dict) -> bool:
    return all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_a_detached_unlabelled_term_leaves_the_classifier_as_without_it(synthetic_data):
    """Without dropout the classifier's training is deterministic given the batches: a
    detached M2 term gives the classifier exactly what unlabelled_weight = 0 gives it,
    while the full M2 term and the pseudo-labels change it."""
    base = dict(max_epochs=4, min_epochs=4, dropout=0.0, vae_selection="classifier",
                free_bits=0.0, control_weight=0.0)
    silent = _classifier(fast(**base, unlabelled_weight=0.0), synthetic_data)
    detached = _classifier(fast(**base, unlabelled_classifier="detached"), synthetic_data)
    m2 = _classifier(fast(**base), synthetic_data)
    pseudo = _classifier(fast(**base, unlabelled_weight=0.0, pseudo_label_threshold=0.6),
                         synthetic_data)
    assert _same(detached, silent)
    assert not _same(m2, silent)
    assert not _same(pseudo, silent)


@pytest.mark.parametrize(("changes", "field"), [
    ({"unlabelled_classifier": "none"}, "unlabelled_classifier"),
    ({"pseudo_label_threshold": 0.3}, "pseudo_label_threshold"),
    ({"pseudo_label_threshold": 1.0}, "pseudo_label_threshold"),
    ({"pseudo_label_weight": 0.0}, "pseudo_label_weight"),
    ({"pseudo_label_threshold": 0.9, "pseudo_label_jitter": -0.1}, "pseudo_label_jitter"),
    ({"pseudo_label_jitter": 0.1}, "pseudo_label_threshold"),
])
def test_bad_semi_supervision_settings_are_refused_with_the_field_named(changes, field):
    with pytest.raises(ConfigError, match=field):
        DVAEConfig(**changes)
