"""The audit log: who changed what, when, with a before/after summary.

Every audited change and its log entry are one transaction: the functions here run the
existing services (:mod:`alloyloop.db.labels`, :mod:`alloyloop.db.lifecycle`, :mod:`alloyloop.db.label_import`) inside a
unit of work of their own (:func:`alloyloop.db.tx.run_write` calls nest), add the entry, and commit
both or neither. The suggestions' own status history (:class:`alloyloop.db.models.SuggestionEvent`)
is kept as before; the audit log adds the labels, imports and accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alloyloop.db.alloys import CHUNK
from alloyloop.db.label_import import LabelImportReport, import_labels_csv
from alloyloop.db.labels import add_label, get_label, supersede_label
from alloyloop.db.lifecycle import label_suggestion, transition
from alloyloop.db.models import Alloy, AuditEntry, Label, SuggestionEvent
from alloyloop.db.records import AuditRecord, LabelRecord, SuggestionRecord
from alloyloop.db.status import SuggestionStatus
from alloyloop.db.suggestion_links import entered_as
from alloyloop.db.tx import run_write

MAX_ACTOR = 120


class AuditAction(StrEnum):
    LABEL_ADD = "label.add"
    LABEL_SUPERSEDE = "label.supersede"
    LABEL_IMPORT = "label.import"
    SUGGESTION_STATUS = "suggestion.status"
    USER_ADD = "user.add"
    USER_CHANGE = "user.change"
    LOGIN = "user.login"
    LOGIN_FAILED = "user.login_failed"


def _entry(actor: str, action: AuditAction, target_type: str, target_id: int | None,
           before: dict[str, Any] | None, after: dict[str, Any] | None, note: str | None) -> AuditEntry:
    return AuditEntry(actor=actor[:MAX_ACTOR], action=action.value, target_type=target_type,
                      target_id=target_id, before=before, after=after, note=note)


def record_entry(
    session: Session,
    *,
    actor: str,
    action: AuditAction,
    target_type: str,
    target_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    """Add an entry to the current unit of work (call it inside :func:`alloyloop.db.tx.run_write`)."""
    session.add(_entry(actor, action, target_type, target_id, before, after, note))
    session.flush()


def log_login(session: Session, *, name: str, user_id: int | None, ok: bool, note: str) -> None:
    """Log a login (``user.login``) or a failed or refused one (``user.login_failed``);
    ``name`` is the name given, which need not exist."""
    action = AuditAction.LOGIN if ok else AuditAction.LOGIN_FAILED
    shown = "".join(ch if ch.isprintable() else "?" for ch in name)  # no NUL reaches PostgreSQL
    run_write(session, lambda: record_entry(session, actor=shown or "(no name)", action=action,
                                            target_type="user", target_id=user_id, note=note))


def label_summary(label: LabelRecord) -> dict[str, Any]:
    """What a label says, for the log (its id is the entry's target)."""
    state = label.processing_state
    return {"alloy": label.alloy_key, "outcome": label.outcome, "phases": list(label.phases),
            "source": label.source, "method": label.method,
            "processing": str(state) if state is not None else None,
            "entered_by": label.entered_by, "evidence_uri": label.evidence_uri, "note": label.note}


def add_label_audited(session: Session, *, actor: str, **fields: object) -> LabelRecord:
    """:func:`alloyloop.db.labels.add_label`, logged as ``label.add``."""

    def work() -> LabelRecord:
        mark = _last_event(session)
        label = add_label(session, **fields)
        record_entry(session, actor=actor, action=AuditAction.LABEL_ADD, target_type="label",
                     target_id=label.id, after=label_summary(label))
        _log_moves_since(session, mark, actor)
        return label

    return run_write(session, work)


def supersede_label_audited(session: Session, label_id: int, *, actor: str,
                            **changes: object) -> LabelRecord:
    """:func:`alloyloop.db.labels.supersede_label`, logged as ``label.supersede`` on the old label."""

    def work() -> LabelRecord:
        mark = _last_event(session)
        new = supersede_label(session, label_id, **changes)
        old = get_label(session, label_id)
        record_entry(session, actor=actor, action=AuditAction.LABEL_SUPERSEDE, target_type="label",
                     target_id=label_id, before=label_summary(old) | {"id": old.id},
                     after=label_summary(new) | {"id": new.id}, note=new.note)
        _log_moves_since(session, mark, actor)
        return new

    return run_write(session, work)


def _log_move(session: Session, suggestion_id: int, actor: str) -> None:
    """Log the suggestion's newest status change (its SuggestionEvent knows from and to)."""
    event = session.execute(
        select(SuggestionEvent).where(SuggestionEvent.suggestion_id == suggestion_id)
        .order_by(SuggestionEvent.id.desc()).limit(1)).scalar_one()
    record_entry(session, actor=actor, action=AuditAction.SUGGESTION_STATUS, target_type="suggestion",
                 target_id=suggestion_id, before={"status": event.from_status},
                 after={"status": event.to_status}, note=event.note)


def transition_audited(session: Session, suggestion_id: int, to: SuggestionStatus | str, *,
                       actor: str, note: str | None = None) -> SuggestionRecord:
    """:func:`alloyloop.db.lifecycle.transition` (by ``actor``), logged as ``suggestion.status``."""

    def work() -> SuggestionRecord:
        moved = transition(session, suggestion_id, to, by=actor, note=note)
        _log_move(session, suggestion_id, actor)
        return moved

    return run_write(session, work)


def label_suggestion_audited(
    session: Session, suggestion_id: int, *, actor: str, **label_fields: object
) -> tuple[SuggestionRecord, LabelRecord]:
    """:func:`alloyloop.db.lifecycle.label_suggestion`, logged (``label.add`` and every status
    change the label caused, this suggestion's and those of other open suggestions of the
    alloy)."""

    def work() -> tuple[SuggestionRecord, LabelRecord]:
        mark = _last_event(session)
        suggestion, label = label_suggestion(session, suggestion_id, **label_fields)
        _log_moves_since(session, mark, actor)
        record_entry(session, actor=actor, action=AuditAction.LABEL_ADD, target_type="label",
                     target_id=label.id, after=label_summary(label) | {"suggestion": suggestion_id})
        return suggestion, label

    return run_write(session, work)


def _last_event(session: Session) -> int:
    return session.execute(select(func.max(SuggestionEvent.id))).scalar_one() or 0


def _log_moves_since(session: Session, mark: int, actor: str) -> None:
    """Log the status changes written after event ``mark`` (a stored label closes the open
    suggestions of its alloy, :mod:`alloyloop.db.suggestion_links`)."""
    events = session.execute(select(SuggestionEvent).where(SuggestionEvent.id > mark)
                             .order_by(SuggestionEvent.id)).scalars().all()
    session.add_all([_entry(actor, AuditAction.SUGGESTION_STATUS, "suggestion", e.suggestion_id,
                            {"status": e.from_status}, {"status": e.to_status}, e.note) for e in events])
    session.flush()


def import_labels_audited(session: Session, path: str | Path, *, actor: str,
                          shown_name: str | None = None, **defaults: str | None
                          ) -> LabelImportReport:
    """:func:`alloyloop.db.label_import.import_labels_csv` (not a dry run; ``defaults``: its
    ``default_*`` arguments), with one ``label.import`` entry per stored label, naming the
    file as ``shown_name`` (the uploaded file's own name); nothing is logged when the import
    stores nothing."""

    return audited_import(session, path, actor, lambda: import_labels_csv(session, path, **defaults),
                          shown_name=shown_name)


def audited_import(session: Session, path: str | Path, actor: str,
                   run_import: Callable[[], LabelImportReport], *, shown_name: str | None = None
                   ) -> LabelImportReport:
    """Run a CSV import (``run_import``, not a dry run) and log one ``label.import`` entry
    per stored label, in one transaction; nothing is logged when it stores nothing.
    ``shown_name``: the file's name as its owner knows it (the web app stores uploads
    under their SHA-256)."""

    def work() -> LabelImportReport:
        mark = _last_event(session)
        with entered_as(session, f"imported from {shown_name or Path(path).name}"):
            report = run_import()
        if report.stored:
            rows = {r.label_id: r.row for r in report.preview if r.label_id is not None}
            note = f"imported from {shown_name or Path(path).name}"
            session.add_all([_entry(actor, AuditAction.LABEL_IMPORT, "label", label.id, None,
                                    label_summary(label) | {"csv_row": rows[label.id]}, note)
                             for label in _labels(session, list(rows))])
            session.flush()
            _log_moves_since(session, mark, actor)
        return report

    return run_write(session, work)


def _labels(session: Session, ids: list[int]) -> list[LabelRecord]:
    """Labels by id, a chunk of ids per query (an import may store thousands)."""
    out: list[LabelRecord] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        stmt = (select(Label, Alloy.key).join(Alloy, Alloy.id == Label.alloy_id)
                .where(Label.id.in_(chunk)).order_by(Label.id))
        out.extend(LabelRecord.from_row(row, alloy_key=key) for row, key in session.execute(stmt).tuples())
    return out


def audit_entries(
    session: Session,
    *,
    target_type: str | None = None,
    target_ids: Collection[int] | None = None,
    actor: str | None = None,
    limit: int = 100,
) -> list[AuditRecord]:
    """Entries, newest first, optionally about some targets (of one type) or by one actor."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if target_type is not None:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    if target_ids is not None:
        stmt = stmt.where(AuditEntry.target_id.in_(sorted(set(target_ids))))
    if actor is not None:
        stmt = stmt.where(AuditEntry.actor == actor)
    return [AuditRecord.from_row(r) for r in session.execute(stmt).scalars()]
