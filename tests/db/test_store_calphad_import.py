"""CALPHAD results from other tools as CSV: one calphad label per row, all or nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from alloyloop.agent.calphad.csv_import import import_calphad_csv, parse_temperature
from alloyloop.cli.app import app
from alloyloop.db.labels import add_label, labels_for
from alloyloop.db.models import Alloy, Label

GOOD = """Composition,Temperature,Phase_Fractions,Database,Entered_By,Note
CoCrFeMnNi,1273,FCC_A1=1.0,TCHEA5,alice,
Al0.5CoCrFeNi,1273 K,FCC_A1=0.62;BCC_B2=0.38,,,"two phases, B2 ordered"
AlCoCrFeNi,1000 C,BCC_B2=0.55;BCC_A2=0.45,TCHEA5,,
Al0.1CoCrFeNi,1273,FCC_A1=0.995;SIGMA=0.005,TCHEA5,,
"""

BAD = """composition,temperature,phase_fractions,database
CoCrFeMnNi,1273,FCC_A1=1.0,TCHEA5
CoCrFeMnXx,1273,FCC_A1=1.0,TCHEA5
AlCoCrFeNi,25,BCC_B2=0.55;BCC_A2=0.45,TCHEA5
Al0.3CoCrFeNi,1273,FCC_A1=70;BCC_A2=30,TCHEA5

NbMoTaW,1273,BCC_A2=0.8,
"""


def _write(tmp_path: Path, text: str, name: str = "calphad.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _count(session) -> int:  # noqa: ANN001
    return session.execute(select(func.count()).select_from(Label)).scalar_one()


def test_good_file_stores_one_calphad_label_per_row(session, tmp_path: Path) -> None:  # noqa: ANN001
    path = _write(tmp_path, GOOD)
    report = import_calphad_csv(session, path, database="MYDB", default_entered_by="bob")
    assert report.ok and report.stored and [r.row for r in report.preview] == [2, 3, 4, 5]
    assert [(r.outcome, r.phases) for r in report.preview] == [
        ("single", ["FCC"]), ("multi", ["FCC", "B2"]), ("multi", ["B2", "BCC"]), ("single", ["FCC"])]
    assert report.details[4] == "1273.15 K: BCC_B2=0.5500; BCC_A2=0.4500"
    (cantor,) = labels_for(session, "CoCrFeMnNi")
    assert (cantor.source, cantor.method, cantor.entered_by) == ("calphad", "CALPHAD", "alice")
    assert cantor.provenance.startswith("imported CALPHAD result (calphad.csv row 2, sha256 ")
    assert cantor.provenance.endswith("; database TCHEA5; single-phase threshold 0.99; 1273 K: FCC_A1=1.0000")
    assert cantor.external_id.startswith("calphad-csv/") and cantor.external_id.endswith("/row2")
    (al05,) = labels_for(session, "Al0.5CoCrFeNi")
    assert "database MYDB" in al05.provenance and al05.entered_by == "bob"
    assert al05.note == "CALPHAD: no phase holds >= 0.99 (largest: FCC_A1 0.6200); two phases, B2 ordered"
    # importing the same file again is refused as a whole
    again = import_calphad_csv(session, path, database="MYDB")
    assert not again.ok and "was imported before as labels" in again.problems[0].fix
    assert _count(session) == 4


def test_threshold_and_dry_run(session, tmp_path: Path) -> None:  # noqa: ANN001
    path = _write(tmp_path, GOOD)
    strict = import_calphad_csv(session, path, dry_run=True, threshold=0.999, database="X")
    assert strict.ok and not strict.stored and strict.preview[3].outcome == "multi"
    assert all(r.label_id is None for r in strict.preview) and _count(session) == 0


def test_bad_rows_are_reported_and_nothing_is_stored(session, tmp_path: Path) -> None:  # noqa: ANN001
    add_label(session, composition="CoCrNi", outcome="single", phases="FCC", source="experiment", method="XRD")
    before = _count(session)
    report = import_calphad_csv(session, _write(tmp_path, BAD))
    assert not report.stored and report.preview == []
    found = {(p.row, p.column): p for p in report.problems}
    assert set(found) == {(3, "composition"), (4, "temperature"), (5, "phase_fractions"),
                          (7, "phase_fractions"), (7, "database")}
    assert "Xx" in found[3, "composition"].value
    assert found[4, "temperature"].value == "25"
    assert "25 K is outside 200-6000 K: give kelvin (1000 °C is 1273 K)" in found[4, "temperature"].fix
    assert "not a percentage" in found[5, "phase_fractions"].fix
    assert "name the thermodynamic database (e.g. TCHEA5)" in found[7, "database"].fix
    assert "the fractions add up to 0.8: give mole fractions of every phase" in found[7, "phase_fractions"].fix
    assert _count(session) == before
    assert session.execute(select(func.count()).select_from(Alloy)).scalar_one() == 1
    header = import_calphad_csv(session, _write(tmp_path, "composition,temp,phase_fractions\n", "h.csv"))
    assert [(p.row, p.column) for p in header.problems] == [(1, "temperature")]
    assert "is the column 'temp' meant to be 'temperature'? rename it" in header.problems[0].fix


def test_temperatures_read_in_kelvin_or_celsius() -> None:
    assert parse_temperature("1273") == 1273.0
    assert parse_temperature("1273 K") == 1273.0
    assert parse_temperature("1000 C") == parse_temperature("1000°C") == 1273.15
    for bad in ("hot", "1273 F", "-5"):
        try:
            parse_temperature(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_cli_import_calphad(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["label", "import-calphad", str(_write(tmp_path, BAD)), "--url", db_url])
    assert bad.exit_code == 1 and "5 problem(s), nothing stored" in bad.output
    dry = runner.invoke(app, ["label", "import-calphad", str(_write(tmp_path, GOOD)), "--dry-run",
                              "--database", "X", "--url", db_url])
    assert dry.exit_code == 0 and "4 CALPHAD label(s) would be stored" in dry.output
    done = runner.invoke(app, ["label", "import-calphad", str(_write(tmp_path, GOOD)), "--database", "X",
                               "--url", db_url])
    assert done.exit_code == 0 and "stored 4 CALPHAD label(s)" in done.output
    from alloyloop.db.audit import audit_entries
    from alloyloop.db.session import store_session

    with store_session(db_url) as session:  # only the stored import is in the audit log
        log = audit_entries(session)
    assert len(log) == 4 and {e.action for e in log} == {"label.import"}
    assert all(e.actor.startswith("cli:") and e.after["source"] == "calphad" for e in log)
    odd = runner.invoke(app, ["label", "import-calphad", str(_write(tmp_path, GOOD, "b.csv")),
                              "--threshold", "0.4", "--url", db_url])
    assert odd.exit_code == 1 and "give a mole fraction above 0.5" in odd.output
