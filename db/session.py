"""One-call access to the store for the CLI, flows and scripts, and the session type.

- :func:`store_session`: one session (and one engine) for a short command;
- :func:`store_sessions`: a :data:`SessionFactory` on one engine for a whole run (a flow
  run, a benchmark's campaign): the round services open a short session per store step
  from it, so no session is held across a model fit, and the schema is checked once.

:class:`Session` is the type every service function outside ``alloyloop.db`` takes: the
agent, the web app and the CLI name it from here, never from SQLAlchemy or SQLModel (the
import-linter contract in ``pyproject.toml`` keeps the ORM inside ``alloyloop.db``). Importing
this module is cheap: Alembic loads only when a store is opened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlmodel import Session

from alloyloop.db.engine import make_engine, open_session

__all__ = ["Engine", "Session", "SessionFactory", "store_engine", "store_session", "store_sessions"]

SessionFactory = Callable[[], Session]
"""A new session per call, all on one engine (use each in a ``with`` block)."""


@contextmanager
def store_engine(url: str | URL | None = None, *, create: bool = True) -> Iterator[Engine]:
    """An engine on the store (default URL as in :func:`alloyloop.db.engine.database_url`), disposed after.

    Args:
        create: create the schema if the database is fresh; an outdated schema is
            refused either way (:class:`alloyloop.db.errors.SchemaNotReady`).
    """
    from alloyloop.db.migrate import ensure_schema

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


@contextmanager
def store_sessions(url: str | URL | None = None, *, create: bool = True) -> Iterator[SessionFactory]:
    """Sessions on one engine for the whole block; the engine is disposed when it ends."""
    with store_engine(url, create=create) as engine:
        yield partial(open_session, engine)
