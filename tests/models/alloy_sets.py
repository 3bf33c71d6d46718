"""Random test alloys shared by the model tests (imported as ``alloy_sets``: pytest puts
this folder on ``sys.path``)."""

from __future__ import annotations

import numpy as np


def random_alloys(n: int, n_elements: int, seed: int, concentration: float = 3.0
                  ) -> np.ndarray:
    """``(n, n_elements)`` compositions of 2–5 random elements, Dirichlet fractions."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n, n_elements))
    for i in range(n):
        k = rng.integers(2, 6)
        cols = rng.choice(n_elements, size=k, replace=False)
        X[i, cols] = rng.dirichlet(np.full(k, concentration))
    return X
