"""Label files as spreadsheets export them (issue 17): BOM, CRLF, ';' with decimal commas,
tabs, cp1252, extra columns, trailing empty rows, and `composition, phase` files with the
source and method given once. Each imports the labels it means, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from alloyloop.cli.app import app
from alloyloop.db.label_import import import_labels_csv
from alloyloop.db.labels import labels_for
from alloyloop.db.models import Label

AL05 = "Al0.1111Co0.2222Cr0.2222Fe0.2222Ni0.2222"
FEMN = "Co0.1Cr0.105Fe0.495Mn0.3"
CANTOR = "Co0.2Cr0.2Fe0.2Mn0.2Ni0.2"
EXPECTED = [(2, AL05, "multi"), (3, FEMN, "single"), (4, CANTOR, "single")]


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# The same three labels, written the ways spreadsheets write them.
SPREADSHEETS = {
    "excel-utf8-bom-crlf": ("\ufeffcomposition,outcome,source,method\r\nAl0.5CoCrFeNi,multi,experiment,XRD\r\n"
                            "Fe49.5Mn30Co10Cr10.5,single,experiment,XRD\r\nCoCrFeMnNi,single,experiment,XRD\r\n"
                            ",,,\r\n,,,\r\n").encode("utf-8"),
    "semicolon-decimal-comma": ("composition;outcome;source;method\nAl0,5CoCrFeNi;multi;experiment;XRD\n"
                                "Fe49,5Mn30Co10Cr10,5;single;experiment;XRD\nCoCrFeMnNi;single;experiment;XRD\n"
                                ";;;\n\n").encode("utf-8"),
    "tab": ("composition\toutcome\tsource\tmethod\nAl0,5CoCrFeNi\tmulti\texperiment\tXRD\n"
            "Fe49.5Mn30Co10Cr10.5\tsingle\texperiment\tXRD\nCoCrFeMnNi\tsingle\texperiment\tXRD\n").encode("utf-8"),
    "cp1252-semicolon": ("composition;outcome;source;method;processing\nAl0,5CoCrFeNi;multi;experiment;XRD;as-cast\n"
                         "Fe49,5Mn30Co10Cr10,5;single;experiment;XRD;annealed 1100 °C 24 h\n"
                         "CoCrFeMnNi;single;experiment;XRD;as-cast\r\n").encode("cp1252"),
    "words-of-model-fit": ("composition,phase,source,method\nAl0.5CoCrFeNi,MP,experiment,XRD\n"
                           "Fe49.5Mn30Co10Cr10.5,SS,experiment,XRD\nCoCrFeMnNi,Single-Phase,experiment,XRD\n"
                           ).encode("utf-8"),
}


@pytest.mark.parametrize("kind", list(SPREADSHEETS))
def test_spreadsheet_exports_import_the_labels_they_mean(session, tmp_path: Path, kind: str) -> None:  # noqa: ANN001
    report = import_labels_csv(session, _file(tmp_path, f"{kind}.csv", SPREADSHEETS[kind]))
    assert report.ok, [str(p) for p in report.problems]
    assert [(r.row, r.key, r.outcome) for r in report.preview] == EXPECTED
    assert all(r.text for r in report.preview)  # the input text travels with the key
    if kind.startswith("cp1252"):
        assert any("cp1252" in n for n in report.notes)
        assert report.preview[1].processing == "annealed 1100 °C 24 h"
    if "semicolon" in kind:
        assert "cells separated by semicolons" in report.notes
        assert report.preview[0].text == "Al0,5CoCrFeNi"


def test_extra_columns_are_kept_as_label_metadata(session, tmp_path: Path) -> None:  # noqa: ANN001
    data = ("composition;phase;sample ID;operator;date\nAl0,5CoCrFeNi;multi;S-12;Müller;2024-03-01\n"
            "CoCrFeMnNi;single;S-13;;2024-03-02\n").encode("cp1252")
    path = _file(tmp_path, "lab.csv", data)
    report = import_labels_csv(session, path, default_source="experiment", default_method="XRD")
    assert report.ok and report.stored, [str(p) for p in report.problems]
    assert "kept the extra column(s) sample ID, operator, date in each label's provenance" in report.notes
    first = labels_for(session, "Al0.5CoCrFeNi")[0]
    assert (first.source, first.method, first.outcome) == ("experiment", "XRD", "multi")
    assert first.provenance == "lab.csv row 2: sample ID=S-12; operator=Müller; date=2024-03-01"
    assert labels_for(session, "CoCrFeMnNi")[0].provenance == "lab.csv row 3: sample ID=S-13; date=2024-03-02"


def test_wt_percent_rows_say_they_were_converted(session, tmp_path: Path) -> None:  # noqa: ANN001
    path = _file(tmp_path, "wt.csv", b"composition,outcome\nFe70Cr20Ni10 wt.%,single\n")
    report = import_labels_csv(session, path, default_source="literature")
    assert report.ok, [str(p) for p in report.problems]
    assert report.preview[0].key == "Cr0.2127Fe0.6931Ni0.0942" and "wt.%" in report.preview[0].note
    label = session.execute(select(Label)).scalar_one()
    assert "'Fe70Cr20Ni10 wt.%' converted from wt.%" in label.provenance


def test_source_given_once_and_a_cell_still_wins(session, tmp_path: Path) -> None:  # noqa: ANN001
    path = _file(tmp_path, "mixed.csv", b"composition,phase,source\nCoCrFeMnNi,1,\nAl0.5CoCrFeNi,0,literature\n")
    report = import_labels_csv(session, path, default_source="experiment", default_method="XRD")
    assert [(r.source, r.method) for r in report.preview] == [("experiment", "XRD"), ("literature", "XRD")]


def test_without_a_source_the_fix_names_the_option(session, tmp_path: Path) -> None:  # noqa: ANN001
    report = import_labels_csv(session, _file(tmp_path, "p.csv", b"composition,phase\nCoCrFeMnNi,single\n"))
    assert [(p.row, p.column) for p in report.problems] == [(1, "source")]
    assert "or give --source for every row" in report.problems[0].fix
    assert session.execute(select(Label)).first() is None


def test_cli_imports_a_composition_phase_file_with_source_and_method_once(db_url: str, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from alloyloop.cli.commands import label as label_commands

    monkeypatch.setattr(label_commands.console, "width", 80)  # an 80-column terminal
    path = _file(tmp_path, "paper.csv", "composition;phase\r\nAl0,5CoCrFeNi;multi\r\nCoCrFeMnNi;single\r\n;\r\n"
                 .encode("cp1252"))
    runner = CliRunner()
    result = runner.invoke(app, ["label", "import", str(path), "--source", "experiment", "--method", "XRD",
                                 "--url", db_url])
    assert result.exit_code == 0, result.output
    assert "stored 2 label(s)" in result.output
    assert "cells separated by semicolons" in result.output
    assert "Al0,5CoCrFeNi" in result.output  # the input beside its key
    assert max(len(line) for line in result.output.splitlines()) <= 80
    listing = runner.invoke(app, ["label", "list", "Al0.5CoCrFeNi", "--url", db_url])
    assert "training label: multi — experiment: 1 agreeing label" in listing.output
