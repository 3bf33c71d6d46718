"""Fixtures of the store tests: every test runs on SQLite and on a real PostgreSQL.

Each test gets its own database, already migrated (``fresh_store`` in tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alloyloop.db.engine import make_engine, open_session

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, fresh_store) -> str:  # noqa: ANN001
    """URL of a fresh, migrated database on each backend."""
    return fresh_store(request.param)


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh database without any schema, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with open_session(engine) as s:
        yield s


@pytest.fixture(autouse=True)
def wide_cli_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps at 80 columns without a terminal; tests match whole lines, so widen it."""
    from alloyloop.cli.commands import db as db_commands
    from alloyloop.cli.commands import label as label_commands

    for console in (db_commands.console, label_commands.console):
        monkeypatch.setattr(console, "width", 200)
