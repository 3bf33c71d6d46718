"""The two label spaces of the DVAE as objects the fit and predict code call, so
``dvae.py`` has one code path: :class:`BinarySpace` (``DVAEConfig.label = "single"``, the
original model, every call delegated unchanged to :mod:`alloyloop.models.objective`) and
:class:`Phase4Space` (``"phase4"``, :mod:`alloyloop.models.objective_phase`).

Targets: binary ``(n,)`` 0/1; phase4 ``(n, 4)`` masks of the allowed classes
(:func:`alloyloop.models.labels.phase4_masks`). Logits: binary ``(n,)``, phase4 ``(n, 4)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.special import expit, logsumexp
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from torch import Tensor

from alloyloop.models import objective as binary
from alloyloop.models import objective_phase as phase
from alloyloop.models.calibration import (
    apply_temperature,
    apply_temperature_softmax,
    binary_nll,
    expected_calibration_error,
    fit_temperature,
    fit_temperature_softmax,
    masked_nll,
)
from alloyloop.models.labels import (
    PHASE4_CLASSES,
    classes_of,
    mask_class,
    mask_single,
    phase4_masks,
    strata,
)
from alloyloop.models.networks import M2


def single_scores(p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Balanced accuracy, ROC AUC (nan with one class), ECE and NLL of p(single)."""
    y = np.asarray(y).astype(int)
    pred = (p >= 0.5).astype(int)
    auc = float(roc_auc_score(y, p)) if np.unique(y).size == 2 else float("nan")
    return {
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
        "auc": auc,
        "ece": expected_calibration_error(p, y),
        "nll": float(-np.mean(np.where(y == 1, np.log(np.clip(p, 1e-12, 1)),
                                       np.log(np.clip(1 - p, 1e-12, 1))))),
    }


class BinarySpace:
    """y ∈ {0, 1}; ``classes == ("single",)``."""

    label = "single"
    n_classes = 1  # network width of y and of the classifier output
    n_codes = 2    # distinct values y takes in the encoder and decoder

    @property
    def classes(self) -> tuple[str, ...]:
        return classes_of(self.label)

    def targets(self, y, n: int, name: str = "y") -> np.ndarray:
        t = np.asarray(y)
        if t.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},) to match X, got {t.shape}")
        if t.dtype == bool:
            t = t.astype(np.int64)
        if not np.isin(t, (0, 1)).all():
            raise ValueError(f"{name} must hold 1 (single-phase) or 0 (multi-phase) only; "
                             "for FCC/BCC/HCP/multi labels set DVAEConfig(label='phase4')")
        return t.astype(np.int64)

    def single(self, t: np.ndarray) -> np.ndarray:
        return np.asarray(t, dtype=np.int64)

    def strata(self, t: np.ndarray) -> np.ndarray:
        return np.asarray(t, dtype=np.int64)

    def code(self, index: Tensor) -> Tensor:
        """``(n,)`` class codes (0 / 1) → what the encoder and decoder take."""
        return index.float()

    # -- objective
    def labelled_loss(self, net: M2, x, f, t, p, *, alpha, beta, count, smoothing=0.0):
        return binary.labelled_loss(net, x, f, t, p, alpha=alpha, beta=beta, count=count,
                                    smoothing=smoothing)

    def labelled_elbo(self, net: M2, x, f, t, p, count, free_bits=0.0) -> Tensor:
        return binary.elbo_terms(net, x, t, p, count, free_bits).elbo(1.0)

    def unlabelled_loss(self, net: M2, x, f, p, *, beta, count, free_bits=0.0,
                        classifier="m2"):
        return binary.unlabelled_loss(net, x, f, p, beta=beta, count=count,
                                      free_bits=free_bits, classifier=classifier)

    def pseudo_label_loss(self, heads: Tensor, teacher: Tensor, threshold: float) -> Tensor:
        return binary.pseudo_label_loss(heads, teacher, threshold)

    def control_loss(self, net: M2, inputs: Callable[[Tensor], Tensor], z: Tensor) -> Tensor:
        return binary.control_loss(net, inputs, z)

    # -- probabilities
    def probs(self, logits: np.ndarray, temperature: float) -> np.ndarray:
        """``(n, len(classes))`` calibrated class probabilities."""
        return self.p_single(logits, temperature)[:, None]

    def p_single(self, logits: np.ndarray, temperature: float) -> np.ndarray:
        return apply_temperature(logits, temperature)

    def single_logit(self, logits: np.ndarray) -> np.ndarray:
        return np.asarray(logits, dtype=np.float64)

    def predicted(self, logits: np.ndarray) -> np.ndarray:
        """``(n,)`` int64 code of the most likely class (1 = single)."""
        return (np.asarray(logits) >= 0).astype(np.int64)

    def fit_temperature(self, logits: np.ndarray, t: np.ndarray) -> float:
        return fit_temperature(logits, t)

    def nll(self, logits: np.ndarray, t: np.ndarray) -> float:
        return binary_nll(logits, t)

    def val_scores(self, logits: np.ndarray, t: np.ndarray) -> dict[str, float]:
        """Uncalibrated validation scores for epoch selection."""
        val = single_scores(apply_temperature(logits, 1.0), t)
        val["nll"] = binary_nll(logits, t)
        return val


class Phase4Space(BinarySpace):
    """y ∈ (FCC, BCC, HCP, multi), one-hot; targets are masks (partial labels allowed)."""

    label = "phase4"
    n_classes = len(PHASE4_CLASSES)
    n_codes = len(PHASE4_CLASSES)

    def targets(self, y, n: int, name: str = "y") -> np.ndarray:
        arr = np.asarray(y, dtype=object)
        if arr.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},) to match X, got {arr.shape}")
        return phase4_masks(arr, name)

    def single(self, t: np.ndarray) -> np.ndarray:
        return mask_single(t)

    def strata(self, t: np.ndarray) -> np.ndarray:
        return strata(t)

    def code(self, index: Tensor) -> Tensor:
        return phase.one_hot(index, self.n_classes)

    def labelled_loss(self, net: M2, x, f, t, p, *, alpha, beta, count, smoothing=0.0):
        return phase.labelled_loss(net, x, f, t, p, alpha=alpha, beta=beta, count=count,
                                   smoothing=smoothing)

    def labelled_elbo(self, net: M2, x, f, t, p, count, free_bits=0.0) -> Tensor:
        return phase.masked_elbo(net, x, net.classifier(f), t, p, beta=1.0, count=count,
                                 free_bits=free_bits)

    def unlabelled_loss(self, net: M2, x, f, p, *, beta, count, free_bits=0.0,
                        classifier="m2"):
        return phase.unlabelled_loss(net, x, f, p, self.n_classes, beta=beta, count=count,
                                     free_bits=free_bits, classifier=classifier)

    def pseudo_label_loss(self, heads: Tensor, teacher: Tensor, threshold: float) -> Tensor:
        return phase.pseudo_label_loss(heads, teacher, threshold)

    def control_loss(self, net: M2, inputs: Callable[[Tensor], Tensor], z: Tensor) -> Tensor:
        return phase.control_loss(net, inputs, z, self.n_classes)

    def probs(self, logits: np.ndarray, temperature: float) -> np.ndarray:
        return apply_temperature_softmax(logits, temperature)

    def p_single(self, logits: np.ndarray, temperature: float) -> np.ndarray:
        return expit(self.single_logit(np.asarray(logits, dtype=np.float64) / temperature))

    def single_logit(self, logits: np.ndarray) -> np.ndarray:
        z = np.asarray(logits, dtype=np.float64)
        return logsumexp(z[:, :-1], axis=1) - z[:, -1]

    def predicted(self, logits: np.ndarray) -> np.ndarray:
        return np.asarray(logits).argmax(axis=1).astype(np.int64)

    def fit_temperature(self, logits: np.ndarray, t: np.ndarray) -> float:
        return fit_temperature_softmax(logits, t)

    def nll(self, logits: np.ndarray, t: np.ndarray) -> float:
        return masked_nll(logits, t)

    def val_scores(self, logits: np.ndarray, t: np.ndarray) -> dict[str, float]:
        """``balanced_accuracy`` over the K classes (exact labels only), ``auc`` / ``ece``
        of p(single) against single-vs-multi (all rows), ``nll`` of the (partial) labels."""
        val = single_scores(self.p_single(logits, 1.0), self.single(t))
        val["balanced_accuracy"] = phase4_balanced_accuracy(self.predicted(logits), t)
        val["nll"] = masked_nll(logits, t)
        return val


def phase4_balanced_accuracy(pred: np.ndarray, t: np.ndarray) -> float:
    """Mean recall over the classes present among the exact labels of masks ``t``
    (nan when no row has an exact label)."""
    idx = mask_class(t)
    exact = idx >= 0
    if not exact.any():
        return float("nan")
    truth, guess = idx[exact], np.asarray(pred)[exact]
    return float(np.mean([(guess[truth == k] == k).mean() for k in np.unique(truth)]))


def label_space(label: str) -> BinarySpace:
    """The space of ``DVAEConfig.label``."""
    return Phase4Space() if label == "phase4" else BinarySpace()


def as_tensor(a: np.ndarray) -> Tensor:
    return torch.as_tensor(a, dtype=torch.float32)
