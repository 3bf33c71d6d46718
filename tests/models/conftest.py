"""Fixtures of the model tests: the synthetic data set and the one DVAE fitted on it,
shared by every file that needs them (built from :mod:`tests.fixtures.dvae`)."""

from __future__ import annotations

import pytest

from tests.fixtures.dvae import FAST, fit_synthetic, synthetic_set


@pytest.fixture(scope="session")
def synthetic_data():
    """400 labelled synthetic alloys (seed 1) and 200 unlabelled ones (seed 2)."""
    return synthetic_set(400, 1, 200, 2)


@pytest.fixture(scope="session")
def synthetic_fitted(synthetic_data):
    """:data:`~tests.fixtures.dvae.FAST` fitted on :func:`synthetic_data` (seed 3)."""
    return fit_synthetic(FAST, synthetic_data, seed=3)
