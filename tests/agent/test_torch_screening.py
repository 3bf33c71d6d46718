"""Screening scores the lattice through the DVAE's torch path
(:class:`alloyloop.models.torch_scoring.TorchScorer`): the same p(single) as the numpy
``predict_proba`` and the same top list, on the session's small real DVAE."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from alloyloop.agent.novelty import duplicates_of, first_occurrences
from alloyloop.agent.strategies.screening import Screening, bulk_scorer
from alloyloop.agent.suggestion import to_model_columns
from alloyloop.models.torch_scoring import TorchScorer

torch.set_num_threads(1)


def _lattice(space):
    return np.vstack(list(Screening(max_candidates=10**7).candidates(space, 0)))


def test_torch_scores_match_predict_proba(small_campaign) -> None:
    model, obs, space = small_campaign
    x = to_model_columns(_lattice(space), space, obs.elements)
    for rows in (x, obs.X):
        p_torch = TorchScorer(model).predict_proba(rows)
        p_numpy = model.predict_proba(rows)
        assert p_torch.dtype == np.float64 and p_torch.shape == p_numpy.shape
        np.testing.assert_allclose(p_torch, p_numpy, rtol=0, atol=1e-6)
    assert bulk_scorer(model).__self__.__class__ is TorchScorer


def test_screening_top_list_is_the_numpy_ranking(small_campaign) -> None:
    model, obs, space = small_campaign
    lattice = _lattice(space)
    p = model.predict_proba(to_model_columns(lattice, space, obs.elements))
    order = np.argsort(-p, kind="stable")
    ranked = lattice[order]
    fresh = ~duplicates_of(to_model_columns(ranked, space, obs.elements), obs.known, space.step)
    ranked, p_ranked = ranked[fresh], p[order][fresh]
    unique = first_occurrences(ranked, space.step)
    expected, expected_p = ranked[unique][:8], p_ranked[unique][:8]

    picks = Screening().suggest(model, obs, space, 8, seed=0)
    got = np.array([[s.fractions.get(el, 0.0) for el in space.palette] for s in picks])
    np.testing.assert_allclose(got, expected, atol=1e-12)
    np.testing.assert_allclose([s.acquisition for s in picks], expected_p, atol=1e-6)


def test_torch_scorer_names_bad_input(small_campaign) -> None:
    model, obs, _ = small_campaign
    scorer = TorchScorer(model)
    with pytest.raises(ValueError, match=r"\(n, 7\).*shape \(2, 3\)"):
        scorer.predict_proba(np.ones((2, 3)))
    bad = obs.X[:2].copy()
    bad[1, 0] = -0.1
    with pytest.raises(ValueError, match="negative or non-finite"):
        scorer.predict_proba(bad)
    with pytest.raises(ValueError, match="row 0 is all zero"):
        scorer.predict_proba(np.zeros((1, 7)))
