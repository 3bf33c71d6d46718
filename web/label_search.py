"""The label list's query string: ``/labels?source=…&since=…&sort=…&page=…`` read into a
:class:`alloyloop.db.label_list.LabelQuery`, every bad parameter reported at once.

The list itself (filters, sorting and paging in SQL) is :mod:`alloyloop.db.label_list`; this
module is only the web's reading of the URL.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from alloyloop.db.errors import InvalidValue
from alloyloop.db.label_list import PAGE_SIZES, SORT_KEYS, STATES, LabelQuery
from alloyloop.db.vocab import Method, Outcome, Source
from alloyloop.web.inputs import raise_all


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
    take("sort", _choice, "sort", raw.get("sort"), SORT_KEYS)
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
