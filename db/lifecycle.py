"""Suggestion lifecycle: move suggestions through the status machine, with an audit trail.

The machine itself (statuses, allowed moves) is in :mod:`alloyloop.db.status`. Every change,
creation included, writes a :class:`alloyloop.db.models.SuggestionEvent` row in the same
transaction, so the history of a suggestion is complete and ordered.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alloyloop.db.errors import IllegalTransition, InvalidValue, NotFound
from alloyloop.db.labels import LabelInput, insert_labels
from alloyloop.db.models import Alloy, Label, Suggestion, SuggestionEvent
from alloyloop.db.records import LabelRecord, SuggestionEventRecord, SuggestionRecord
from alloyloop.db.status import FINAL, PENDING, TRANSITIONS, SuggestionStatus, allowed_next
from alloyloop.db.tx import run_write
from alloyloop.db.types import utcnow

__all__ = [
    "FINAL", "PENDING", "TRANSITIONS", "SuggestionStatus", "allowed_next", "counts_by_status",
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
    if lock:
        stmt = stmt.with_for_update()  # two clerks moving one suggestion: the second waits
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


def _move(
    session: Session,
    row: Suggestion,
    to: SuggestionStatus,
    by: str | None,
    note: str | None,
    label_id: int | None,
) -> None:
    current = SuggestionStatus(row.status)
    if to not in TRANSITIONS[current]:
        raise IllegalTransition(row.id, current.value, to.value, [s.value for s in allowed_next(current)])
    if to is SuggestionStatus.LABELLED:
        if label_id is None:
            raise InvalidValue(
                "label_id", None,
                fix="a labelled suggestion cites its label: pass label_id, or use label_suggestion()",
            )
        label = session.get(Label, label_id)
        if label is None or label.alloy_id != row.alloy_id:
            raise InvalidValue("label_id", label_id,
                               fix=f"give the id of a label of the suggested alloy (alloy {row.alloy_id})")
        row.label_id = label_id
    now = utcnow()
    row.status = to.value
    row.updated_at = now
    session.add(SuggestionEvent(suggestion_id=row.id, from_status=current.value, to_status=to.value,
                                at=now, by=by, note=note))
    session.flush()


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
        _move(session, row, target, by, note, label_id)
        return _record(session, row)

    return run_write(session, work)


def label_suggestion(
    session: Session, suggestion_id: int, **label_fields: object
) -> tuple[SuggestionRecord, LabelRecord]:
    """Store the lab's label for a synthesized suggestion and mark it ``labelled``, atomically.

    ``label_fields`` are those of :func:`alloyloop.db.labels.add_label` without ``composition``
    (the suggested alloy is used).
    """

    def work() -> tuple[SuggestionRecord, LabelRecord]:
        row = _suggestion(session, suggestion_id, lock=True)
        current = SuggestionStatus(row.status)
        if SuggestionStatus.LABELLED not in TRANSITIONS[current]:  # check before storing a label
            raise IllegalTransition(row.id, current.value, SuggestionStatus.LABELLED.value,
                                    [s.value for s in allowed_next(current)])
        key = session.execute(select(Alloy.key).where(Alloy.id == row.alloy_id)).scalar_one()
        label = insert_labels(session, [LabelInput.build(composition=key, **label_fields)])[0]
        _move(session, row, SuggestionStatus.LABELLED, label.entered_by, label.note, label.id)
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
            _move(session, row, SuggestionStatus.STALE, by, note, None)
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
