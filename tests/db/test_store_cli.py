"""The thin CLI over the store: label add / list / supersede / conflicts, data import-corpus."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alloyloop.cli.app import app

runner = CliRunner()


def _run(*args: str):  # noqa: ANN202
    return runner.invoke(app, list(args))


def test_label_add_list_supersede_conflicts(db_url: str) -> None:
    ok = _run("label", "add", "-c", "Co20Cr20Fe20Mn20Ni20", "-o", "single", "-p", "FCC", "-s", "experiment",
              "-m", "XRD", "--processing", "annealed 1100C 24h", "--by", "alice", "--url", db_url)
    assert ok.exit_code == 0, ok.output
    assert "stored label #1 for Co0.2Cr0.2Fe0.2Mn0.2Ni0.2: single (FCC), experiment/XRD, annealed 1100 °C 24 h" in ok.output
    assert "training label: single — experiment: 1 agreeing label" in ok.output

    bad = _run("label", "add", "-c", "CoCrFeMnNi", "-o", "singel", "-s", "experiment", "-m", "XRD", "--url", db_url)
    assert bad.exit_code == 1
    assert "outcome 'singel' is not allowed: use one of: single, multi" in bad.output

    second = _run("label", "add", "-c", "CoCrFeMnNi", "-o", "multi", "-s", "experiment", "-m", "SEM",
                  "--by", "bob", "--url", db_url)
    assert "excluded — excluded: unresolved conflict within experiment" in second.output
    conflicts = _run("label", "conflicts", "--url", db_url)
    assert "1 alloy(s) with conflicting labels" in conflicts.output
    assert re.search(r"#2 +multi +experiment/SEM", conflicts.output), conflicts.output

    fixed = _run("label", "supersede", "2", "-o", "single", "-p", "FCC", "--note", "SEM misread", "--url", db_url)
    assert fixed.exit_code == 0, fixed.output
    assert "label #2 superseded by #3" in fixed.output and "training label: single" in fixed.output
    again = _run("label", "supersede", "2", "-o", "multi", "--url", db_url)
    assert again.exit_code == 1 and "supersede label 3 instead" in again.output

    listing = _run("label", "list", "CoCrFeMnNi", "--url", db_url)
    assert listing.exit_code == 0, listing.output
    assert re.search(r"#2 .*superseded by #3", listing.output)
    assert len(re.findall(r"current", listing.output)) == 2
    assert "no alloy has conflicting labels" in _run("label", "conflicts", "--url", db_url).output
    info = _run("db", "info", "--url", db_url)
    assert re.search(r"^ *label +3 *$", info.output, re.M) and "superseded: 1" in info.output
    assert _run("label", "list", "FeNi", "--url", db_url).exit_code == 1

    # every command-line write is in the audit log, in its own transaction; refused ones are not
    from alloyloop.db.audit import audit_entries
    from alloyloop.db.session import store_session

    with store_session(db_url) as session:
        log = audit_entries(session)
    assert [(e.action, e.target_id) for e in reversed(log)] == [
        ("label.add", 1), ("label.add", 2), ("label.supersede", 2)]
    assert all(e.actor.startswith("cli:") for e in log)
    assert log[0].before["outcome"] == "multi" and log[0].after["outcome"] == "single"
    assert log[0].after["id"] == 3 and log[0].note == "SEM misread"


@pytest.mark.slow
def test_data_import_corpus_twice(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "corpus.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    first = _run("data", "import-corpus", "--url", url)
    assert first.exit_code == 0, first.output
    created = re.search(r"created (\d+) alloys and (\d+) labels", first.output)
    assert created and int(created.group(1)) > 7000 and int(created.group(2)) > 8000
    second = _run("data", "import-corpus", "--url", url)
    assert "created 0 alloys and 0 labels" in second.output


def test_cli_uses_the_environment_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    monkeypatch.setenv("ALLOYLOOP_DATABASE_URL", url)
    ok = _run("label", "add", "-c", "NbMoTaW", "-o", "single", "-s", "calphad")
    assert ok.exit_code == 0, ok.output  # a fresh database gets its schema on first use
    assert (tmp_path / "env.sqlite3").exists()
    assert url in _run("db", "info").output


def test_unreachable_database_is_reported_without_traceback() -> None:
    result = _run("db", "info", "--url", "postgresql://nobody@127.0.0.1:1/none")
    assert result.exit_code == 1
    assert "database error:" in result.output and "Traceback" not in result.output
