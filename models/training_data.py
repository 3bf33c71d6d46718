"""Everything one DVAE fit trains on, in one typed value: what the trainer
(:mod:`alloyloop.models.trainer`) takes instead of fifteen positional arrays.

Built once per fit by :func:`build_training_data` from validated fractions, targets and
routes; the trainer never sees numpy arrays of its own making, and nothing in it changes
during training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from alloyloop.models.augment import augment
from alloyloop.models.config import DVAEConfig
from alloyloop.models.feature_map import FeatureMap
from alloyloop.models.priors import count_quantiles, effective_element_count, rule_prior
from alloyloop.models.validation_split import Rows


@dataclass(frozen=True)
class TrainingData:
    """The tensors of one fit (float32, CPU). ``n`` labelled training rows, ``m``
    unlabelled, ``v`` validation; ``E`` palette elements, ``F`` classifier inputs; ``K``
    classes of a phase4 model (targets are ``(·,)`` 0/1 for the binary label).

    Attributes:
        x_l, f_l, t_l, p_l: ``(n, E)`` fractions, ``(n, F)`` classifier inputs, ``(n,)`` or
            ``(n, K)`` targets, ``(n,)`` rule prior p(single) of the labelled rows.
        x_u, f_u, p_u: ``(m, E)``, ``(m, F)``, ``(m,)`` the same for the unlabelled rows
            (``m`` may be 0).
        x_v, f_v, t_v, p_v: ``(v, E)``, ``(v, F)``, ``(v,)`` / ``(v, K)``, ``(v,)`` the
            validation rows.
        t_v_labels: ``(v,)`` / ``(v, K)`` the validation targets as numpy (int64 or masks),
            what the selection scores are computed on.
        count_targets: ``(s,)`` quantiles of the training alloys' effective element count
            (the element-count prior on decoded draws), or None when that prior is off.
        x_a, f_a, p_a: ``(k, E)``, ``(k, F)``, ``(k,)`` synthetic unlabelled alloys of
            ``DVAEConfig.vae_augment`` (:mod:`alloyloop.models.augment`), which only the
            VAE phase trains on (``k`` = 0 when off).
        inputs_of: ``(m, E)`` fractions → ``(m, F)`` classifier inputs (route unknown), for
            the jittered compositions of the pseudo-label term and of
            ``classifier_jitter``; None when both jitters are off.
    """

    x_l: Tensor
    f_l: Tensor
    t_l: Tensor
    p_l: Tensor
    x_u: Tensor
    f_u: Tensor
    p_u: Tensor
    x_v: Tensor
    f_v: Tensor
    t_v: Tensor
    p_v: Tensor
    t_v_labels: np.ndarray
    count_targets: Tensor | None
    x_a: Tensor | None = None
    f_a: Tensor | None = None
    p_a: Tensor | None = None
    inputs_of: Callable[[Tensor], Tensor] | None = None

    @property
    def n_labelled(self) -> int:
        return int(self.x_l.shape[0])

    @property
    def n_unlabelled(self) -> int:
        return int(self.x_u.shape[0])

    def vae_unlabelled(self) -> tuple[Tensor, Tensor, Tensor]:
        """``(x, f, p)`` of the VAE phase's unlabelled rows: the unlabelled alloys and the
        synthetic ones after them."""
        if self.x_a is None or self.f_a is None or self.p_a is None or not len(self.x_a):
            return self.x_u, self.f_u, self.p_u
        return (torch.cat([self.x_u, self.x_a]), torch.cat([self.f_u, self.f_a]),
                torch.cat([self.p_u, self.p_a]))


def _t(a: np.ndarray) -> Tensor:
    return torch.as_tensor(a, dtype=torch.float32)


def build_training_data(c: DVAEConfig, features: FeatureMap, train: Rows, x_u: np.ndarray,
                        val: Rows, seed: int = 0) -> TrainingData:
    """The tensors of a fit from validated rows.

    Args:
        c: the fit's settings (prior, rule confidence, element-count prior).
        features: the feature map with its standardizer fitted.
        train, val: the labelled training and validation rows.
        x_u: ``(m, E)`` unlabelled fractions (route unknown).
        seed: seed of the synthetic alloys (``c.vae_augment``).
    """
    expert = c.prior == "expert"
    tau = c.rule_confidence if expert else 0.0
    _, f_l = features.inputs(train.x, train.routes)
    _, f_u = features.inputs(x_u, None)
    _, f_v = features.inputs(val.x, val.routes)
    targets = None
    if expert and c.composition_prior_weight > 0:
        targets = _t(count_quantiles(effective_element_count(np.vstack([train.x, x_u])),
                                     c.composition_prior_samples))
    p_u = rule_prior(x_u, features.elements, tau) if len(x_u) else np.zeros(0)
    x_a = augment(np.vstack([train.x, x_u]), c.vae_augment, c.vae_augment_kinds, seed)
    f_a = features.inputs(x_a, None)[1] if len(x_a) else np.zeros((0, features.n_inputs))
    p_a = rule_prior(x_a, features.elements, tau) if len(x_a) else np.zeros(0)
    return TrainingData(
        x_l=_t(train.x), f_l=_t(f_l), t_l=_t(train.t),
        p_l=_t(rule_prior(train.x, features.elements, tau)),
        x_u=_t(x_u), f_u=_t(f_u), p_u=_t(p_u),
        x_v=_t(val.x), f_v=_t(f_v), t_v=_t(val.t),
        p_v=_t(rule_prior(val.x, features.elements, tau)),
        t_v_labels=val.t, count_targets=targets, x_a=_t(x_a), f_a=_t(f_a), p_a=_t(p_a),
        inputs_of=(features.torch_decoded_inputs(0.0)
                   if c.pseudo_label_jitter > 0 or c.classifier_jitter > 0 else None))
