"""Suggestion lifecycle: move suggestions through the status machine, with an audit trail.

The machine itself (statuses, allowed moves) is in :mod:`alloyloop.db.status`. Every change,
creation included, writes a :class:`alloyloop.db.models.SuggestionEvent` row in the same
transaction, so the history of a suggestion is complete and ordered.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alloyloop.db.alloys import lock_alloys
from alloyloop.db.errors import IllegalTransition, InvalidValue, NotFound
from alloyloop.db.labels import LabelInput, insert_labels
from alloyloop.db.models import Alloy, Suggestion, SuggestionEvent
from alloyloop.db.records import LabelRecord, SuggestionEventRecord, SuggestionRecord
from alloyloop.db.status import FINAL, OPEN, PENDING, TRANSITIONS, SuggestionStatus, allowed_next
from alloyloop.db.suggestion_links import entered_as
from alloyloop.db.suggestion_moves import move
from alloyloop.db.tx import run_write

__all__ = [
    "FINAL", "OPEN", "PENDING", "TRANSITIONS", "SuggestionStatus", "allowed_next", "counts_by_status",
    "get_suggestion", "history",
    "label_suggestion", "mark_stale", "parse_status", "transition",
]


def parse_status(value: object) -> SuggestionStatus:
    """A suggestion status from its name (any case)."""
    try:
        return SuggestionStatus(str(value).strip().lower())
    except ValueError:
        raise InvalidValue("status", value, allowed=[s.value for s in SuggestionStatus]) from None


def _suggestion(session: Session, suggestion_id: int, *, lock: bool) -> Suggestion:
    stmt = select(Suggestion).where(Suggestion.id == suggestion_id)
    if lock:  # two clerks moving one suggestion: the second waits, then reads the row afresh
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no suggestion with id {suggestion_id}: list a round's suggestions first")
    return row


def _record(session: Session, row: Suggestion) -> SuggestionRecord:
    key = session.execute(select(Alloy.key).where(Alloy.id == row.alloy_id)).scalar_one()
    return SuggestionRecord.from_row(row, alloy_key=key)


def get_suggestion(session: Session, suggestion_id: int) -> SuggestionRecord:
    """One suggestion by id.

    Raises:
        NotFound: no such suggestion.
    """
    return _record(session, _suggestion(session, suggestion_id, lock=False))


def transition(
    session: Session,
    suggestion_id: int,
    to: SuggestionStatus | str,
    *,
    by: str | None = None,
    note: str | None = None,
    label_id: int | None = None,
) -> SuggestionRecord:
    """Move a suggestion to status ``to`` and record the change.

    Raises:
        InvalidValue: ``to`` is not a status, or ``labelled`` without a fitting label.
        IllegalTransition: the move is not allowed from the current status (the
            message names the current status and the allowed next ones).
        NotFound: no such suggestion.
    """
    target = parse_status(to)

    def work() -> SuggestionRecord:
        row = _suggestion(session, suggestion_id, lock=True)
        move(session, row, target, by=by, note=note, label_id=label_id)
        return _record(session, row)

    return run_write(session, work)


def label_suggestion(
    session: Session, suggestion_id: int, **label_fields: object
) -> tuple[SuggestionRecord, LabelRecord]:
    """Store the lab's label for an open suggestion, which it closes, atomically.

    ``label_fields`` are those of :func:`alloyloop.db.labels.add_label` without ``composition``
    (the suggested alloy is used). The label is stored like any other: it closes this
    suggestion and every other open suggestion of the alloy
    (:mod:`alloyloop.db.suggestion_links`, which records the moves: through ``synthesized``
    for an experiment label, straight to ``labelled`` for a computed or copied one).

    Raises:
        IllegalTransition: the suggestion is not open (labelled, abandoned or stale);
            nothing is stored.
    """

    def work() -> tuple[SuggestionRecord, LabelRecord]:
        # the alloy first, then the suggestion: the lock order of every label write
        # (insert_labels locks the alloy, then closes its suggestions), so no deadlock
        alloy = session.execute(select(Suggestion.alloy_id).where(Suggestion.id == suggestion_id)).scalar()
        lock_alloys(session, [] if alloy is None else [alloy])  # (a column read: no stale row cached)
        row = _suggestion(session, suggestion_id, lock=True)
        current = SuggestionStatus(row.status)
        if current not in OPEN:  # check before storing a label
            raise IllegalTransition(row.id, current.value, SuggestionStatus.LABELLED.value,
                                    [s.value for s in allowed_next(current)])
        key = session.execute(select(Alloy.key).where(Alloy.id == row.alloy_id)).scalar_one()
        with entered_as(session, f"entered for suggestion #{row.id}"):
            label = insert_labels(session, [LabelInput.build(composition=key, **label_fields)])[0]
        if row.label_id != label.id:
            raise InvalidValue("external_id", label.external_id,
                               fix=f"a replayed label closes suggestions of its own campaign only: "
                                   f"suggestion {row.id} is not one of them")
        return _record(session, row), label

    return run_write(session, work)


def mark_stale(session: Session, round_id: int, *, by: str | None = None,
               note: str | None = "a newer round was started") -> list[SuggestionRecord]:
    """Mark every still-``suggested`` suggestion of a round ``stale`` (queued ones stay)."""

    def work() -> list[SuggestionRecord]:
        rows = session.execute(
            select(Suggestion).where(Suggestion.round_id == round_id,
                                     Suggestion.status == SuggestionStatus.SUGGESTED.value)
            .order_by(Suggestion.id).with_for_update()
        ).scalars().all()
        for row in rows:
            move(session, row, SuggestionStatus.STALE, by=by, note=note)
        return [_record(session, r) for r in rows]

    return run_write(session, work)


def history(session: Session, suggestion_id: int) -> list[SuggestionEventRecord]:
    """Every status change of a suggestion, oldest first (creation is the first)."""
    _suggestion(session, suggestion_id, lock=False)
    rows = session.execute(
        select(SuggestionEvent).where(SuggestionEvent.suggestion_id == suggestion_id)
        .order_by(SuggestionEvent.at, SuggestionEvent.id)
    ).scalars()
    return [SuggestionEventRecord.from_row(r) for r in rows]


def counts_by_status(session: Session) -> dict[str, int]:
    """Number of suggestions in each status (every status listed, zeros included)."""
    found = dict(session.execute(select(Suggestion.status, func.count()).group_by(Suggestion.status)).tuples().all())
    return {s.value: int(found.get(s.value, 0)) for s in SuggestionStatus}
