"""Read-only selections of labels that the agent's trigger and round report need.

Each is one query whose answer is plain values (:class:`alloyloop.db.records.LabelRecord`,
tuples), so the agent decides with them without composing SQL of its own (the import-linter
contract in ``pyproject.toml`` keeps the ORM inside ``alloyloop.db``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alloyloop.db.models import Alloy, Label
from alloyloop.db.records import LabelRecord


def labels_entered_since(session: Session, since: datetime) -> list[tuple[str | None, str]]:
    """(external id, alloy elements ``Co-Cr-Fe``) of every label stored after ``since``,
    superseded or not: the label-count trigger counts arrivals."""
    rows = session.execute(
        select(Label.external_id, Alloy.elements).join(Alloy, Alloy.id == Label.alloy_id)
        .where(Label.created_at > since)).tuples()
    return list(rows)


def current_labels_of_sources(session: Session, sources: Sequence[str]
                              ) -> list[tuple[LabelRecord, str]]:
    """(label, alloy elements) of every current (not superseded) label of ``sources``,
    by alloy key, then label id."""
    rows = session.execute(
        select(Label, Alloy.key, Alloy.elements).join(Alloy, Alloy.id == Label.alloy_id)
        .where(Label.superseded_by.is_(None), Label.source.in_(list(sources)))
        .order_by(Alloy.key, Label.id)).tuples()
    return [(LabelRecord.from_row(row, alloy_key=key), elements) for row, key, elements in rows]


def current_labels_with_provenance(session: Session, method: str, since: datetime | None = None
                                   ) -> list[LabelRecord]:
    """Current labels of ``method`` that carry a provenance, entered after ``since`` (when
    given), newest first."""
    stmt = (select(Label, Alloy.key).join(Alloy, Alloy.id == Label.alloy_id)
            .where(Label.superseded_by.is_(None), Label.method == method, Label.provenance.is_not(None))
            .order_by(Label.created_at.desc(), Label.id.desc()))
    if since is not None:
        stmt = stmt.where(Label.created_at > since)
    return [LabelRecord.from_row(row, alloy_key=key) for row, key in session.execute(stmt).tuples()]


def all_label_ids(session: Session) -> list[int]:
    """Every stored label's id, oldest first (an export of the whole store)."""
    return list(session.execute(select(Label.id).order_by(Label.id)).scalars())


def labels_stamp(session: Session) -> tuple[int, int, int]:
    """(labels, largest id, superseded labels): it changes whenever a label is added or
    superseded, so a reader can keep what it derived from the labels until then (labels
    are never edited in place or deleted)."""
    from sqlalchemy import func

    row = session.execute(select(func.count(Label.id), func.max(Label.id),
                                 func.count(Label.superseded_by))).one()
    return int(row[0]), int(row[1] or 0), int(row[2])
