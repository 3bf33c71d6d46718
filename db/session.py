"""One-call access to the store for the CLI, flows and scripts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlmodel import Session

from alloyloop.db.engine import make_engine, open_session
from alloyloop.db.migrate import ensure_schema


@contextmanager
def store_engine(url: str | URL | None = None, *, create: bool = True) -> Iterator[Engine]:
    """An engine on the store (default URL as in :func:`alloyloop.db.engine.database_url`), disposed after.

    Args:
        create: create the schema if the database is fresh; an outdated schema is
            refused either way (:class:`alloyloop.db.errors.SchemaNotReady`).
    """
    engine = make_engine(url)
    try:
        if create:
            ensure_schema(engine)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def store_session(url: str | URL | None = None, *, create: bool = True) -> Iterator[Session]:
    """A session on the store; the engine is disposed when the block ends."""
    with store_engine(url, create=create) as engine, open_session(engine) as session:
        yield session
