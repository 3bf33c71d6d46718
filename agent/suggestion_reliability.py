"""Do the campaign's promises come true? The numbers of the dashboard's reliability
diagram: the p(target) each labelled suggestion was given when it was suggested, binned,
against the share of hits among its bin's labels.

The prediction is the one stored with the suggestion: ``p_single`` for a ``single``
campaign, ``extra["p_target"]`` (what the strategies ranked by, :mod:`alloyloop.agent.batch`, as
calibrated on the campaign's own record, :mod:`alloyloop.agent.campaign_calibration`)
for a structure target. Suggestions stored without it, and labels that cannot say whether
the alloy is the target (single-phase, structure not named), are counted apart, not
binned. A bin spans ``[low, high)`` (the last one includes 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alloyloop.agent.campaign_ops import spec_of
from alloyloop.agent.discovery import labelled_suggestions, outcome_of
from alloyloop.db.records import SuggestionRecord
from alloyloop.db.session import Session
from alloyloop.models.target import SINGLE

N_BINS = 5


def predicted(s: SuggestionRecord, target: str) -> float | None:
    """The p(target) a suggestion was given when it was made (None if it was not stored)."""
    if target == SINGLE:
        return s.p_single
    value = s.extra.get("p_target") if s.extra.get("target") == target else None
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    hits: int
    mean_predicted: float | None
    """Mean p(target) of the bin's suggestions (None: empty bin)."""

    @property
    def observed(self) -> float | None:
        """Share of hits (None: empty bin)."""
        return self.hits / self.count if self.count else None


@dataclass(frozen=True)
class Reliability:
    target: str
    bins: tuple[ReliabilityBin, ...]
    without_prediction: int
    """Labelled suggestions stored without p(target)."""
    unknown_outcome: int
    """Labelled suggestions whose label does not say whether they are the target."""

    @property
    def count(self) -> int:
        return sum(b.count for b in self.bins)

    @property
    def ece(self) -> float | None:
        """Expected calibration error over these bins (count-weighted |mean p − observed|)."""
        n = self.count
        if not n:
            return None
        return sum(b.count * abs(b.mean_predicted - b.observed) for b in self.bins if b.count) / n


def reliability(session: Session, campaign: str, n_bins: int = N_BINS) -> Reliability:
    """The reliability diagram of the campaign's labelled suggestions (NotFound without the
    campaign; SpecError when its stored spec no longer reads)."""
    target = spec_of(session, campaign).goal.target
    p, y, missing, unknown = [], [], 0, 0
    for ls in labelled_suggestions(session, campaign, target):
        value, outcome = predicted(ls.suggestion, target), outcome_of(ls.label, target)
        if value is None:
            missing += 1
        elif math.isnan(outcome):
            unknown += 1
        else:
            p.append(value)
            y.append(outcome)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(np.asarray(p), edges[1:-1]), 0, n_bins - 1) if p else np.zeros(0, int)
    pa, ya = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    bins = []
    for b in range(n_bins):
        sel = which == b
        bins.append(ReliabilityBin(float(edges[b]), float(edges[b + 1]), int(sel.sum()), int(ya[sel].sum()),
                                   float(pa[sel].mean()) if sel.any() else None))
    return Reliability(target, tuple(bins), missing, unknown)
