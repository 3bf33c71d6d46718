"""Strategy (a): screen the constrained composition lattice with the classifier.

The lattice is streamed in chunks (or sampled when it is too large to enumerate), each
chunk is filtered by the design space, scored, and merged into a running top list, so
memory stays bounded by one chunk plus the top list whatever the lattice size. A campaign
with a candidate pool screens its open candidates instead of the lattice.

The score is p(``target``), the campaign's target (:mod:`~alloyloop.models.target`):
p(single) by default, the structure's class probability for FCC / BCC / HCP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import attrs
import numpy as np

from alloyloop.campaigns.options.strategies import ScreenOptions
from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.novelty import duplicates_of, far_from, first_occurrences, nearest_known
from alloyloop.agent.strategies.diversity import diverse_order, element_systems, system_rank
from alloyloop.agent.strategies.failed_regions import failed_region_discount, probe_limit
from alloyloop.models.target import (
    check_target,
    target_column,
    target_members,
    target_proba,
)
from alloyloop.agent.suggestion import (
    Observations,
    Suggestion,
    build_suggestions,
    to_model_columns,
    to_space_columns,
)
from alloyloop.featurize.lattice import enumerate_lattice, lattice_size, sample_lattice

Acquisition = Literal["greedy", "uncertainty"]


def screening_scores(p: np.ndarray, acquisition: Acquisition) -> np.ndarray:
    """``(m,)`` acquisition value per candidate from ``(m,)`` p(target): ``greedy`` = p, ``uncertainty`` =
    1 − |2p − 1| (highest where the model is least sure)."""
    check_acquisition(acquisition)
    if acquisition == "greedy":
        return p
    return 1.0 - np.abs(2.0 * p - 1.0)


def check_acquisition(acquisition: str) -> None:
    """Raise a ``ValueError`` naming the choices unless ``acquisition`` is one of them."""
    if acquisition not in ("greedy", "uncertainty"):
        raise ValueError(f"unknown acquisition {acquisition!r}: use 'greedy' or 'uncertainty'")


@attrs.frozen
class Screening(ScreenOptions):
    """Rank lattice candidates by an acquisition on the classifier's p(target).

    Attributes:
        acquisition: ``greedy`` or ``uncertainty``.
        target: the campaign's target (``single``, ``FCC``, ``BCC`` or ``HCP``; a
            structure needs a phase4 model).
        max_candidates: enumerate the lattice when it has at most this many points,
            else score this many uniform samples of it.
        chunk_size: candidates scored per pass (bounds memory).
        reserve: keep ``reserve × n`` best candidates before de-duplication.
        resolution: scores closer than this count as tied (e.g. 0.001: every alloy at
            p(target) = 1.000 ties); ties go to the alloy the classifier's members
            disagree on most (std of their logits) plus the farthest from every known
            alloy (total-variation distance). 0 = exact ties only, kept in lattice order.
        per_system: at most this many suggestions per element system (counting pending
            alloys); 0 = no limit.
        avoid_misses, avoid_radius, avoid_factor: the failed-region rule
            (:mod:`~alloyloop.agent.strategies.failed_regions`; off by default, so greedy
            screening is the study's baseline): p(target) counts ``avoid_factor`` times
            within ``avoid_radius`` of ``avoid_misses`` of the campaign's own misses.
        probe_count: at most this many picks (with the lab's pending alloys) within
            ``avoid_radius`` of each other where the campaign has no hit (0 = off).
        novel_distance, novel_margin: the novelty rule
            (:mod:`~alloyloop.agent.strategies.diversity`; off by default, as the
            failed-region rule): an alloy farther than ``novel_distance`` (max-abs) from
            every alloy known before the campaign (``Observations.prior``) is taken before a nearer one when its p(target) is at
            least ``1 − novel_margin`` times the best open p. The top list then also
            keeps the lattice's best novel alloys.
    """

    target: str = "single"

    def __attrs_post_init__(self) -> None:
        check_target(self.target)  # the options are checked by ScreenOptions

    def candidates(self, space: DesignSpace, seed: int):
        """Yield ``(m, E_space)`` chunks of feasible lattice points."""
        size = lattice_size(len(space.palette), space.step, space.min_elements,
                            space.max_elements)
        if size <= self.max_candidates:
            chunks = enumerate_lattice(space.palette, space.step, space.min_elements,
                                       space.max_elements, self.chunk_size)
        else:
            rng = np.random.default_rng(seed)
            chunks = (sample_lattice(len(space.palette), space.step,
                                     min(self.chunk_size, self.max_candidates - s), rng,
                                     space.min_elements, space.max_elements)
                      for s in range(0, self.max_candidates, self.chunk_size))
        for chunk in chunks:
            yield chunk[space.feasible(chunk)]

    def suggest(self, model, observations: Observations, space: DesignSpace, n: int,
                seed: int) -> list[Suggestion]:
        if observations.pool_mode:
            return self._suggest_from_pool(model, observations, space, n)
        top_x, top_a = self.top_candidates(model, observations, space, max(n * self.reserve, n),
                                           seed)
        pick = self._rank(model, top_x, top_a, space, observations, n)
        return build_suggestions(model, top_x[pick], space, observations, self.name, top_a[pick])

    def top_candidates(self, model, observations: Observations, space: DesignSpace, keep: int,
                       seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The lattice's (or its sample's) ``≤ keep`` best candidates ``(k, E_space)`` by the
        acquisition, best first, with their values ``(k,)``: new (neither labelled nor
        pending) and distinct. ``botorch`` adds them to its latent search's candidates."""
        keep = max(int(keep), 1)
        top_x = np.empty((0, len(space.palette)))
        top_a = np.empty(0)
        score = bulk_scorer(model, self.target)
        discount = failed_region_discount(self, observations, self.target)
        novel = NovelTop(observations.prior, self.novel_distance, self.novel_margin, keep)
        for chunk in self.candidates(space, seed):
            if len(chunk) == 0:
                continue
            x_model = to_model_columns(chunk, space, observations.elements)
            a = screening_scores(score(x_model) * discount(x_model), self.acquisition)
            novel.add(chunk, x_model, a)
            top_x = np.vstack([top_x, chunk])
            top_a = np.concatenate([top_a, a])
            if self.per_system > 0:  # keep each element system's best few, not one system's
                order = np.argsort(-top_a, kind="stable")
                order = order[system_rank(element_systems(top_x[order], space.palette))
                              < self.reserve * self.per_system]
                top_x, top_a = top_x[order], top_a[order]
            if len(top_a) > keep:
                best = np.argpartition(-top_a, keep)[:keep]
                top_x, top_a = top_x[best], top_a[best]
        if len(novel.a):
            top_x, top_a = np.vstack([top_x, novel.x]), np.concatenate([top_a, novel.a])
        order = np.argsort(-top_a, kind="stable")
        top_x, top_a = top_x[order], top_a[order]
        known = observations.known
        fresh = ~duplicates_of(to_model_columns(top_x, space, observations.elements), known,
                               space.step)
        top_x, top_a = top_x[fresh], top_a[fresh]
        unique = first_occurrences(top_x, space.step)
        return top_x[unique], top_a[unique]

    def _rank(self, model, x: np.ndarray, a: np.ndarray, space: DesignSpace, obs: Observations,
              n: int) -> np.ndarray:
        """Indices of the ``n`` picks among ``x`` ``(m, E_space)`` sorted best first by
        ``a``: ties within ``resolution`` broken, at most ``per_system`` per system, at most
        ``probe_count`` per unproven region (:mod:`~alloyloop.agent.strategies.failed_regions`)."""
        if (self.resolution == 0 and self.per_system == 0 and self.probe_count == 0
                and not self.novel_margin):
            return np.arange(min(n, len(x)))
        x_model = to_model_columns(x, space, obs.elements)
        order = np.arange(len(x))
        if self.resolution > 0 and len(x):
            _, novelty = nearest_known(x_model, obs.known)
            tie = np.where(np.isfinite(novelty), novelty, 1.0) + member_spread(model, x_model,
                                                                               self.target)
            order = np.lexsort((-tie, -np.floor(a / self.resolution)))
        taken = element_systems(to_space_columns(obs.X_pending, space, obs.elements)[
            np.isclose(to_space_columns(obs.X_pending, space, obs.elements).sum(axis=1), 1.0)],
            space.palette)
        rank = -np.arange(len(order), dtype=np.float64)  # the sorted order as the score
        chosen = diverse_order(rank, element_systems(x[order], space.palette), n, penalty=0.0,
                               max_per_system=self.per_system, taken=taken,
                               closed=probe_limit(self, x_model[order], obs, self.target),
                               **self._novelty(model, x_model[order], a[order], obs))
        return order[chosen]

    def _novelty(self, model, x_model: np.ndarray, a: np.ndarray, obs: Observations) -> dict:
        """The novelty rule's arguments of :func:`diverse_order` for candidates ``x_model``
        ``(m, E)`` of acquisition ``a`` ``(m,)`` (greedy: ``a`` is the discounted p), or
        none when it is off."""
        if not self.novel_margin:
            return {}
        p = a if self.acquisition == "greedy" else (
            bulk_scorer(model, self.target)(x_model)
            * failed_region_discount(self, obs, self.target)(x_model))
        return {"p": p, "novel": far_from(x_model, obs.prior, self.novel_distance),
                "novel_margin": self.novel_margin}

    def _suggest_from_pool(self, model, obs: Observations, space: DesignSpace, n: int
                           ) -> list[Suggestion]:
        x = pool_candidates(obs, space)
        if len(x) == 0:
            return []
        x_model = to_model_columns(x, space, obs.elements)
        p = target_proba(model, self.target)(x_model) * failed_region_discount(self, obs, self.target)(x_model)
        a = screening_scores(p, self.acquisition)
        order = np.argsort(-a, kind="stable")
        top = order[self._rank(model, x[order], a[order], space, obs, n)]
        return build_suggestions(model, x[top], space, obs, self.name, a[top])


class NovelTop:
    """The lattice stream's best ``keep`` *novel* candidates (farther than ``distance``,
    max-abs, from every row of ``prior`` ``(t, E_model)``) by acquisition, for the novelty
    rule: the plain top list of a lattice the model is sure of is all neighbours of known
    alloys. Only the rows within ``margin`` of the best value seen so far are measured, at
    most :attr:`ROWS` per chunk (the best of them), so a flat chunk costs a bounded pass.
    Inert (empty) when ``margin`` is 0."""

    ROWS = 4096

    def __init__(self, prior: np.ndarray, distance: float, margin: float, keep: int) -> None:
        self.prior, self.distance, self.margin, self.keep = prior, distance, margin, keep
        self.x: np.ndarray = np.empty((0, 0))
        self.a = np.empty(0)
        self.best = -np.inf

    def add(self, chunk: np.ndarray, x_model: np.ndarray, a: np.ndarray) -> None:
        """Merge the novel rows of ``chunk`` ``(c, E_space)`` (``x_model`` its model
        columns, ``a`` ``(c,)`` its values) into the list."""
        if not self.margin:
            return
        if len(self.x) == 0:
            self.x = np.empty((0, chunk.shape[1]))
        self.best = max(self.best, float(np.max(a)))
        rows = np.flatnonzero(a >= (1.0 - self.margin) * self.best)
        rows = rows[np.argsort(-a[rows], kind="stable")[:self.ROWS]]
        rows = rows[far_from(x_model[rows], self.prior, self.distance)]
        self.x, self.a = np.vstack([self.x, chunk[rows]]), np.concatenate([self.a, a[rows]])
        if len(self.a) > self.keep:
            best = np.argsort(-self.a, kind="stable")[:self.keep]
            self.x, self.a = self.x[best], self.a[best]


def bulk_scorer(model, target: str = "single") -> Callable[[np.ndarray], np.ndarray]:
    """``(m, E_model)`` fractions → ``(m,)`` p(target) for the lattice stream: a DVAE's
    torch path (:class:`alloyloop.models.torch_scoring.TorchScorer`, the same figures as
    its ``predict_proba`` / ``predict_phase_proba``), any other model's
    :func:`~alloyloop.models.target.target_proba` (also a DVAE that
    takes the processing route as an input: the torch inputs have no route).

    Raises:
        ValueError: the model cannot give p(target) (a structure on a binary model).
    """
    col = target_column(model, target)
    if not hasattr(model, "encode") or getattr(model.config, "processing_input", False):
        return target_proba(model, target)
    from alloyloop.models.torch_scoring import TorchScorer

    scorer = TorchScorer(model)
    if col is None:
        return scorer.predict_proba
    return lambda x: scorer.predict_phase_proba(x)[:, col]


def member_spread(model, x_model: np.ndarray, target: str = "single") -> np.ndarray:
    """``(m,)`` std of the classifier members' calibrated logits of p(target) at ``(m, E)``
    fractions (:mod:`alloyloop.models.torch_members`); zeros for a model without members."""
    import torch

    if not hasattr(model, "encode"):  # not a DVAE
        return np.zeros(len(x_model))
    target_column(model, target)  # a wrong target raises here, not as "no spread" below
    try:
        members = target_members(model, target)
    except ValueError:  # one head and no dropout: no spread to measure
        return np.zeros(len(x_model))
    with torch.no_grad():
        return members(torch.as_tensor(x_model, dtype=torch.float64)).std(dim=0).numpy()


def pool_candidates(obs: Observations, space: DesignSpace) -> np.ndarray:
    """``(c, E_space)`` open pool candidates inside the design space (grid not applied)."""
    x = obs.open_candidates()
    inside = np.isclose(to_space_columns(x, space, obs.elements).sum(axis=1), 1.0, atol=1e-6)
    x = to_space_columns(x[inside], space, obs.elements)
    return x[space.feasible(x, on_grid=False)] if len(x) else x
