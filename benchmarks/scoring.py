"""Per-fold metrics of p(single-phase) predictions and their mean ± sd over folds.

- balanced accuracy and MCC of the hard call p >= 0.5 (scikit-learn);
- ROC AUC of a continuous score: the model's ``decision_function`` where it has one
  (the empirical rules' margins, the DVAE's logits), else its probability;
- ECE: :func:`alloyloop.models.calibration.expected_calibration_error` (10 equal-width confidence
  bins on [0.5, 1]), the same definition the DVAE reports on its validation split.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
from sklearn.metrics import balanced_accuracy_score, matthews_corrcoef, roc_auc_score

from alloyloop.models.calibration import expected_calibration_error

METRICS = ("balanced_accuracy", "roc_auc", "mcc", "ece")


def score(p: np.ndarray, y: np.ndarray, ranking: np.ndarray | None = None) -> dict[str, float]:
    """Metrics of one fold.

    Args:
        p: ``(n,)`` p(single-phase) in [0, 1].
        y: ``(n,)`` labels, 1 = single-phase.
        ranking: ``(n,)`` continuous score for ROC AUC (default ``p``); ±inf allowed.
    """
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y).astype(np.int64)
    if p.shape != y.shape:
        raise ValueError(f"p has shape {p.shape} but y has {y.shape}")
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError("p must be probabilities in [0, 1]")
    pred = (p >= 0.5).astype(np.int64)
    r = p if ranking is None else np.asarray(ranking, dtype=np.float64)
    # roc_auc_score rejects infinities; map them past the finite range, order intact.
    finite = r[np.isfinite(r)]
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
    r = np.where(r == np.inf, hi + 1.0, np.where(r == -np.inf, lo - 1.0, r))
    two = np.unique(y).size == 2
    return {
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)) if two else math.nan,
        "roc_auc": float(roc_auc_score(y, r)) if two else math.nan,
        "mcc": float(matthews_corrcoef(y, pred)),
        "ece": float(expected_calibration_error(p, y)),
    }


def summarize(folds: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """``{metric}_mean`` and ``{metric}_sd`` (sample sd, ddof = 1; 0 for one fold)."""
    rows = list(folds)
    out: dict[str, float] = {"n_folds": float(len(rows))}
    for m in METRICS:
        values = np.array([r[m] for r in rows], dtype=np.float64)
        out[f"{m}_mean"] = float(np.mean(values)) if values.size else math.nan
        out[f"{m}_sd"] = float(np.std(values, ddof=1)) if values.size > 1 else 0.0
    return out


def fmt(mean: float, sd: float, digits: int = 3) -> str:
    """``mean ± sd`` for a table cell (``–`` for NaN)."""
    if math.isnan(mean):
        return "–"
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"
