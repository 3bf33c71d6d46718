"""Baseline strategy: uniformly random candidates (open pool rows, or lattice points)."""

from __future__ import annotations


import attrs
import numpy as np

from alloyloop.campaigns.options.strategies import RandomOptions
from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.strategies.common import fresh_unique
from alloyloop.agent.strategies.screening import pool_candidates
from alloyloop.agent.suggestion import Observations, Suggestion, build_suggestions
from alloyloop.featurize.lattice import sample_lattice


@attrs.frozen
class RandomPick(RandomOptions):
    """``n`` seeded uniform picks: what a campaign finds without a model (``target``
    is accepted like every strategy's, and ignored)."""

    target: str = "single"

    def suggest(self, model, observations: Observations, space: DesignSpace, n: int,
                seed: int) -> list[Suggestion]:
        rng = np.random.default_rng(seed)
        if observations.pool_mode:
            x = pool_candidates(observations, space)
            x = x[rng.permutation(len(x))[:n]]
        else:
            draw = sample_lattice(len(space.palette), space.step, 50 * n, rng,
                                  space.min_elements, space.max_elements)
            draw = draw[space.feasible(draw)]
            x = draw[fresh_unique(draw, space, observations)][:n]
        return build_suggestions(model, x, space, observations, self.name, np.zeros(len(x)))
