"""Fitting one model on one fold and scoring it on the fold's test rows."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks.scoring import score


def fit_and_score(
    model: Any,
    X_fit: np.ndarray,
    y_fit: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    X_unlabelled: np.ndarray | None = None,
) -> dict[str, Any]:
    """Fit ``model`` from scratch and score it on the test rows.

    Returns:
        The metrics of :func:`benchmarks.scoring.score`, ``fit_seconds``,
        ``predict_seconds`` and row counts, plus the model's own ``metrics`` (the DVAE's
        validation metrics, best epoch, …) under ``model_metrics`` when it has them.
    """
    has_val = X_val is not None and len(X_val) > 0
    t0 = time.perf_counter()
    model.fit(
        X_fit,
        y_fit,
        X_unlabelled=X_unlabelled if X_unlabelled is not None and len(X_unlabelled) else None,
        X_val=X_val if has_val else None,
        y_val=y_val if has_val else None,
    )
    t1 = time.perf_counter()
    p = np.asarray(model.predict_proba(X_test), dtype=np.float64)
    ranking = (np.asarray(model.decision_function(X_test), dtype=np.float64)
               if callable(getattr(model, "decision_function", None)) else None)
    t2 = time.perf_counter()
    if p.shape != (len(X_test),):
        raise ValueError(f"{model!r}.predict_proba returned shape {p.shape}, "
                         f"expected ({len(X_test)},)")
    out: dict[str, Any] = {
        **score(p, y_test, ranking),
        "fit_seconds": t1 - t0,
        "predict_seconds": t2 - t1,
        "n_fit": int(len(X_fit)),
        "n_val": int(len(X_val)) if has_val else 0,
        "n_unlabelled": int(len(X_unlabelled)) if X_unlabelled is not None else 0,
        "n_test": int(len(X_test)),
    }
    extra = getattr(model, "metrics", None)
    if isinstance(extra, dict) and extra:
        out["model_metrics"] = {k: v for k, v in extra.items()
                                if isinstance(v, int | float | str | bool)}
    return out
