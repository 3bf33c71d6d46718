"""Probability calibration: temperature scaling (Guo et al. 2017) fitted on validation
logits — sigmoid for the binary label, softmax for K classes (one T shared by all
classes, fitted on the partial-label likelihood) — and the metrics used to judge it
(NLL, ECE).

T is never below 1: tempering may soften a classifier, never sharpen it. A validation
split of a few dozen alloys that the classifier happens to rank perfectly would otherwise
drive T towards 0 (the demo's round 2 fitted 0.61) and turn the bounded logits of
:class:`alloyloop.models.networks.SoftCap` back into p ≈ 0 or 1; over-confidence is the
failure that costs experiments, under-confidence only a few."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit, logsumexp, softmax

# T is searched on log T ∈ [0, 4], i.e. T ∈ [1, 55]: soften only (see the module docstring).
_LOG_T_BOUNDS = (0.0, 4.0)


def binary_nll(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood of labels ``y`` ``(n,)`` under ``logits`` ``(n,)``."""
    z = np.asarray(logits, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    return float(-(t * log_expit(z) + (1 - t) * log_expit(-z)).mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature T ≥ 1 minimizing the NLL of ``sigmoid(logits / T)`` on ``y``.

    Args:
        logits: ``(n,)`` validation logits.
        y: ``(n,)`` labels in {0, 1}.

    Returns:
        T (1.0 when the set is empty or has a single class, where T is not identified).
    """
    z = np.asarray(logits, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    if z.size == 0 or np.unique(t).size < 2:
        return 1.0
    return _softening_temperature(lambda s: binary_nll(z / np.exp(s), t))


def _softening_temperature(nll_of_log_t) -> float:
    """argmin over T ∈ [1, 55] of ``nll_of_log_t(log T)``; exactly 1.0 when no T > 1 beats
    T = 1 (the bounded search only approaches its edge)."""
    res = minimize_scalar(nll_of_log_t, bounds=_LOG_T_BOUNDS, method="bounded",
                          options={"xatol": 1e-6})
    if not nll_of_log_t(res.x) < nll_of_log_t(0.0):
        return 1.0
    return float(np.exp(res.x))


def apply_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """``(n,)`` calibrated probabilities ``sigmoid(logits / T)``."""
    return expit(np.asarray(logits, dtype=np.float64) / temperature)


def expected_calibration_error(p: np.ndarray, y: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error of binary probabilities (confidence-binned).

    Each prediction's confidence is max(p, 1 − p) and it is correct when the predicted
    class (p ≥ 0.5) equals ``y``; ECE = Σ_b (n_b / n)·|accuracy_b − confidence_b| over
    ``n_bins`` equal-width bins of confidence on [0.5, 1].

    Args:
        p: ``(n,)`` probabilities of class 1; y: ``(n,)`` labels in {0, 1}.
    """
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y)
    if p.size == 0:
        return 0.0
    conf = np.maximum(p, 1 - p)
    correct = ((p >= 0.5).astype(int) == y).astype(np.float64)
    bins = np.minimum(((conf - 0.5) * 2 * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(ece)


def masked_nll(logits: np.ndarray, mask: np.ndarray) -> float:
    """Mean −log Σ_{k∈mask} softmax(logits)_k: ``(n, K)`` logits and 0/1 masks (a partial
    label's likelihood is the summed probability of the classes it allows)."""
    z = np.asarray(logits, dtype=np.float64)
    log_q = z - logsumexp(z, axis=1, keepdims=True)
    allowed = np.where(np.asarray(mask) > 0, log_q, -np.inf)
    return float(-logsumexp(allowed, axis=1).mean())


def fit_temperature_softmax(logits: np.ndarray, mask: np.ndarray) -> float:
    """The temperature T ≥ 1 minimizing :func:`masked_nll` of ``logits / T`` (K classes).

    Returns 1.0 when the set is empty or its labels allow one class pattern only."""
    z = np.asarray(logits, dtype=np.float64)
    m = np.asarray(mask)
    if z.shape[0] == 0 or np.unique(m, axis=0).shape[0] < 2:
        return 1.0
    return _softening_temperature(lambda s: masked_nll(z / np.exp(s), m))


def apply_temperature_softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    """``(n, K)`` logits → ``(n, K)`` calibrated probabilities ``softmax(logits / T)``."""
    return softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=1)
