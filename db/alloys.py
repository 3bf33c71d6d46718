"""Alloys: find or create them by canonical key, lock them, keep their conflict flag.

Creation is an ``INSERT … ON CONFLICT DO NOTHING`` followed by a lookup, so that two
transactions creating the same alloy at once both succeed (no unique-key error for the
loser) and a batch of thousands is one round trip per chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from alloyloop.db.errors import InvalidValue, NotFound
from alloyloop.db.models import Alloy, Label
from alloyloop.db.records import AlloyRecord
from alloyloop.db.types import utcnow
from alloyloop.featurize.composition import CompositionError, ParsedComposition, parse_composition

CHUNK = 900
"""Rows per statement: below SQLite's and PostgreSQL's bound-parameter limits."""


def parse_alloy(value: str | Mapping[str, float] | ParsedComposition) -> ParsedComposition:
    """Parse a composition; an unparsable one raises :class:`InvalidValue` with the fix."""
    try:
        return parse_composition(value)
    except CompositionError as exc:
        raise InvalidValue("composition", value if value is None or isinstance(value, str) else str(value),
                           fix=str(exc)) from None


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _insert(session: Session):
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(f"backend {name!r} is not supported: use SQLite or PostgreSQL")
    return insert


def insert_ignore(session: Session, table: Any, rows: Sequence[dict[str, Any]], conflict_on: str) -> None:
    """Insert ``rows`` into ``table``, silently skipping those whose ``conflict_on`` exists.

    One compiled ``INSERT … ON CONFLICT DO NOTHING`` run as an executemany per chunk
    (psycopg pipelines it): measured 5-10x faster here than multi-row VALUES statements,
    whose compilation dominates at corpus size.
    """
    stmt = _insert(session)(table).on_conflict_do_nothing(index_elements=[conflict_on])
    for chunk in _chunks(rows):
        session.execute(stmt, list(chunk))


def ensure_alloys(session: Session, parsed: Iterable[ParsedComposition]) -> dict[str, int]:
    """Create the alloys that do not exist yet; return canonical key -> alloy id for all.

    The first composition seen for a key gives the stored fractions.
    """
    unique: dict[str, ParsedComposition] = {}
    for p in parsed:
        unique.setdefault(p.key, p)
    if not unique:
        return {}
    ids = alloy_ids(session, list(unique))
    missing = sorted(set(unique) - set(ids))  # a fixed order: concurrent batches cannot deadlock
    if missing:
        now = utcnow()
        rows = [
            {"key": key, "fractions": dict(unique[key].fractions), "elements": "-".join(unique[key].fractions),
             "n_elements": len(unique[key].fractions), "has_conflict": False, "created_at": now}
            for key in missing
        ]
        insert_ignore(session, Alloy.__table__, rows, "key")  # another writer may insert some first
        ids.update(alloy_ids(session, missing))
    return ids


def alloy_ids(session: Session, keys: Sequence[str]) -> dict[str, int]:
    """Canonical key -> id for those of ``keys`` that exist."""
    out: dict[str, int] = {}
    for chunk in _chunks(list(keys)):
        out.update(session.execute(select(Alloy.key, Alloy.id).where(Alloy.key.in_(chunk))).tuples().all())
    return out


def lock_alloys(session: Session, ids: Iterable[int]) -> None:
    """Lock alloy rows until the transaction ends (PostgreSQL; SQLite's writer lock suffices).

    Taken before labels are inserted, in id order, so that concurrent writers of the same
    alloy serialize instead of deadlocking.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for chunk in _chunks(sorted(set(ids))):
        session.execute(select(Alloy.id).where(Alloy.id.in_(chunk)).order_by(Alloy.id).with_for_update())


def refresh_conflicts(session: Session, ids: Iterable[int]) -> None:
    """Recompute ``has_conflict`` (current labels disagree on the outcome) for these alloys.

    One grouped scan finds the conflicted ones; only rows whose flag changes are
    updated (rewriting unchanged rows would cost PostgreSQL a new row version each).
    """
    wanted = sorted(set(ids))
    conflicted: set[int] = set()
    flagged: set[int] = set()
    for chunk in _chunks(wanted):
        conflicted.update(session.execute(
            select(Label.alloy_id)
            .where(Label.alloy_id.in_(chunk), Label.superseded_by.is_(None))
            .group_by(Label.alloy_id)
            .having(func.count(Label.outcome.distinct()) > 1)
        ).scalars())
        flagged.update(session.execute(
            select(Alloy.id).where(Alloy.id.in_(chunk), Alloy.has_conflict.is_(True))).scalars())
    for value, changed in ((True, conflicted - flagged), (False, flagged - conflicted)):
        for chunk in _chunks(sorted(changed)):
            session.execute(update(Alloy).where(Alloy.id.in_(chunk)).values(has_conflict=value))


def get_alloy(session: Session, composition: str | Mapping[str, float]) -> AlloyRecord:
    """The stored alloy for a composition (any notation) or canonical key.

    Raises:
        InvalidValue: the composition does not parse.
        NotFound: no such alloy is stored.
    """
    parsed = parse_alloy(composition)
    row = session.execute(select(Alloy).where(Alloy.key == parsed.key)).scalar_one_or_none()
    if row is None:
        raise NotFound(
            f"no alloy {parsed.key} (from {parsed.source!r}) is stored: add a label for it "
            "first, e.g. alloyloop label add --composition …"
        )
    return AlloyRecord.from_row(row)


def conflicted_alloys(session: Session) -> list[AlloyRecord]:
    """Alloys whose active labels disagree, by key."""
    rows = session.execute(select(Alloy).where(Alloy.has_conflict.is_(True)).order_by(Alloy.key)).scalars()
    return [AlloyRecord.from_row(r) for r in rows]
