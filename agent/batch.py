"""A round's batch from the spec's strategy mix.

Strategies run in the spec's order, each asked for its count. Each one sees the pending
suggestions (in the lab) plus everything the strategies before it picked as pending
points, so the batch holds no alloy twice and nothing already known or in the lab. A
strategy that cannot deliver (fewer candidates, or a ``ValueError`` such as "no labelled
multi-phase alloy to nudge") leaves a shortfall that greedy screening fills, marked so in
the suggestion's ``extra``.

The campaign's target (``Goal.target``) goes to every strategy that has one (all but
``random``) and to the filler; for a structure target (FCC / BCC / HCP) each suggestion's
``extra`` also holds ``target`` and ``p_target``, the probability the strategies ranked by
(the store's ``p_single`` stays p(single)).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.models.target import target_proba
from alloyloop.agent.suggestion import Observations, Strategy, Suggestion, to_model_columns
from alloyloop.campaigns.goal import Goal
from alloyloop.campaigns.registry import STRATEGIES
from alloyloop.campaigns.spec import StrategySpec
from alloyloop.db.campaigns import SuggestionInput


def build_strategy(spec: StrategySpec, goal: Goal | None = None) -> Strategy:
    """The strategy of one entry of the mix: the registry's implementation of its kind,
    built from its (already validated) options and the campaign's goal — every strategy
    takes ``target``; ``botorch``, the one that optimizes them, the objectives too."""
    goal = goal or Goal()
    implementation = STRATEGIES[spec.kind].load()
    return implementation.for_goal(spec.options, goal)


@dataclass
class Batch:
    """The suggestions of a round and what happened on the way."""

    suggestions: list[Suggestion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    filled_for: dict[str, str] = field(default_factory=dict)
    """Suggestion key -> the strategy whose shortfall it fills."""
    target: str = "single"
    """The campaign's target the batch was ranked for."""
    p_target: dict[str, float] = field(default_factory=dict)
    """Suggestion key -> p(target), for a structure target (empty for ``single``)."""


def _matrix(batch: Sequence[Suggestion], space: DesignSpace, elements: tuple[str, ...]) -> np.ndarray:
    x = np.array([[s.fractions.get(el, 0.0) for el in space.palette] for s in batch]).reshape(-1, len(space.palette))
    return to_model_columns(x, space, elements)


def compose_batch(model, observations: Observations, space: DesignSpace,
                  mix: Sequence[StrategySpec], seed: int, goal: Goal | None = None) -> Batch:
    """Run the strategy mix (see the module docstring): the counts, which the spec checks
    add up to the campaign's ``batch_size``, are the batch. ``goal``: the campaign's target (every strategy but ``random``) and
    objectives (botorch strategy)."""
    target = "single" if goal is None else goal.target
    out = Batch(target=target)
    shortfall: list[str] = []

    def pending() -> Observations:
        extra = _matrix(out.suggestions, space, observations.elements)
        return dataclasses.replace(observations, X_pending=np.vstack([observations.X_pending, extra]))

    for i, entry in enumerate(mix):
        strategy = build_strategy(entry, goal)
        try:
            got = strategy.suggest(model, pending(), space, entry.count, seed + 1009 * i)[:entry.count]
        except ValueError as exc:  # e.g. nothing to nudge: the others carry on
            got = []
            out.notes.append(f"{entry.kind} made no suggestion: {exc}")
        else:
            if len(got) < entry.count:
                out.notes.append(f"{entry.kind} made {len(got)} of {entry.count} suggestions")
        shortfall += [entry.kind] * (entry.count - len(got))
        out.suggestions.extend(got)
    if shortfall:
        from alloyloop.agent.strategies.screening import Screening

        fill = Screening(target=target).suggest(model, pending(), space, len(shortfall),
                                                seed + 7919)
        for s, owner in zip(fill, shortfall):
            out.filled_for[s.key] = owner
        out.suggestions.extend(fill)
        out.notes.append(f"greedy screening filled {len(fill)} of {len(shortfall)} missing")
    if target != "single" and out.suggestions:
        p = target_proba(model, target)(_matrix(out.suggestions, space, observations.elements))
        out.p_target = {s.key: float(v) for s, v in zip(out.suggestions, p)}
    return out


def suggestion_inputs(batch: Batch) -> list[SuggestionInput]:
    """The store's form of the batch: model view in columns, strategy detail in ``extra``."""
    items = []
    for s in batch.suggestions:
        members = [v for v in s.conformal_set.strip("{}").split(",") if v]
        extra = {"conformal_set": s.conformal_set, "domain_score": s.domain_score,
                 "nearest_key": s.nearest_key, "nearest_distance": s.nearest_distance,
                 "latent": s.latent, "repair_distance": s.repair_distance, "path": s.path}
        if s.key in batch.filled_for:
            extra["filled_for"] = batch.filled_for[s.key]
        if s.key in batch.p_target:
            extra.update(target=batch.target, p_target=batch.p_target[s.key])
        if not np.isfinite(extra["nearest_distance"]):
            extra["nearest_distance"] = None
        items.append(SuggestionInput(composition=s.fractions, strategy=s.strategy,
                                     p_single=s.p_single, prediction_set=members,
                                     in_domain=s.in_domain, acquisition=s.acquisition,
                                     extra=extra))
    return items
