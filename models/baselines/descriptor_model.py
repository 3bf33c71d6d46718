"""A :class:`~models.base.PhaseClassifier` around any scikit-learn classifier.

Every fitted baseline sees the same inputs: the composition matrix ``X`` over the
palette is turned into the ``MODEL_SCHEMA`` descriptors of :mod:`alloyloop.featurize.descriptors`
(ten finite physics descriptors), standardized by a ``StandardScaler`` fitted on the
training rows only, and fed to the estimator, all inside one ``sklearn`` Pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from alloyloop.featurize.descriptors import MODEL_SCHEMA, FeatureSchema, descriptor_matrix

EstimatorFactory = Callable[[int], object]
"""Builds a fresh, unfitted scikit-learn classifier from a seed."""


def check_fractions(X: np.ndarray, elements: Sequence[str]) -> np.ndarray:
    """``X`` as a float64 ``(n, E)`` array, or a ValueError naming what is wrong."""
    x = np.asarray(X, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(elements):
        raise ValueError(
            f"X must be (n, {len(elements)}) mole fractions over the palette "
            f"({', '.join(elements)}), got shape {x.shape}"
        )
    return x


def check_labels(y: np.ndarray, n: int) -> np.ndarray:
    """``y`` as an int array of 0/1 of length ``n`` holding both classes."""
    labels = np.asarray(y)
    if labels.shape != (n,):
        raise ValueError(f"y must have shape ({n},) to match X, got {labels.shape}")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("y must hold only 0 (multi-phase) and 1 (single-phase)")
    labels = labels.astype(np.int64)
    if len(np.unique(labels)) < 2:
        raise ValueError(
            "y holds a single class; a phase classifier needs single- and multi-phase "
            "examples to fit"
        )
    return labels


class DescriptorClassifier:
    """Descriptors → StandardScaler → estimator, as a seeded ``PhaseClassifier``.

    Args:
        elements: the palette, i.e. the column symbols of every ``X``.
        seed: passed to the estimator factory (``random_state``).
        estimator_factory: ``seed -> unfitted sklearn classifier``.
        name: the name used in benchmark tables.
        schema: descriptor columns (default :data:`MODEL_SCHEMA`).
    """

    uses_validation = False
    """Baselines have no early stopping or calibration step: benchmarks may give them the
    whole training fold instead of carving a validation split out of it."""

    def __init__(
        self,
        elements: Sequence[str],
        seed: int,
        *,
        estimator_factory: EstimatorFactory,
        name: str,
        schema: FeatureSchema = MODEL_SCHEMA,
    ) -> None:
        self.elements = tuple(elements)
        self.seed = int(seed)
        self.name = name
        self.schema = schema
        self._factory = estimator_factory
        self.pipeline_: Pipeline | None = None

    def features(self, X: np.ndarray) -> np.ndarray:
        """The ``(n, len(schema))`` descriptor matrix of compositions ``X``."""
        return descriptor_matrix(check_fractions(X, self.elements), self.elements, self.schema)

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        X_unlabelled: np.ndarray | None = None,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> DescriptorClassifier:
        """Fit a fresh pipeline on ``(X, y)``; ``X_unlabelled``/``X_val``/``y_val`` are ignored."""
        feats = self.features(X)
        labels = check_labels(y, len(feats))
        pipeline = Pipeline(
            [("scale", StandardScaler()), ("model", self._factory(self.seed))]
        )
        pipeline.fit(feats, labels)
        self.pipeline_ = pipeline
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``(n,)`` p(single-phase)."""
        if self.pipeline_ is None:
            raise RuntimeError(f"{self.name}: call fit before predict_proba")
        proba = self.pipeline_.predict_proba(self.features(X))
        classes = list(self.pipeline_.classes_)
        return np.ascontiguousarray(proba[:, classes.index(1)], dtype=np.float64)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(name={self.name!r}, seed={self.seed}, "
                f"E={len(self.elements)})")
