"""What the label pages and the API read: one label, an alloy's history, the filtered list,
the conflicting labels, the audit log.

The page and API handlers call these and never the store's modules, so a read means the
same wherever it is shown (the import-linter contract "web handlers call services" in
``pyproject.toml`` keeps it so); writes are :mod:`alloyloop.web.services`.
"""

from __future__ import annotations

from alloyloop.agent.label_services import LabelHistory
from alloyloop.agent.label_services import conflicts as conflicted
from alloyloop.agent.label_services import label_history as history_of
from alloyloop.db.audit import audit_entries
from alloyloop.db.campaigns import list_campaigns
from alloyloop.db.label_list import PAGE_SIZES, LabelPage, search_labels
from alloyloop.db.labels import get_label, labels_for, recent_labels
from alloyloop.db.records import AuditRecord, LabelRecord
from alloyloop.db.session import Session
from alloyloop.db.vocab import Method, Outcome, Source
from alloyloop.web.conflict_view import Comparison, compare
from alloyloop.web.label_search import parse_query

CONFLICTS_SHOWN = 50
"""Alloys on the conflicts page (the count above says how many there are)."""

HISTORY_AUDIT_ROWS = 200
"""Audit entries shown under an alloy's label history."""


def label(session: Session, label_id: int) -> LabelRecord:
    """One label (NotFound if there is none)."""
    return get_label(session, label_id)


def labels(session: Session, composition: str | None, *, limit: int = 100) -> list[LabelRecord]:
    """An alloy's labels, oldest first (any notation), or the newest ``limit`` labels."""
    return recent_labels(session, limit=limit) if composition is None else labels_for(session, composition)


def label_history(session: Session, composition: str) -> LabelHistory:
    """The history of the alloy ``composition`` names, with its audit entries (InvalidValue if it is no alloy)."""
    return history_of(session, composition, audit_rows=HISTORY_AUDIT_ROWS)


def label_listing(session: Session, raw: dict[str, str | None]) -> LabelPage:
    """One page of the label list the query string ``raw`` asks for (InvalidValues: every bad parameter)."""
    return search_labels(session, parse_query(raw))


def filter_choices(session: Session) -> dict[str, list[str]]:
    """The values each filter of the label list offers."""
    return {"campaign": [c.name for c in list_campaigns(session)], "source": [s.value for s in Source],
            "outcome": [o.value for o in Outcome], "method": [m.value for m in Method],
            "per_page": [str(n) for n in PAGE_SIZES]}


def audit_log(session: Session, *, target_type: str | None = None, target_id: int | None = None,
              limit: int = 100) -> list[AuditRecord]:
    """The audit log, newest first, optionally about one target."""
    ids = None if target_id is None else [target_id]
    return audit_entries(session, target_type=target_type, target_ids=ids, limit=limit)


def comparison(labels: list[LabelRecord]) -> Comparison | None:
    """An alloy's current labels grouped by outcome, with its training label (None: none current)."""
    return compare(labels)


def conflict_list(session: Session, limit: int = CONFLICTS_SHOWN) -> tuple[int, list[Comparison]]:
    """How many alloys have current labels that disagree, and the first ``limit`` compared."""
    total, shown = conflicted(session, limit)
    found = (compare(labels) for _, labels in shown)
    return total, [c for c in found if c is not None]
