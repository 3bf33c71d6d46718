"""CSV label import: all or nothing, dry run, per-row report naming row, column and fix."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from alloyloop.cli.app import app
from alloyloop.db.labels import add_label, labels_for
from alloyloop.db.label_import import import_labels_csv
from alloyloop.db.models import Alloy, Label

GOOD = """composition,outcome,phases,source,method,processing,entered_by,evidence_uri,note
CoCrFeMnNi,single,FCC,experiment,XRD,annealed 1100C 24h,alice,doi:10.1000/x,
Al0.5CoCrFeNi,multi,FCC+BCC,experiment,XRD,as-cast,,,"two phases, weak BCC"
NbMoTaW,single,BCC,calphad,,,,,
"""

BAD = """Composition,Outcome,Phases,Source,Method,Processing
CoCrFeMnNi,single,FCC,experiment,XRD,as-cast
CoCrFeMnXx,single,FCC,experiment,XRD,as-cast
AlCoCrFeNi,singel,BCC,experiment,XRD,as-cast

NbMoTaW,single,BCC,experiment,CALPHAD,melted
"""


def _write(tmp_path: Path, text: str, name: str = "labels.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _snapshot(session) -> list[tuple]:  # noqa: ANN001
    rows = session.execute(select(Label.id, Label.alloy_id, Label.outcome, Label.superseded_by)
                           .order_by(Label.id)).all()
    return [tuple(r) for r in rows]


def test_good_file_is_stored_with_a_preview(session, tmp_path: Path) -> None:  # noqa: ANN001
    add_label(session, composition="CoCrFeMnNi", outcome="multi", source="literature")
    report = import_labels_csv(session, _write(tmp_path, GOOD), default_entered_by="importer")
    assert report.ok and report.stored and report.rows == 3
    preview = {p.row: p for p in report.preview}
    assert sorted(preview) == [2, 3, 4]  # spreadsheet rows: the header is row 1
    assert (preview[2].new_alloy, preview[2].conflict) == (False, True)  # disagrees with literature
    assert (preview[3].new_alloy, preview[3].phases, preview[3].processing) == (True, ["FCC", "BCC"], "as-cast")
    assert preview[4].method == "CALPHAD"
    stored = labels_for(session, "Al0.5CoCrFeNi")
    assert stored[0].entered_by == "importer" and stored[0].note == "two phases, weak BCC"
    assert labels_for(session, "CoCrFeMnNi")[-1].entered_by == "alice"
    assert session.execute(select(func.count()).select_from(Label)).scalar_one() == 4


def test_dry_run_previews_and_stores_nothing(session, tmp_path: Path) -> None:  # noqa: ANN001
    report = import_labels_csv(session, _write(tmp_path, GOOD), dry_run=True)
    assert report.ok and not report.stored and len(report.preview) == 3
    assert all(p.label_id is None for p in report.preview)
    assert session.execute(select(func.count()).select_from(Label)).scalar_one() == 0
    assert session.execute(select(func.count()).select_from(Alloy)).scalar_one() == 0
    # the same file imports afterwards (a dry run does not count as an import)
    assert import_labels_csv(session, _write(tmp_path, GOOD)).stored


def test_one_bad_row_stores_nothing_and_every_problem_is_named(session, tmp_path: Path) -> None:  # noqa: ANN001
    add_label(session, composition="FeNi", outcome="single", source="literature")
    before = _snapshot(session)
    report = import_labels_csv(session, _write(tmp_path, BAD))
    assert not report.ok and not report.stored and report.preview == []
    found = {(p.row, p.column, p.value) for p in report.problems}
    assert found == {
        (3, "composition", "CoCrFeMnXx"),
        (4, "outcome", "singel"),
        (6, "method", "CALPHAD"),  # the blank line 5 is skipped but counted
        (6, "processing", "melted"),
    }
    fixes = {(p.row, p.column): p.fix for p in report.problems}
    assert "unknown element 'Xx'" in fixes[(3, "composition")]
    assert "use one of: single, multi" in fixes[(4, "outcome")]
    assert "experiment labels cannot use CALPHAD" in fixes[(6, "method")]
    assert "as-cast" in fixes[(6, "processing")]
    assert "row 4, column 'outcome': 'singel'" in str(report.problems[1])
    assert _snapshot(session) == before  # the good row 2 was not stored either


def test_file_level_problems(session, tmp_path: Path) -> None:  # noqa: ANN001
    report = import_labels_csv(session, _write(tmp_path, "composition,outcom,source\nFeNi,single,literature\n"))
    assert [(p.row, p.column) for p in report.problems] == [(1, "outcome")]
    assert "missing" in report.problems[0].fix and "is the column 'outcom' meant to be 'outcome'" in report.problems[0].fix
    report = import_labels_csv(session, _write(tmp_path, "composition,outcome,source\n"))
    assert "no rows" in report.problems[0].fix
    report = import_labels_csv(session, _write(tmp_path, "composition,outcome,source\nFeNi,single,literature,x\n"))
    assert report.problems[0].row == 2 and "quote cells" in report.problems[0].fix
    report = import_labels_csv(session, _write(tmp_path, ""))
    assert "no header row" in report.problems[0].fix
    assert session.execute(select(func.count()).select_from(Label)).scalar_one() == 0


def test_importing_the_same_file_twice_is_refused(session, tmp_path: Path) -> None:  # noqa: ANN001
    path = _write(tmp_path, GOOD)
    first = import_labels_csv(session, path)
    before = _snapshot(session)
    again = import_labels_csv(session, path)
    assert not again.stored and "was imported before" in again.problems[0].fix
    assert f"#{first.preview[0].label_id}" in again.problems[0].fix
    assert _snapshot(session) == before


def test_cli_import_reports_rows_and_exits_1(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["label", "import", str(_write(tmp_path, BAD)), "--url", db_url],
                        terminal_width=200)
    assert bad.exit_code == 1
    assert "4 problem(s), nothing stored" in bad.output
    assert "singel" in bad.output and "CoCrFeMnXx" in bad.output and "melted" in bad.output
    dry = runner.invoke(app, ["label", "import", str(_write(tmp_path, GOOD)), "--dry-run", "--url", db_url],
                        terminal_width=200)
    assert dry.exit_code == 0, dry.output
    assert "3 label(s) would be stored (dry run, nothing stored)" in dry.output
    ok = runner.invoke(app, ["label", "import", str(_write(tmp_path, GOOD)), "--url", db_url, "--by", "eve"],
                       terminal_width=200)
    assert ok.exit_code == 0, ok.output
    assert "stored 3 label(s)" in ok.output
    from alloyloop.db.audit import audit_entries
    from alloyloop.db.session import store_session

    with store_session(db_url) as session:  # the refused and the dry-run imports logged nothing
        log = audit_entries(session)
    assert [e.action for e in log] == ["label.import"] * 3 and all(e.actor.startswith("cli:") for e in log)
    assert sorted(e.after["csv_row"] for e in log) == [2, 3, 4]
