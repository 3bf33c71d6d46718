"""The label list of the web app's ``/labels``: filters, sorting and paging done by the database.

One query for the page (``LIMIT``/``OFFSET``) and one ``COUNT`` for the total, both with
the same filters, so a store of 100k labels costs the same as one of 100 per page
(``benchmarks/label_page.py`` measures it). Sorting by date uses the label id: ids grow
with entry time, and the primary key needs no index of its own. The web reads a
:class:`LabelQuery` from the page's query string (:mod:`alloyloop.web.label_search`) and links
back to it with :meth:`LabelQuery.params`, so one value object is both the query and its URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from alloyloop.db.current_labels import label_chains
from alloyloop.db.models import Alloy, Campaign, Label, Round, Suggestion
from alloyloop.db.records import LabelRecord

SORTS = {
    "entered": Label.id, "alloy": Alloy.key, "outcome": Label.outcome, "source": Label.source,
    "method": Label.method, "by": Label.entered_by,
}
SORT_KEYS = tuple(SORTS)
PAGE_SIZES = (25, 50, 100, 200)
STATES = ("all", "current", "superseded")


@dataclass(frozen=True)
class LabelQuery:
    """What the label list shows: filters (None = any), sort column and direction, page."""

    campaign: str | None = None
    source: str | None = None
    outcome: str | None = None
    method: str | None = None
    by: str | None = None
    since: date | None = None
    until: date | None = None
    state: str = "all"
    sort: str = "entered"
    desc: bool = True
    page: int = 1
    per_page: int = 50

    def params(self, **changes: Any) -> str:
        """The query string of this list with some settings changed (for links)."""
        q = replace(self, **changes)
        items = {"campaign": q.campaign, "source": q.source, "outcome": q.outcome, "method": q.method,
                 "by": q.by, "since": q.since, "until": q.until,
                 "state": None if q.state == "all" else q.state,
                 "sort": None if q.sort == "entered" else q.sort, "dir": "desc" if q.desc else "asc",
                 "page": None if q.page == 1 else q.page, "per_page": None if q.per_page == 50 else q.per_page}
        return urlencode({k: str(v) for k, v in items.items() if v not in (None, "")})

    def sort_link(self, column: str) -> str:
        """Sort by ``column`` (again: the other direction), back to page 1."""
        desc = not self.desc if column == self.sort else column == "entered"
        return self.params(sort=column, desc=desc, page=1)


def _utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def campaign_label_ids(session: Session, campaign: str) -> list[int]:
    """The labels of a campaign's suggestions: each label that closed one and every
    correction of it (:func:`alloyloop.db.current_labels.label_chains`), so the
    ``current`` state shows what the suggestions' hits count."""
    closing = session.execute(
        select(Suggestion.label_id).join(Round, Round.id == Suggestion.round_id)
        .join(Campaign, Campaign.id == Round.campaign_id)
        .where(Campaign.name == campaign, Suggestion.label_id.is_not(None))).scalars()
    return sorted({i for chain in label_chains(session, closing).values() for i in chain})


def _filtered(stmt: Select, q: LabelQuery, campaign_ids: list[int] | None) -> Select:
    if campaign_ids is not None:
        stmt = stmt.where(Label.id.in_(campaign_ids))
    for column, value in ((Label.source, q.source), (Label.outcome, q.outcome), (Label.method, q.method),
                          (Label.entered_by, q.by)):
        if value is not None:
            stmt = stmt.where(column == value)
    if q.since is not None:
        stmt = stmt.where(Label.created_at >= _utc(q.since))
    if q.until is not None:
        stmt = stmt.where(Label.created_at < _utc(q.until + timedelta(days=1)))
    if q.state == "current":
        stmt = stmt.where(Label.superseded_by.is_(None))
    elif q.state == "superseded":
        stmt = stmt.where(Label.superseded_by.is_not(None))
    return stmt


@dataclass(frozen=True)
class LabelPage:
    query: LabelQuery
    labels: list[LabelRecord]
    total: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, -(-self.total // self.query.per_page)))

    @property
    def first(self) -> int:
        return 0 if not self.labels else (self.query.page - 1) * self.query.per_page + 1

    @property
    def last(self) -> int:
        return self.first + len(self.labels) - 1 if self.labels else 0


def search_labels(session: Session, q: LabelQuery) -> LabelPage:
    """One page of the labels matching ``q``, and how many match in all."""
    order = SORTS[q.sort].desc() if q.desc else SORTS[q.sort].asc()
    tie = Label.id.desc() if q.desc else Label.id.asc()
    ids_of = None if q.campaign is None else campaign_label_ids(session, q.campaign)
    joined = select(Label, Alloy.key).join(Alloy, Alloy.id == Label.alloy_id)
    if q.sort == "alloy":
        stmt = _filtered(joined, q, ids_of).order_by(order, tie).limit(q.per_page).offset((q.page - 1) * q.per_page)
    else:
        # page through label ids alone (the primary key), then join the page's 50 rows:
        # a deep OFFSET skips index entries, not joined rows
        ids = (_filtered(select(Label.id), q, ids_of).order_by(order, tie)
               .limit(q.per_page).offset((q.page - 1) * q.per_page))
        stmt = joined.where(Label.id.in_(ids)).order_by(order, tie)
    rows = [LabelRecord.from_row(row, alloy_key=key) for row, key in session.execute(stmt).tuples()]
    count = _filtered(select(func.count(Label.id)), q, ids_of)
    return LabelPage(q, rows, session.execute(count).scalar_one())
