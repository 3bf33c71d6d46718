"""Label services of the command line and the web: store, correct, import and read labels,
each returning what the person is shown next.

A command or a page calls one of these and prints or renders the answer; it does not
compose the store's calls itself (the import-linter contracts in ``pyproject.toml``). A
stored label comes back with the suggestions it closed and the alloy's training label
now (:class:`Stored`); an alloy's history with its training label and, for the web, its audit
entries (:class:`LabelHistory`). The audited store services underneath
(:mod:`alloyloop.db.audit`) log every write with its actor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from alloyloop.db.alloys import conflicted_alloys, parse_alloy
from alloyloop.db.audit import (
    add_label_audited,
    audit_entries,
    audited_import,
    import_labels_audited,
    supersede_label_audited,
)
from alloyloop.db.label_import import LabelImportReport, import_labels_csv
from alloyloop.db.labels import LabelInput, labels_for
from alloyloop.db.records import AlloyRecord, AuditRecord, LabelRecord
from alloyloop.db.resolver import Resolution, resolve_alloy
from alloyloop.db.session import Session
from alloyloop.db.suggestion_links import closed_by


def checked(**fields: object) -> LabelInput:
    """The label ``fields`` describe, validated as the store will (InvalidValues: every
    problem at once): call it before copying an evidence file, so a refused label leaves none."""
    return LabelInput.build(**fields)


@dataclass(frozen=True)
class Stored:
    """A stored label, the suggestions it closed ``(campaign, round index, suggestion id)``
    and the alloy's training label now."""

    label: LabelRecord
    closed: list[tuple[str, int, int]]
    resolution: Resolution | None


def _stored(session: Session, label: LabelRecord) -> Stored:
    return Stored(label, closed_by(session, label.id), resolve_alloy(session, label.alloy_key))


def add_label(session: Session, *, actor: str, **fields: object) -> Stored:
    """Store one label (audited as ``actor``)."""
    return _stored(session, add_label_audited(session, actor=actor, **fields))


def correct_label(session: Session, label_id: int, *, actor: str, **changes: object) -> Stored:
    """Supersede a label with a correction (audited); fields not given are taken from it."""
    return _stored(session, supersede_label_audited(session, label_id, actor=actor, **changes))


@dataclass(frozen=True)
class LabelHistory:
    """An alloy's labels (corrections included), oldest first, its training label and,
    when asked for, the audit entries about them."""

    key: str
    labels: list[LabelRecord]
    resolution: Resolution | None = None
    audit: list[AuditRecord] = field(default_factory=list)


def label_history(session: Session, composition: str, *, audit_rows: int = 0) -> LabelHistory:
    """The history of the alloy ``composition`` names, any notation (InvalidValue if none)."""
    found = labels_for(session, composition)
    key = parse_alloy(composition).key
    if not found:
        return LabelHistory(key, found)
    audit = (audit_entries(session, target_type="label", target_ids=[lb.id for lb in found], limit=audit_rows)
             if audit_rows else [])
    return LabelHistory(key, found, resolve_alloy(session, key), audit)


def conflicts(session: Session, limit: int | None = None) -> tuple[int, list[tuple[AlloyRecord, list[LabelRecord]]]]:
    """How many alloys have current labels that disagree, and the first ``limit`` of them with
    those labels."""
    alloys = conflicted_alloys(session)
    shown = alloys if limit is None else alloys[:limit]
    return len(alloys), [(a, labels_for(session, a.key, include_superseded=False)) for a in shown]


def import_labels(session: Session, path: str | Path, *, actor: str, dry_run: bool = False,
                  **defaults: str | None) -> LabelImportReport:
    """Import a label CSV, every row or none (:mod:`alloyloop.db.label_import`; ``defaults``:
    its ``default_*`` arguments); a dry run checks and previews, stores nothing, logs nothing."""
    if dry_run:
        return import_labels_csv(session, path, dry_run=True, **defaults)
    return import_labels_audited(session, path, actor=actor, **defaults)


def import_audited(session: Session, path: str | Path, *, actor: str, dry_run: bool,
                   run_import: Callable[[], LabelImportReport]) -> LabelImportReport:
    """Another importer's run (``run_import``, e.g. CALPHAD results), audited unless a dry run."""
    return run_import() if dry_run else audited_import(session, path, actor, run_import)
