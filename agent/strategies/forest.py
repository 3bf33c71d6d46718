"""Baseline strategy: a random forest on descriptors with EI or UCB (like hea-bench's
campaign, which puts a random forest and EI / UCB on a lattice).

The forest (scikit-learn, on the standardized ``MODEL_SCHEMA`` descriptors, the same
inputs as the benchmark's random-forest baseline) is fitted on the campaign's labelled
alloys. Its trees' p(single) give a mean μ and a spread σ per candidate (for a structure
``target``, FCC / BCC / HCP, the forest learns "is that structure" from
``Observations.outcomes(target)`` instead, on the rows whose structure is known, and μ, σ, f*
are of p(target)):

- ``UCB`` = μ + κ σ
- ``EI``  = (μ − f* − ξ) Φ(u) + σ φ(u), u = (μ − f* − ξ) / σ, with f* the best observed
  outcome (1 once any single-phase alloy is labelled).

The batch is the top ``n`` candidates by acquisition, without believer updates (hea-bench
refits once per pick; here the batch is one ranking). Candidates: the open pool, or up to
``max_candidates`` lattice points of the design space. The round's DVAE only annotates
the chosen alloys (p_single, conformal set, domain), as for every strategy (a structure
target still needs a phase4 DVAE: the batch reports p(target) beside p(single)).
"""

from __future__ import annotations


import attrs
import numpy as np
from scipy.stats import norm
from sklearn.ensemble import RandomForestClassifier

from alloyloop.campaigns.options.strategies import ForestOptions
from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.novelty import duplicates_of, first_occurrences
from alloyloop.agent.strategies.screening import Screening, pool_candidates
from alloyloop.models.target import check_target, target_column
from alloyloop.agent.suggestion import Observations, Suggestion, build_suggestions, to_model_columns
from alloyloop.models.baselines.descriptor_model import DescriptorClassifier


def forest_acquisition(mu: np.ndarray, sigma: np.ndarray, kind: str, *, best: float,
                       kappa: float, xi: float) -> np.ndarray:
    """``(n,)`` EI or UCB from the trees' mean and spread (see the module docstring)."""
    if kind == "UCB":
        return mu + kappa * sigma
    if kind == "EI":
        s = np.maximum(sigma, 1e-9)
        gain = mu - best - xi
        u = gain / s
        return gain * norm.cdf(u) + s * norm.pdf(u)
    raise ValueError(f"unknown acquisition {kind!r}: use 'EI' or 'UCB'")


@attrs.frozen
class ForestAcquisition(ForestOptions):
    """Random forest + EI / UCB.

    Attributes:
        acquisition: ``EI`` or ``UCB``.
        n_trees: trees in the forest.
        kappa: UCB exploration weight.
        xi: EI improvement margin.
        max_candidates: lattice points scored when the campaign has no pool.
        target: the campaign's target (``single``, ``FCC``, ``BCC`` or ``HCP``).
    """

    target: str = "single"

    def __attrs_post_init__(self) -> None:
        check_target(self.target)

    def suggest(self, model, observations: Observations, space: DesignSpace, n: int,
                seed: int) -> list[Suggestion]:
        obs = observations
        X, y = self._outcomes(model, obs)
        forest = DescriptorClassifier(
            obs.elements, seed, name="rf-acquisition",
            estimator_factory=lambda s: RandomForestClassifier(
                n_estimators=self.n_trees, random_state=s, n_jobs=1))
        forest.fit(X, y)
        x = pool_candidates(obs, space) if obs.pool_mode else self._lattice(space, obs, seed)
        if len(x) == 0:
            return []
        mu, sigma = tree_spread(forest, to_model_columns(x, space, obs.elements))
        a = forest_acquisition(mu, sigma, self.acquisition, best=float(y.max()),
                               kappa=self.kappa, xi=self.xi)
        order = np.argsort(-a, kind="stable")
        if not obs.pool_mode:  # lattice points may sit within a step of each other
            head = order[:50 * n]
            order = head[first_occurrences(x[head], space.step)]
        top = order[:n]
        return build_suggestions(model, x[top], space, obs, self.name, a[top])

    def _outcomes(self, model, obs: Observations) -> tuple[np.ndarray, np.ndarray]:
        """The forest's training rows: ``(m', E)`` fractions and ``(m',)`` 0/1 outcomes
        (single-phase, or for a structure target the rows of known structure, 1 = it)."""
        if self.target == "single":
            if len(np.unique(obs.y)) < 2:
                raise ValueError("the random forest needs labelled single- and multi-phase alloys")
            return obs.X, obs.y
        target_column(model, self.target)  # the batch's p(target) needs a phase4 DVAE
        outcome = obs.outcomes(self.target)
        known = np.isfinite(outcome)
        y = outcome[known].astype(np.int64)
        if not (y == 1).any():
            raise ValueError(f"the random forest needs a labelled {self.target} alloy: none "
                             f"of the {len(outcome)} labelled alloys is {self.target}")
        if not (y == 0).any():
            raise ValueError(f"the random forest needs labelled alloys that are not "
                             f"{self.target} (multi-phase or another structure): label some")
        return obs.X[known], y

    def _lattice(self, space: DesignSpace, obs: Observations, seed: int) -> np.ndarray:
        chunks = Screening(max_candidates=self.max_candidates).candidates(space, seed)
        x = np.vstack([c for c in chunks if len(c)] or [np.empty((0, len(space.palette)))])
        fresh = ~duplicates_of(to_model_columns(x, space, obs.elements), obs.known, space.step)
        return x[fresh]


def tree_spread(forest: DescriptorClassifier, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(n,)`` mean and standard deviation of p(outcome = 1) over the forest's trees at
    ``(n, E)`` fractions."""
    assert forest.pipeline_ is not None
    feats = forest.pipeline_.named_steps["scale"].transform(forest.features(X))
    rf = forest.pipeline_.named_steps["model"]
    col = list(rf.classes_).index(1)
    per_tree = np.stack([t.predict_proba(feats)[:, col] for t in rf.estimators_])
    return per_tree.mean(axis=0), per_tree.std(axis=0)
