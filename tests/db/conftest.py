"""Fixtures of the store tests: every test runs on SQLite and on a real PostgreSQL.

Each test gets its own database, already migrated: a copy of a template migrated once
per session (a file copy for SQLite, ``CREATE DATABASE … TEMPLATE`` for PostgreSQL).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alloyloop.db.engine import make_engine, open_session
from alloyloop.db.migrate import upgrade

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server) -> Iterator[str]:  # noqa: ANN001
    name = postgres_server.create_database()
    engine = make_engine(postgres_server.url(name))
    upgrade(engine)
    engine.dispose()  # a template must have no open connections
    yield name
    postgres_server.drop_database(name)  # matters on an external server


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "store.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server")
    name = server.create_database(template=request.getfixturevalue("postgres_template"))
    yield server.url(name)
    server.drop_database(name)


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
