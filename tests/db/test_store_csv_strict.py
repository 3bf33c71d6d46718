"""Issue 28, items 3-5 through every CSV route: an unterminated quote is refused naming the
line it opened on (rows never merge into one note), spreadsheet markers and isotopes are no
alloys, and no named element vanishes. Nothing is stored; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alloyloop.cli.app import app
from alloyloop.db.label_import import import_labels_csv
from alloyloop.db.labels import labels_for
from alloyloop.db.models import Alloy, Label

runner = CliRunner()
HEADER = "composition,outcome,source,method,note\n"
# The note on line 3 opens a quote and never closes it: lines 4-5 would become its text.
UNTERMINATED = (HEADER + "CoCrNi,single,experiment,XRD,\n"
                'CoCrFeMnNi,single,experiment,XRD,"cracked, see photo\n'
                "Al0.5CoCrFeNi,multi,experiment,XRD,\n"
                "HfNbTaTiZr,single,experiment,XRD,\n")
# Closed by chance three lines down, where a quote happens to end a cell.
CLOSED_BY_CHANCE = (HEADER + 'CoCrFeMnNi,single,experiment,XRD,"cracked, see photo\n'
                    "Al0.5CoCrFeNi,multi,experiment,XRD,see\n"
                    'HfNbTaTiZr,single,experiment,XRD,10 mm"\n'
                    "CoCrNi,single,experiment,XRD,\n")
# A note typed with Alt+Enter: a legitimate cell over two lines, neither looks like a row.
MULTILINE_NOTE = (HEADER + 'CoCrFeMnNi,single,experiment,XRD,"cracked,\r\nsee photo 3"\r\n'
                  "CoCrNi,single,experiment,XRD,\r\n")


def _write(tmp_path: Path, text: str, name: str = "lab.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _stored(session) -> tuple[int, int]:  # noqa: ANN001
    return (session.execute(select(func.count()).select_from(Label)).scalar_one(),
            session.execute(select(func.count()).select_from(Alloy)).scalar_one())


@pytest.mark.parametrize(("text", "line", "words"), [
    (UNTERMINATED, 3, "is never closed"),
    (CLOSED_BY_CHANCE, 2, "closes only on line 4"),
])
@pytest.mark.parametrize("dry_run", [True, False])
def test_a_quote_that_swallows_rows_is_refused_naming_its_line(session, tmp_path: Path, text: str, line: int,
                                                               words: str, dry_run: bool) -> None:  # noqa: ANN001
    report = import_labels_csv(session, _write(tmp_path, text), dry_run=dry_run)
    assert not report.ok and not report.stored and report.preview == []
    [problem] = report.problems
    assert problem.row == line
    assert f"line {line}: the quote that opens the cell \"cracked, see photo (column 'note')" in problem.fix
    assert words in problem.fix and f"close the quote on line {line} or remove it" in problem.fix
    assert _stored(session) == (0, 0)


def test_a_note_over_two_lines_is_one_cell_and_every_row_is_kept(session, tmp_path: Path) -> None:  # noqa: ANN001
    report = import_labels_csv(session, _write(tmp_path, MULTILINE_NOTE))
    assert report.ok and report.stored and [r.key for r in report.preview] == [
        "Co0.2Cr0.2Fe0.2Mn0.2Ni0.2", "Co0.3333Cr0.3333Ni0.3333"]
    [label] = labels_for(session, "CoCrFeMnNi")
    assert label.note == "cracked,\r\nsee photo 3" or label.note == "cracked,\nsee photo 3"


@pytest.mark.parametrize(("cell", "fix"), [
    ("NaN", "composition is an empty cell ('NaN'): fill in the alloy"),
    ("#N/A", "composition is an empty cell ('#N/A')"),
    ("n/a", "empty cell ('n/a')"),
    ("-", "empty cell ('-')"),
    ("null", "empty cell ('null')"),
    ("FeD", "isotope symbol 'D' (deuterium) in 'FeD': an alloy names hydrogen as 'H' ('FeH')"),
    ("Fe1e-5Ni", "element Fe in 'Fe1e-5Ni' is 1e-05 of the alloy"),
    ("(CoCrFeMnNi)99.995B0.005", "element B in '(CoCrFeMnNi)99.995B0.005' is 5e-05 of the alloy"),
    ("Fe99999999999999999999Ni", "amount 99999999999999999999 in 'Fe99999999999999999999Ni' is above 1,000,000"),
])
def test_markers_isotopes_and_vanishing_elements_are_refused_in_a_csv(session, tmp_path: Path, cell: str,
                                                                      fix: str) -> None:  # noqa: ANN001
    text = HEADER + "CoCrNi,single,experiment,XRD,\n" + f"{cell},single,experiment,XRD,\n"
    report = import_labels_csv(session, _write(tmp_path, text))
    assert [(p.row, p.column, p.value) for p in report.problems] == [(3, "composition", cell)]
    assert fix in report.problems[0].fix
    assert _stored(session) == (0, 0)


def test_cli_label_import_and_import_calphad_refuse_the_open_quote(db_url: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from alloyloop.cli.commands import label as label_commands

    monkeypatch.setattr(label_commands.console, "width", 1000)  # one table line per problem
    result = runner.invoke(app, ["label", "import", str(_write(tmp_path, UNTERMINATED)), "--url", db_url])
    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert re.search(r"^ *3 +- +\S*lab\.csv +line 3: ", result.output, re.M) and "line 3: the quote that opens the cell \"cracked, see photo" in flat
    calphad = ("composition,temperature,phase_fractions,database,note\nCoCrFeMnNi,1273,FCC_A1=1.0,TCHEA5,\"see\n"
               "Al0.5CoCrFeNi,1273,FCC_A1=0.62;BCC_B2=0.38,TCHEA5,\n")
    result = runner.invoke(app, ["label", "import-calphad", str(_write(tmp_path, calphad, "c.csv")), "--url", db_url])
    assert result.exit_code == 1
    assert "line 2: the quote that opens the cell \"see (column 'note') is never closed" in " ".join(
        result.output.split())
    bad = runner.invoke(app, ["label", "add", "-c", "NaN", "-o", "single", "-s", "experiment", "-m", "XRD",
                              "--url", db_url])
    assert bad.exit_code == 1 and "composition is an empty cell ('NaN')" in " ".join(bad.output.split())
    listed = runner.invoke(app, ["label", "list", "N0.5Na0.5", "--url", db_url])
    assert "#" not in listed.output  # nothing stored under the alloy NaN used to be read as


def test_model_fit_and_featurize_refuse_the_open_quote(tmp_path: Path) -> None:
    lab = _write(tmp_path, 'composition,phase,note\nCoCrFeMnNi,single,"cracked\nCoCrNi,single,\nFeNi,single,\n')
    fit = runner.invoke(app, ["model", "fit", "--labelled", str(lab), "--out", str(tmp_path / "m"),
                              "--max-epochs", "1", "--vae-max-epochs", "1"])
    assert fit.exit_code == 1 and not (tmp_path / "m").exists()
    assert "line 2: the quote that opens the cell \"cracked (column 'note') is never closed" in " ".join(
        fit.output.split())
    feat = runner.invoke(app, ["featurize", str(lab), "--out", str(tmp_path / "f.csv")])
    assert feat.exit_code != 0 and not (tmp_path / "f.csv").exists()
    assert "line 2: the quote" in " ".join(feat.output.split())
