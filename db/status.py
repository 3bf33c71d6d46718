"""Statuses of campaigns, rounds and suggestions, and the suggestion status machine.

The machine follows Ax's trial lifecycle, adapted to a lab::

    suggested ──► queued ──► synthesized ──► labelled
        │           │  ▲          │
        │           ▼  │ (retry)  ▼
        │         failed ◄────────┘
        ├──► abandoned   (from suggested, queued, synthesized, failed: never to be made)
        └──► stale       (from suggested, queued: superseded by a newer round)

``labelled``, ``abandoned`` and ``stale`` are final; ``failed`` may be queued again.

``labelled`` comes only with a label of the suggested alloy, and any label stored for the
alloy closes every :data:`OPEN` suggestion of it (:mod:`alloyloop.db.suggestion_links`):

- an **experiment** label means the alloy was made: the suggestion passes through
  :data:`MADE` (its moves recorded, each citing the label) and ends ``synthesized →
  labelled``;
- a **calphad / literature** label was computed or copied, not made in the lab: the
  suggestion moves straight to ``labelled`` from any open status, and no ``synthesized``
  is recorded.
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
    S.SUGGESTED: (S.QUEUED, S.ABANDONED, S.STALE, S.LABELLED),
    S.QUEUED: (S.SYNTHESIZED, S.FAILED, S.ABANDONED, S.STALE, S.LABELLED),
    S.SYNTHESIZED: (S.LABELLED, S.FAILED, S.ABANDONED),
    S.FAILED: (S.QUEUED, S.ABANDONED, S.LABELLED),
    S.LABELLED: (),
    S.ABANDONED: (),
    S.STALE: (),
}
"""Allowed next statuses, in the order a person would usually pick them (``labelled`` from
anything but ``synthesized`` needs a label that was not made in the lab, see above)."""

OPEN = frozenset({S.SUGGESTED, S.QUEUED, S.SYNTHESIZED, S.FAILED})
"""Suggestions still waiting for an answer: a label stored for their alloy closes them.
(``stale`` and ``abandoned`` ones stay as they are: nobody is waiting for them.)"""

TO_LABEL = OPEN - {S.FAILED}
"""Open suggestions a labeler (replay, CALPHAD) is given: not the ones the lab gave up on."""

MADE: dict[SuggestionStatus, tuple[SuggestionStatus, ...]] = {
    S.SUGGESTED: (S.QUEUED, S.SYNTHESIZED),
    S.QUEUED: (S.SYNTHESIZED,),
    S.FAILED: (S.QUEUED, S.SYNTHESIZED),
    S.SYNTHESIZED: (),
}
"""The moves an experiment label implies from each open status: the sample was made."""

PENDING = frozenset({S.QUEUED, S.SYNTHESIZED})
"""Suggestions in the lab: a strategy treats them as pending points."""

FINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


def allowed_next(status: SuggestionStatus | str) -> tuple[SuggestionStatus, ...]:
    """The statuses a suggestion in ``status`` may move to."""
    return TRANSITIONS[SuggestionStatus(status)]
