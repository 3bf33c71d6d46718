"""One-call access to the store for the CLI, flows and scripts.

- :func:`store_session`: one session (and one engine) for a short command;
- :func:`store_sessions`: a :data:`SessionFactory` on one engine for a whole run (a flow
  run, a benchmark's campaign): the round services open a short session per store step
  from it, so no session is held across a model fit, and the schema is checked once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlmodel import Session

from alloyloop.db.engine import make_engine, open_session
from alloyloop.db.migrate import ensure_schema

SessionFactory = Callable[[], Session]
"""A new session per call, all on one engine (use each in a ``with`` block)."""


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


@contextmanager
def store_sessions(url: str | URL | None = None, *, create: bool = True) -> Iterator[SessionFactory]:
    """Sessions on one engine for the whole block; the engine is disposed when it ends."""
    with store_engine(url, create=create) as engine:
        yield partial(open_session, engine)
