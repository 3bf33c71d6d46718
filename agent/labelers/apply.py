"""Store a labeler's results: move each suggestion through its lifecycle and file its label.

For a result with an outcome: ``suggested → queued``, then the label
(:func:`alloyloop.db.lifecycle.label_suggestion`), which closes the suggestion in its own
transaction: ``queued → labelled`` for a computed (calphad) or replayed (literature) label,
which was never made in the lab, ``queued → synthesized → labelled`` for an experiment
label. Without an outcome: ``… → queued → failed``. Each move is its own transaction and
every step starts from the suggestion's current status (read again for each result: a
label stored meanwhile for the same alloy, by any route, may have closed it), so a crash
half-way is finished by running this again: no label is stored twice and none is lost.
A labeler's label answers its own suggestion (guarded by the lifecycle and the external
id), so it is stored as a repeat (:mod:`alloyloop.db.duplicates`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alloyloop.agent.labelers import LabelResult
from alloyloop.db.campaigns import list_suggestions
from alloyloop.db.lifecycle import get_suggestion, label_suggestion, transition
from alloyloop.db.session import Session
from alloyloop.db.status import SuggestionStatus as S


@dataclass(frozen=True)
class Applied:
    """What :func:`apply_labels` left behind: suggestions labelled and failed (this run or a
    previous one)."""

    labelled: int
    failed: int


def apply_labels(session: Session, round_id: int, results: Sequence[LabelResult], *,
                 by: str) -> Applied:
    """Apply ``results`` to suggestions of round ``round_id`` (others are refused)."""
    ours = {s.id for s in list_suggestions(session, round_id=round_id)}
    labelled = failed = 0
    for result in results:
        if result.suggestion_id not in ours:
            raise ValueError(f"suggestion {result.suggestion_id} is not in round {round_id}: "
                             "label the round's own suggestions")
        record = get_suggestion(session, result.suggestion_id)
        status = S(record.status)
        if status in (S.LABELLED, S.FAILED, S.ABANDONED, S.STALE):
            labelled += status is S.LABELLED
            failed += status is S.FAILED
            continue  # already settled (a rerun)
        if status is S.SUGGESTED:
            transition(session, record.id, S.QUEUED, by=by, note="sent to the labeler")
        if result.outcome is None:
            transition(session, record.id, S.FAILED, by=by, note=result.note)
            failed += 1
            continue
        label_suggestion(session, record.id, outcome=result.outcome, phases=list(result.phases),
                         source=result.source, method=result.method, entered_by=by,
                         provenance=result.provenance, note=result.note,
                         external_id=result.external_id, repeat=True)
        labelled += 1
    return Applied(labelled=labelled, failed=failed)
