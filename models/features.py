"""Classifier inputs: standardized descriptors (and optionally the raw fractions).

The standardizer is fitted on the training compositions only and stored in the
checkpoint, so predictions never depend on the query batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from alloyloop.featurize.converter import structure, unstructure
from alloyloop.featurize.descriptors import FeatureSchema, descriptor_matrix


@dataclass(frozen=True)
class Standardizer:
    """Column-wise ``(d − mean) / std``; ``mean`` and ``std`` are ``(F,)``."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, d: np.ndarray) -> Standardizer:
        """From an ``(n, F)`` matrix; a constant column gets std 1 (it stays constant)."""
        d = np.asarray(d, dtype=np.float64)
        std = d.std(axis=0)
        return cls(mean=d.mean(axis=0), std=np.where(std > 1e-12, std, 1.0))

    def transform(self, d: np.ndarray) -> np.ndarray:
        """``(n, F)`` → ``(n, F)`` float64."""
        return (np.asarray(d, dtype=np.float64) - self.mean) / self.std

    def to_dict(self) -> dict:
        return unstructure(self)

    @classmethod
    def from_dict(cls, data: dict) -> Standardizer:
        return structure(data, cls)


def descriptors(X: np.ndarray, elements: Sequence[str], schema: FeatureSchema) -> np.ndarray:
    """``(n, E)`` fractions → ``(n, F)`` raw descriptors (every one finite by schema)."""
    d = descriptor_matrix(X, elements, schema)
    if not np.isfinite(d).all():
        bad = int(np.flatnonzero(~np.isfinite(d).all(axis=1))[0])
        raise ValueError(f"row {bad} has a non-finite descriptor: drop the row or choose "
                         "finite features (not 'omega')")
    return d


def classifier_inputs(X: np.ndarray, d_std: np.ndarray, mode: str) -> np.ndarray:
    """Assemble the classifier's input matrix.

    Args:
        X: ``(n, E)`` fractions (rows sum to 1).
        d_std: ``(n, F)`` standardized descriptors.
        mode: ``"descriptors"`` or ``"descriptors+fractions"``.

    Returns:
        ``(n, F)`` or ``(n, F + E)`` float64.
    """
    if mode == "descriptors":
        return d_std
    if mode == "descriptors+fractions":
        return np.hstack([d_std, X])
    raise ValueError(f"unknown classifier input mode {mode!r}")
