"""Where the store lives and how to connect to it.

- ``ALLOYLOOP_DATABASE_URL`` chooses the database; without it, an SQLite file in the
  user data directory (``platformdirs.user_data_dir("alloyloop")``).
- PostgreSQL URLs (``postgresql://`` or ``postgres://``) are routed to psycopg 3.
- SQLite connections get WAL (readers never block the writer), foreign keys and a
  busy timeout; transactions are begun by us, so that writers can take the write lock
  up front with ``BEGIN IMMEDIATE`` (see :mod:`alloyloop.db.tx`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session

ENV_VAR = "ALLOYLOOP_DATABASE_URL"
DEFAULT_FILENAME = "alloyloop.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long an SQLite connection waits for another writer before 'database is locked'."""

WRITE_OPTION = "alloyloop_write"
"""Execution option that makes the SQLite BEGIN an IMMEDIATE one (set by :mod:`alloyloop.db.tx`)."""


def default_url() -> str:
    """The SQLite file in the user data directory (the directory is created)."""
    directory = Path(platformdirs.user_data_dir("alloyloop", appauthor=False))
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / DEFAULT_FILENAME}"


def database_url(url: str | URL | None = None) -> URL:
    """The URL to use: ``url`` if given, else ``$ALLOYLOOP_DATABASE_URL``, else the default.

    ``postgresql://`` and ``postgres://`` are given the psycopg 3 driver.
    """
    raw = url if url is not None else (os.environ.get(ENV_VAR) or default_url())
    parsed = make_url(raw)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def display_url(url: str | URL) -> str:
    """The URL with any password masked, for printing."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(
    url: str | URL | None = None,
    *,
    sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    echo: bool = False,
    **kwargs: Any,
) -> Engine:
    """Create an engine for the store (remember to ``dispose()`` it).

    Args:
        url: database URL; default as in :func:`database_url`.
        sqlite_busy_timeout_ms: SQLite only: wait this long for a lock before failing.
        echo: log SQL.
        kwargs: passed on to :func:`sqlalchemy.create_engine`.
    """
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("timeout", sqlite_busy_timeout_ms / 1000)
        connect_args.setdefault("check_same_thread", False)
        engine = create_engine(parsed, echo=echo, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine, sqlite_busy_timeout_ms, in_memory=parsed.database in (None, "", ":memory:"))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, echo=echo, **kwargs)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own implicit BEGIN only precedes DML, so reads would run outside
        # the transaction; we switch it off and emit BEGIN ourselves in _on_begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes the write lock at BEGIN: a deferred transaction that read first
        # could not upgrade to a write lock while another writer commits (SQLITE_BUSY,
        # which no busy timeout helps with).
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def open_session(engine: Engine) -> Session:
    """A session on ``engine`` whose objects stay readable after commit."""
    return Session(engine, expire_on_commit=False)
