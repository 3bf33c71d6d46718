"""Alembic migrations: the migrated schema is exactly the models' schema, on both backends."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import CheckConstraint, inspect, text
from typer.testing import CliRunner

from alloyloop.cli.app import app
from alloyloop.db.engine import make_engine
from alloyloop.db.errors import SchemaNotReady
from alloyloop.db.migrate import (
    MIGRATIONS_DIR,
    current_revision,
    downgrade,
    ensure_schema,
    head_revision,
    schema_diff,
    schema_state,
    upgrade,
)
from alloyloop.db.models import metadata

ROOT = Path(__file__).resolve().parents[2]


def _norm(sql: str) -> str:
    """Check-constraint text without quoting, casts and spacing differences between backends."""
    sql = re.sub(r"::[a-z ]+(\[\])?", "", sql.lower())  # PostgreSQL adds ::text casts
    sql = re.sub(r"[\"()\s]", "", sql)
    return sql.replace("=anyarray[", "in").replace("]", "")


def test_upgrade_from_empty_matches_models(empty_db_url: str) -> None:
    eng = make_engine(empty_db_url)
    try:
        assert current_revision(eng) is None
        before, after = upgrade(eng)
        assert (before, after) == (None, head_revision())
        assert schema_diff(eng) == []  # alembic autogenerate finds nothing to change
        tables = set(inspect(eng).get_table_names())
        assert set(metadata.tables) <= tables
        # CHECK constraints are invisible to autogenerate: compare them by name and text
        insp = inspect(eng)
        for table in metadata.sorted_tables:
            expected = {c.name: _norm(str(c.sqltext)) for c in table.constraints
                        if isinstance(c, CheckConstraint)}
            found = {c["name"]: _norm(c["sqltext"]) for c in insp.get_check_constraints(table.name)}
            assert set(found) == set(expected), table.name
            if eng.dialect.name == "sqlite":  # PostgreSQL rewrites IN lists; the names suffice there
                assert found == expected, table.name
    finally:
        eng.dispose()


def test_downgrade_to_base_and_back(empty_db_url: str) -> None:
    eng = make_engine(empty_db_url)
    try:
        upgrade(eng)
        downgrade(eng, "base")
        assert current_revision(eng) is None
        assert not set(metadata.tables) & set(inspect(eng).get_table_names())
        upgrade(eng)
        assert schema_diff(eng) == []
    finally:
        eng.dispose()


def test_ensure_schema_creates_fresh_and_refuses_unversioned(empty_db_url: str) -> None:
    eng = make_engine(empty_db_url)
    try:
        assert ensure_schema(eng).ready  # fresh database: created
        with eng.begin() as conn:  # tables without a revision: not ours to guess about
            conn.execute(text("DROP TABLE alembic_version"))
        state = schema_state(eng)
        assert not state.ready and not state.fresh
        with pytest.raises(SchemaNotReady, match="alloyloop db upgrade"):
            ensure_schema(eng)
    finally:
        eng.dispose()


def test_cli_db_upgrade_and_info(empty_db_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["db", "info", "--url", empty_db_url])
    assert result.exit_code == 0, result.output
    assert "alloyloop db upgrade" in result.output  # not migrated yet: says what to do
    result = runner.invoke(app, ["db", "upgrade", "--url", empty_db_url])
    assert result.exit_code == 0, result.output
    assert f"empty → {head_revision()}" in result.output
    result = runner.invoke(app, ["db", "upgrade", "--url", empty_db_url])
    assert f"already at {head_revision()}" in result.output
    result = runner.invoke(app, ["db", "info", "--url", empty_db_url])
    assert result.exit_code == 0, result.output
    assert re.search(r"^ *alloy +0 *$", result.output, re.M)


def test_migrations_ship_with_the_package() -> None:
    """Every migration file is matched by the package data in pyproject.toml, so that
    `alloyloop db upgrade` also works from an installed wheel."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["alloyloop.db"]
    files = [p.relative_to(ROOT / "db").as_posix() for p in MIGRATIONS_DIR.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    assert "migrations/env.py" in files and any(f.startswith("migrations/versions/") for f in files)
    unmatched = [f for f in files if not any(fnmatch.fnmatch(f, pattern) for pattern in data)]
    assert unmatched == []


def test_upgrade_from_0001_keeps_the_data(empty_db_url: str) -> None:
    """A store made before the web app (revision 0001) gains accounts, login sessions and
    the audit log; its labels stay."""
    from alloyloop.db.engine import open_session
    from alloyloop.db.labels import add_label, labels_for

    eng = make_engine(empty_db_url)
    try:
        upgrade(eng, "0001")
        with eng.begin() as conn:
            assert "audit_log" not in inspect(conn).get_table_names()
        with open_session(eng) as session:
            # the 0001 tables are unchanged, so today's code can write a label into them
            add_label(session, composition="CoCrNi", outcome="single", source="literature")
        before, after = upgrade(eng)
        assert (before, after) == ("0001", head_revision()) and schema_diff(eng) == []
        with open_session(eng) as session:
            assert [lb.outcome for lb in labels_for(session, "CoCrNi")] == ["single"]
        downgrade(eng, "0001")
        assert not {"app_user", "login_session", "audit_log"} & set(inspect(eng).get_table_names())
    finally:
        eng.dispose()


def test_upgrade_to_0003_rewrites_keys_that_moved_when_parsed(empty_db_url: str) -> None:
    """0003 gives old keys that were not fixed points of parsing their canonical form; a key
    whose canonical form is another alloy's stays (and is reported)."""
    from alloyloop.db.alloys import get_alloy
    from alloyloop.db.engine import open_session
    from alloyloop.db.labels import add_label

    moved = "Al0.3334Co0.0833Cr0.0833Cu0.0833Fe0.0833Mn0.0833Ni0.0833Ti0.0833V0.0833"
    settled = "Al0.3335Co0.0833Cr0.0833Cu0.0833Fe0.0833Mn0.0833Ni0.0833Ti0.0833V0.0833"
    twin_old = "B0.012C0.012Hf0.0602N0.012Ni0.723Ti0.1807"
    twin_new = "B0.012C0.012Hf0.0602N0.012Ni0.7231Ti0.1807"
    eng = make_engine(empty_db_url)
    try:
        upgrade(eng, "0002")
        with open_session(eng) as session:
            for key in ("CoCrNi", twin_new):
                add_label(session, composition=key, outcome="single", source="literature")
        with eng.begin() as conn:  # rows as the old rounding stored them
            for key, n in ((moved, 9), (twin_old, 6)):
                conn.execute(text("INSERT INTO alloy (key, fractions, elements, n_elements, has_conflict, "
                                  "created_at) VALUES (:k, '{}', 'x', :n, false, CURRENT_TIMESTAMP)"),
                             {"k": key, "n": n})
            moved_id = conn.execute(text("SELECT id FROM alloy WHERE key = :k"), {"k": moved}).scalar_one()
        upgrade(eng)
        with eng.begin() as conn:
            keys = set(conn.execute(text("SELECT key FROM alloy")).scalars())
        assert settled in keys and moved not in keys
        assert {twin_old, twin_new} <= keys  # the collision is left for a curator
        with open_session(eng) as session:
            record = get_alloy(session, moved)  # entered as the old key, found at its new one
            assert record.id == moved_id and record.key == settled
    finally:
        eng.dispose()
