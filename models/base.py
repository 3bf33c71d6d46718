"""The plug-in contract every phase classifier in ``models/`` follows (scikit-learn style).

``X`` is always an ``(n, E)`` float64 matrix of mole fractions whose columns are the
model's ``elements`` (rows sum to 1); ``y`` is ``(n,)`` with 1 = single-phase and
0 = multi-phase. Models compute their own descriptors from ``X`` through ``featurize``,
so every model sees the same compositions and can be swapped in benchmarks and
campaigns.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class PhaseClassifier(Protocol):
    """Predicts p(single-phase) for compositions over a fixed element palette."""

    elements: tuple[str, ...]

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        X_unlabelled: np.ndarray | None = None,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> PhaseClassifier:
        """Fit from scratch (all previous state is reset). Supervised models ignore
        ``X_unlabelled``; ``X_val``/``y_val`` are for early stopping and calibration only.
        """
        ...

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``(n,)`` probability of single-phase."""
        ...
