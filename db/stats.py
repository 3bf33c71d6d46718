"""What is in the store: counts for ``alloyloop db info`` and dashboards."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alloyloop.db.lifecycle import counts_by_status
from alloyloop.db.models import TABLES, Alloy, Label


@dataclass(frozen=True)
class StoreCounts:
    rows: dict[str, int]
    """Rows per table."""
    labels_by_source: dict[str, int]
    """Current (not superseded) labels per source."""
    superseded_labels: int
    conflicted_alloys: int
    suggestions_by_status: dict[str, int]


def store_counts(session: Session) -> StoreCounts:
    rows = {t.__tablename__: session.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}
    by_source = dict(session.execute(
        select(Label.source, func.count()).where(Label.superseded_by.is_(None))
        .group_by(Label.source).order_by(Label.source)).tuples().all())
    superseded = session.execute(
        select(func.count()).select_from(Label).where(Label.superseded_by.is_not(None))).scalar_one()
    conflicted = session.execute(
        select(func.count()).select_from(Alloy).where(Alloy.has_conflict.is_(True))).scalar_one()
    return StoreCounts(rows=rows, labels_by_source=by_source, superseded_labels=superseded,
                       conflicted_alloys=conflicted, suggestions_by_status=counts_by_status(session))
