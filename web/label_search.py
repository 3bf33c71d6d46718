"""The label list of ``/labels``: filters, sorting and paging done by the database.

One query for the page (``LIMIT``/``OFFSET``) and one ``COUNT`` for the total, both with
the same filters, so a store of 100k labels costs the same as one of 100 per page
(``benchmarks/label_page.py`` measures it). Sorting by date uses the label id: ids grow
with entry time, and the primary key needs no index of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from alloyloop.db.current_labels import label_chains
from alloyloop.db.errors import InvalidValue
from alloyloop.db.models import Alloy, Campaign, Label, Round, Suggestion
from alloyloop.db.records import LabelRecord
from alloyloop.db.vocab import Method, Outcome, Source
from alloyloop.web.inputs import raise_all

SORTS = {
    "entered": Label.id, "alloy": Alloy.key, "outcome": Label.outcome, "source": Label.source,
    "method": Label.method, "by": Label.entered_by,
}
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


def _choice(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value in (None, ""):
        return None
    if value not in allowed:
        raise InvalidValue(name, value, fix=f"choose one of {', '.join(allowed)}")
    return value


def _day(name: str, value: str | None) -> date | None:
    if value in (None, ""):
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)  # fromisoformat also takes 20261130 and week dates
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValue(name, value, fix="give a real date as YYYY-MM-DD, e.g. 2026-11-30") from None


DATE_ALIASES = {"from": "since", "to": "until"}
"""The page labels its date fields From and To: ``?from=`` and ``?to=`` mean since and until."""
PAGE_KEYS = frozenset({"composition", "done", "id"})
"""Parameters of the page that are not filters of the list."""
FILTERS = ("campaign", "source", "outcome", "method", "by", "since", "until", "state", "sort", "dir", "page",
           "per_page")


def _known(raw: dict[str, str | None]) -> tuple[dict[str, str | None], dict[str, str], list[InvalidValue]]:
    """The filters with ``from``/``to`` read as since/until, the name each was given as, and
    an error for every parameter the list does not know (silently ignoring one would show
    every label)."""
    out: dict[str, str | None] = {}
    typed: dict[str, str] = {}
    errors: list[InvalidValue] = []
    for key, value in raw.items():
        name = DATE_ALIASES.get(key, key)
        if name in FILTERS:
            if out.get(name) not in (None, "") and value not in (None, "") and out[name] != value:
                errors.append(InvalidValue(key, value, fix=f"give {name} once (from and since are the same filter, "
                                           "so are to and until)"))
            elif value not in (None, "") or name not in out:
                out[name], typed[name] = value, key
        elif key not in PAGE_KEYS:
            errors.append(InvalidValue(key, value, fix=f"{key!r} is not a filter of the label list: use "
                                       f"{', '.join(FILTERS)} (dates as YYYY-MM-DD; from and to work too)"))
    return out, typed, errors


def parse_query(raw: dict[str, str | None]) -> LabelQuery:
    """A :class:`LabelQuery` from the page's query string; every bad value reported at once."""
    raw, typed, errors = _known(raw)
    out: dict[str, Any] = {}

    def take(key: str, fn, *args) -> None:  # noqa: ANN001
        try:
            value = fn(*args)
        except InvalidValue as exc:
            errors.append(exc)
        else:
            if value is not None:
                out[key] = value

    take("source", _choice, "source", raw.get("source"), tuple(s.value for s in Source))
    take("outcome", _choice, "outcome", raw.get("outcome"), tuple(o.value for o in Outcome))
    take("method", _choice, "method", raw.get("method"), tuple(m.value for m in Method))
    take("state", _choice, "state", raw.get("state"), STATES)
    take("sort", _choice, "sort", raw.get("sort"), tuple(SORTS))
    take("since", _day, typed.get("since", "since"), raw.get("since"))
    take("until", _day, typed.get("until", "until"), raw.get("until"))
    take("per_page", lambda v: None if v in (None, "") else int(_choice("per_page", v, tuple(map(str, PAGE_SIZES)))),
         raw.get("per_page"))
    for key in ("campaign", "by"):
        text = (raw.get(key) or "").strip()
        if len(text) > 200:
            errors.append(InvalidValue(key, text[:80] + "…", fix="shorten it to at most 200 characters"))
        elif text:
            out[key] = text
    page = raw.get("page") or "1"
    if not page.isdigit() or not 1 <= int(page) <= 1_000_000:
        errors.append(InvalidValue("page", page, fix="give a page number from 1"))
    else:
        out["page"] = int(page)
    direction = raw.get("dir")
    if direction not in (None, "", "asc", "desc"):
        errors.append(InvalidValue("dir", direction, fix="choose asc or desc"))
    elif direction:
        out["desc"] = direction == "desc"
    if "since" in out and "until" in out and out["since"] > out["until"]:
        errors.append(InvalidValue("until", str(out["until"]), fix="the date range ends before it starts: swap them"))
    raise_all(errors)
    return LabelQuery(**out)


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
