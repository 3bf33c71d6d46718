"""Domain of applicability: does a query alloy lie where the model saw labelled data?

Two checks, both cheap and hard to fool in different ways:

- **Descriptor distance**: Euclidean distance from the query's standardized descriptor
  vector to its nearest labelled training alloy. The threshold is a quantile (default
  0.99) of the training alloys' own leave-one-out nearest-neighbour distances, so
  "in domain" means "as close to the labelled data as the labelled data are to each
  other". ``score = distance / threshold`` (≤ 1 inside).
- **Element coverage**: an alloy containing an element that no labelled training alloy
  contains is out of domain whatever its descriptors, because nothing was learnt about
  that element's chemistry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_CHUNK = 1024  # query rows per distance block: bounds memory to ~CHUNK × n_ref × 8 bytes


def nearest_distances(query: np.ndarray, reference: np.ndarray, *,
                      exclude_self: bool = False) -> np.ndarray:
    """Distance from every query row to its nearest reference row.

    Args:
        query: ``(m, F)``; reference: ``(n, F)``.
        exclude_self: query IS the reference; skip each row's own index (leave-one-out).

    Returns:
        ``(m,)`` float64 (``inf`` when there is no reference row to compare with).
    """
    q = np.asarray(query, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    out = np.full(q.shape[0], np.inf)
    if r.shape[0] == 0 or q.shape[0] == 0:
        return out
    r_sq = (r**2).sum(axis=1)
    for start in range(0, q.shape[0], _CHUNK):
        block = q[start : start + _CHUNK]
        d2 = (block**2).sum(axis=1)[:, None] - 2.0 * block @ r.T + r_sq[None, :]
        if exclude_self:
            idx = np.arange(start, start + block.shape[0])
            d2[np.arange(block.shape[0]), idx] = np.inf
        out[start : start + block.shape[0]] = np.sqrt(np.clip(d2.min(axis=1), 0.0, None))
    return out


@dataclass(frozen=True)
class DomainModel:
    """Fitted domain-of-applicability data.

    Attributes:
        reference: ``(n, F)`` standardized descriptors of the labelled training alloys.
        seen_elements: ``(E,)`` bool, palette elements present in some labelled alloy.
        threshold: in-domain distance bound.
        quantile: the quantile that produced ``threshold``.
    """

    reference: np.ndarray
    seen_elements: np.ndarray
    threshold: float
    quantile: float

    @classmethod
    def fit(cls, reference: np.ndarray, fractions: np.ndarray, quantile: float = 0.99
            ) -> DomainModel:
        """From ``(n, F)`` standardized descriptors and ``(n, E)`` fractions of the
        labelled training alloys."""
        ref = np.asarray(reference, dtype=np.float64)
        loo = nearest_distances(ref, ref, exclude_self=True)
        finite = loo[np.isfinite(loo)]
        # A lone reference alloy has no neighbour: fall back to a unit distance.
        threshold = float(np.quantile(finite, quantile)) if finite.size else 1.0
        # Exact duplicates can make every LOO distance 0; keep the bound positive.
        threshold = max(threshold, 1e-6)
        seen = (np.asarray(fractions) > 0).any(axis=0)
        return cls(reference=ref, seen_elements=seen, threshold=threshold,
                   quantile=float(quantile))

    def score(self, descriptors: np.ndarray, fractions: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        """Domain signal of query alloys.

        Args:
            descriptors: ``(m, F)`` standardized descriptors.
            fractions: ``(m, E)`` fractions over the palette.

        Returns:
            ``(score, in_domain)``: ``(m,)`` float64 distance / threshold and ``(m,)`` bool.
        """
        score = nearest_distances(descriptors, self.reference) / self.threshold
        novel = ((np.asarray(fractions) > 0) & ~self.seen_elements[None, :]).any(axis=1)
        return score, (score <= 1.0) & ~novel
