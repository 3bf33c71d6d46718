"""The engine: URL choice, SQLite connection settings, UTC timestamps on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from alloyloop.db import engine as engine_module
from alloyloop.db.engine import ENV_VAR, database_url, display_url, make_engine
from alloyloop.db.labels import add_label
from alloyloop.db.models import Label


def test_default_url_is_sqlite_in_user_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(engine_module.platformdirs, "user_data_dir",
                        lambda app, appauthor=None: str(tmp_path / "data" / app))
    url = database_url()
    assert url.get_backend_name() == "sqlite"
    assert Path(url.database) == tmp_path / "data" / "alloyloop" / "alloyloop.sqlite3"
    assert (tmp_path / "data" / "alloyloop").is_dir()


def test_env_var_wins_and_postgres_urls_get_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "postgres://alice:secret@db.example/alloys")
    url = database_url()
    assert url.drivername == "postgresql+psycopg"
    assert url.database == "alloys"
    assert "secret" not in display_url(url) and "***" in display_url(url)
    assert database_url("sqlite:///x.db").drivername == "sqlite"  # an explicit URL beats the env


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 's.sqlite3'}", sqlite_busy_timeout_ms=1234)
    try:
        with eng.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 1234
    finally:
        eng.dispose()


def test_timestamps_are_utc_aware_on_both_backends(session) -> None:  # noqa: ANN001
    label = add_label(session, composition="CoCrFeMnNi", outcome="single", source="literature")
    assert label.created_at.tzinfo is not None and label.created_at.utcoffset() == timedelta(0)
    # a non-UTC aware time is stored as the same instant and read back in UTC
    plus_two = datetime(2026, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    row = session.get(Label, label.id)
    row.created_at = plus_two
    session.commit()
    session.expunge_all()
    stored = session.execute(select(Label.created_at).where(Label.id == label.id)).scalar_one()
    assert stored == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(session) -> None:  # noqa: ANN001
    label = add_label(session, composition="CoCrFeNi", outcome="single", source="literature")
    row = session.get(Label, label.id)
    row.created_at = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()
    session.rollback()
    assert session.get(Label, label.id).created_at == label.created_at  # nothing changed

