"""Latent codes as 2-D points, the same for the round report's maps and the dashboard's."""

from __future__ import annotations

import numpy as np


def project(z: np.ndarray, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2-D points of ``z`` and ``others``: themselves (padded) up to two dimensions, else on
    the first two principal axes of ``z``."""
    if z.shape[1] <= 2:
        pad = lambda a: np.hstack([a, np.zeros((len(a), 2 - a.shape[1]))])  # noqa: E731
        return pad(z), pad(others)
    if len(z) < 3:  # too few alloys for principal axes
        return z[:, :2], others[:, :2]
    mean = z.mean(axis=0)
    _, _, vt = np.linalg.svd(z - mean, full_matrices=False)
    return (z - mean) @ vt[:2].T, (others - mean) @ vt[:2].T
