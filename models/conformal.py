"""Split-conformal prediction sets for the binary phase label (Vovk et al.; Angelopoulos &
Bates 2021, "A gentle introduction", §1).

Nonconformity score of a calibration row: s = 1 − p̂(true class). With n calibration rows
and target coverage 1 − a, the threshold q̂ is the ⌈(n + 1)(1 − a)⌉-th smallest score;
the set of a new alloy holds every class c with 1 − p̂(c) ≤ q̂. For exchangeable data,
P(true class ∈ set) ≥ 1 − a. Sets are {single}, {multi}, {single, multi} (unsure) or,
rarely, empty (the model is confident and the threshold is strict).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from alloyloop.featurize.converter import structure, unstructure


@dataclass(frozen=True)
class SplitConformal:
    """A fitted conformal threshold.

    Attributes:
        coverage: target coverage 1 − a.
        threshold: q̂ on the score scale [0, 1]; 1.0 means every set is full (too few
            calibration rows for the requested coverage).
        n_calibration: calibration rows used.
    """

    coverage: float
    threshold: float
    n_calibration: int

    @classmethod
    def fit(cls, p_single: np.ndarray, y: np.ndarray, coverage: float = 0.9) -> SplitConformal:
        """Threshold from calibration probabilities ``(n,)`` and labels ``(n,)`` in {0, 1}."""
        if not 0 < coverage < 1:
            raise ValueError(f"coverage={coverage!r} must lie in (0, 1): e.g. 0.9")
        p = np.asarray(p_single, dtype=np.float64)
        t = np.asarray(y).astype(int)
        scores = np.sort(np.where(t == 1, 1.0 - p, p))
        n = scores.size
        rank = math.ceil((n + 1) * coverage)
        threshold = 1.0 if rank > n else float(scores[rank - 1])
        return cls(coverage=float(coverage), threshold=threshold, n_calibration=int(n))

    def sets(self, p_single: np.ndarray) -> np.ndarray:
        """``(n,)`` probabilities → ``(n, 2)`` bool membership [multi, single]."""
        p = np.asarray(p_single, dtype=np.float64)
        # A tiny tolerance keeps a calibration row's own score inside its set.
        tol = 1e-12
        return np.column_stack([p <= self.threshold + tol, 1.0 - p <= self.threshold + tol])

    def to_dict(self) -> dict:
        return unstructure(self)

    @classmethod
    def from_dict(cls, data: dict) -> SplitConformal:
        return structure(data, cls)


def set_labels(membership: np.ndarray) -> list[str]:
    """``(n, 2)`` bool [multi, single] → strings "{single}", "{multi}", "{single,multi}", "{}"."""
    out = []
    for multi, single in np.asarray(membership, dtype=bool):
        names = [n for n, on in (("single", single), ("multi", multi)) if on]
        out.append("{" + ",".join(names) + "}")
    return out
