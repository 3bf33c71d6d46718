"""Statuses of campaigns, rounds and suggestions, and the suggestion status machine.

The machine follows Ax's trial lifecycle, adapted to a lab::

    suggested ──► queued ──► synthesized ──► labelled
        │           │  ▲          │
        │           ▼  │ (retry)  ▼
        │         failed ◄────────┘
        ├──► abandoned   (from suggested, queued, synthesized, failed: never to be made)
        └──► stale       (from suggested, queued: superseded by a newer round)

``labelled``, ``abandoned`` and ``stale`` are final; ``failed`` may be queued again.
"""

from __future__ import annotations

from enum import StrEnum


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    FINISHED = "finished"


class RoundStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class SuggestionStatus(StrEnum):
    SUGGESTED = "suggested"
    QUEUED = "queued"
    SYNTHESIZED = "synthesized"
    LABELLED = "labelled"
    FAILED = "failed"
    ABANDONED = "abandoned"
    STALE = "stale"


S = SuggestionStatus
TRANSITIONS: dict[SuggestionStatus, tuple[SuggestionStatus, ...]] = {
    S.SUGGESTED: (S.QUEUED, S.ABANDONED, S.STALE),
    S.QUEUED: (S.SYNTHESIZED, S.FAILED, S.ABANDONED, S.STALE),
    S.SYNTHESIZED: (S.LABELLED, S.FAILED, S.ABANDONED),
    S.FAILED: (S.QUEUED, S.ABANDONED),
    S.LABELLED: (),
    S.ABANDONED: (),
    S.STALE: (),
}
"""Allowed next statuses, in the order a person would usually pick them."""

PENDING = frozenset({S.QUEUED, S.SYNTHESIZED})
"""Suggestions in the lab: a strategy treats them as pending points."""

FINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


def allowed_next(status: SuggestionStatus | str) -> tuple[SuggestionStatus, ...]:
    """The statuses a suggestion in ``status`` may move to."""
    return TRANSITIONS[SuggestionStatus(status)]
