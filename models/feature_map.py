"""What the DVAE's classifier sees of an alloy: fractions → (standardized descriptors,
classifier input row), one definition shared by fitting, prediction and the torch views.

The classifier input is the standardized descriptors, plus the fractions
(``classifier_inputs = "descriptors+fractions"``), plus a one-hot of the processing route
(``processing_input``). The standardizer is fitted on the training compositions only and
saved with the model, so a prediction never depends on the batch it is asked in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from alloyloop.featurize.descriptors import FeatureSchema
from alloyloop.models.features import Standardizer, classifier_inputs, descriptors
from alloyloop.models.processing import LEVELS, route_one_hot, route_words
from alloyloop.models.torch_features import RouteInputs, TorchClassifierInputs, clean_fractions


def check_fractions(X: np.ndarray, elements: Sequence[str], name: str = "X") -> np.ndarray:
    """``(n, E)`` amounts over ``elements`` → ``(n, E)`` float64 rows summing to 1.

    Raises:
        ValueError: wrong shape, negative or non-finite entries, or an all-zero row (the
            message names ``name`` and the fix).
    """
    x = np.asarray(X, dtype=np.float64)
    E = len(elements)
    if x.ndim != 2 or x.shape[1] != E:
        raise ValueError(f"{name} must be (n, {E}) fractions over the palette, got shape "
                         f"{x.shape}: order its columns as model.elements")
    if not np.isfinite(x).all() or (x < 0).any():
        raise ValueError(f"{name} has negative or non-finite entries: give mole "
                         "fractions (or amounts) ≥ 0")
    totals = x.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        row = int(np.flatnonzero(totals[:, 0] <= 0)[0])
        raise ValueError(f"{name} row {row} is all zero: every alloy needs an element")
    return x / totals


@dataclass(frozen=True)
class FeatureMap:
    """The classifier's inputs for one palette and config.

    Attributes:
        elements: the palette (``E`` columns of every fraction matrix).
        schema: the descriptors (``D`` of them).
        mode: ``"descriptors"`` or ``"descriptors+fractions"``.
        processing_input: append the ``len(LEVELS)``-column route one-hot.
        standardizer: fitted on the training compositions (None before :meth:`fit`).
    """

    elements: tuple[str, ...]
    schema: FeatureSchema
    mode: str
    processing_input: bool
    standardizer: Standardizer | None = None

    @property
    def n_inputs(self) -> int:
        """``F``, the width of a classifier input row."""
        return (len(self.schema) + (len(self.elements) if self.mode == "descriptors+fractions"
                                    else 0) + (len(LEVELS) if self.processing_input else 0))

    @property
    def names(self) -> tuple[str, ...]:
        """``(F,)`` display names, e.g. ``ΔS_mix``, ``x(Co)`` or ``route=annealed``."""
        names = tuple(self.schema.labels)
        if self.mode == "descriptors+fractions":
            names += tuple(f"x({el})" for el in self.elements)
        if self.processing_input:
            names += tuple(f"route={r}" for r in LEVELS)
        return names

    def raw_descriptors(self, x: np.ndarray) -> np.ndarray:
        """``(n, E)`` fractions → ``(n, D)`` descriptors in physical units."""
        return descriptors(x, self.elements, self.schema)

    def fit(self, x: np.ndarray) -> FeatureMap:
        """A copy whose standardizer is fitted on the ``(n, E)`` training compositions."""
        return dataclasses.replace(self, standardizer=Standardizer.fit(self.raw_descriptors(x)))

    def inputs(self, x: np.ndarray, routes: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """``(n, E)`` fractions → (``(n, D)`` standardized descriptors, ``(n, F)`` classifier
        input); ``routes``: ``(n,)`` route words, None = unknown (with ``processing_input``)."""
        assert self.standardizer is not None, "fit the feature map first"
        d_std = self.standardizer.transform(self.raw_descriptors(x))
        return d_std, self.with_routes(classifier_inputs(x, d_std, self.mode), routes)

    def with_routes(self, f: np.ndarray, routes: np.ndarray | None) -> np.ndarray:
        """Append the route one-hot to ``(n, ·)`` inputs (a no-op without ``processing_input``)."""
        if not self.processing_input:
            return f
        words = route_words(None, f.shape[0]) if routes is None else routes
        return np.hstack([f, route_one_hot(words)])

    def describe(self, x: np.ndarray, routes: np.ndarray) -> np.ndarray:
        """``(n, E)`` → ``(n, F)`` the classifier's features in physical units (descriptors
        as in :attr:`schema`, fractions and route one-hot as they are)."""
        raw = self.raw_descriptors(x)
        out = raw if self.mode == "descriptors" else np.hstack([raw, x])
        return np.hstack([out, route_one_hot(routes)]) if self.processing_input else out

    def torch_decoded_inputs(self, clean_at_pct: float) -> Callable[[torch.Tensor], torch.Tensor]:
        """Differentiable ``(n, E)`` decoder output → ``(n, F)`` classifier input, as
        ``decode()`` hands it over: small fractions cleaned, route unknown."""
        assert self.standardizer is not None, "fit the feature map first"
        inputs = TorchClassifierInputs(self.elements, self.schema, self.standardizer, self.mode)
        if self.processing_input:  # decoded draws have no route: "unknown"
            inputs = RouteInputs(inputs, route_one_hot(route_words(None, 1))[0])
        return lambda x: inputs(clean_fractions(x, clean_at_pct))
