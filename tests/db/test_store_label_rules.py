"""Issue 28 items 6, 7 and 8 through the store, the CLI and the CSV import (SQLite and
PostgreSQL): one set of label rules, enforced in the store, whatever the route.

- item 6: what the web refused the CLI and CSV stored (99,999 °C, 0 h, ``javascript:``
  evidence, 5,000-character notes); ``1e-9`` h was stored as 0 h; ``true`` as 1 °C;
- item 7: identical labels were stored again and again (and a re-exported file with an
  extra empty row was imported twice);
- item 8: a correction that changes nothing superseded the original with a copy.

The web form and the JSON API have theirs in tests/web/test_label_rules_web.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alloyloop.cli.app import app
from alloyloop.db.errors import DuplicateLabel, InvalidValue, InvalidValues
from alloyloop.db.label_import import import_labels_csv
from alloyloop.db.labels import add_label, get_label, labels_for, supersede_label
from alloyloop.db.models import Label

GOOD = dict(composition="CoCrFeNi", outcome="single", phases="FCC", source="experiment", method="XRD")

# (store keyword arguments, the field blamed, a word of the fix)
BAD = {
    "hot": ({"processing": "annealed 99999C 24h"}, "processing", "at most 5000"),
    "no time": ({"processing": "annealed 1100C 0h"}, "processing", "above 0"),
    "1e-9 h": ({"processing": "annealed", "anneal_time_h": "1e-9"}, "anneal_time_h", "1e-06 hours steps"),
    "true as a number": ({"processing": "annealed", "anneal_temperature_c": True}, "anneal_temperature_c",
                         "number in °C"),
    "javascript": ({"evidence_uri": "javascript:alert(1)"}, "evidence_uri", "https://"),
    "data": ({"evidence_uri": "data:text/html,<script>alert(1)</script>"}, "evidence_uri", "https://"),
    "passwd": ({"evidence_uri": "file:///etc/passwd"}, "evidence_uri", "upload"),
    "long note": ({"note": "x" * 5000}, "note", "at most 4000 characters"),
}


def _count(session) -> int:  # noqa: ANN001
    return session.execute(select(func.count()).select_from(Label)).scalar_one()


def _cli(*args: str) -> object:
    return CliRunner().invoke(app, ["label", *args])


def _cli_args(fields: dict[str, object]) -> list[str]:
    options = {"composition": "-c", "outcome": "-o", "phases": "-p", "source": "-s", "method": "-m",
               "processing": "--processing", "anneal_temperature_c": "--anneal-temperature",
               "anneal_time_h": "--anneal-time", "evidence_uri": "--evidence", "note": "--note"}
    return [a for k, v in fields.items() for a in (options[k], str(v).lower() if isinstance(v, bool) else str(v))]


def _csv(tmp_path: Path, rows: list[dict[str, object]], name: str = "labels.csv", extra: str = "",
         delimiter: str = ",") -> Path:
    import csv

    columns = sorted({k for r in rows for k in r})
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, delimiter=delimiter)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: (str(v).lower() if isinstance(v, bool) else v) for k, v in r.items()})
        handle.write(extra)
    return path


# --- item 6: one set of rules -----------------------------------------------------------

@pytest.mark.parametrize("case", list(BAD))
def test_item6_every_route_refuses_what_the_web_refuses(session, db_url: str, tmp_path: Path, case: str) -> None:  # noqa: ANN001
    fields, field, hint = BAD[case]
    with pytest.raises(InvalidValue) as info:
        add_label(session, **(GOOD | fields))
    assert info.value.field == field and hint in info.value.fix
    result = _cli("add", *_cli_args(GOOD | fields), "--url", db_url)
    assert result.exit_code == 1 and ("not allowed" in result.output or "not accepted" in result.output), result.output
    assert field in result.output or "--evidence" in result.output  # a local file is copied, if its type fits
    report = import_labels_csv(session, _csv(tmp_path, [GOOD | fields]))
    assert not report.stored and [(p.row, p.column) for p in report.problems] == [(2, field)], report.problems
    assert hint in report.problems[0].fix
    assert _count(session) == 0


def test_item6_decimal_commas_and_numbers_mean_the_same_on_every_route(session, db_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    numbers = {"processing": "annealed", "anneal_temperature_c": "1100,5", "anneal_time_h": "0,5"}
    first = add_label(session, **(GOOD | numbers | {"note": "store"}))
    assert (first.processing, first.anneal_temperature_c, first.anneal_time_h) == ("annealed", 1100.5, 0.5)
    result = _cli("add", *_cli_args(GOOD | numbers | {"note": "cli"}), "--repeat", "--url", db_url)
    assert result.exit_code == 0, result.output
    path = _csv(tmp_path, [GOOD | numbers | {"note": "csv", "repeat": "yes"}])
    assert import_labels_csv(session, path).stored
    # the anneal written in the processing text is the same anneal
    text = add_label(session, **(GOOD | {"processing": "annealed 1373.65K 30min", "note": "text", "repeat": True}))
    assert (text.anneal_temperature_c, text.anneal_time_h) == (1100.5, 0.5)
    session.expire_all()
    kept = {(lb.note, lb.anneal_temperature_c, lb.anneal_time_h) for lb in labels_for(session, "CoCrFeNi")}
    assert kept == {(n, 1100.5, 0.5) for n in ("store", "cli", "csv", "text")}


def test_item6_several_bad_fields_are_all_reported(session, db_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    bad = {"outcome": "maybe", "processing": "annealed 99999C 24h", "evidence_uri": "javascript:x", "note": "y" * 4001}
    with pytest.raises(InvalidValues) as info:
        add_label(session, **(GOOD | bad))
    assert [e.field for e in info.value.errors] == ["outcome", "processing", "evidence_uri", "note"]
    result = _cli("add", *_cli_args(GOOD | bad), "--url", db_url)
    assert result.exit_code == 1 and "4 values are not allowed" in result.output
    for word in ("outcome 'maybe'", "processing 'annealed 99999C 24h'", "evidence_uri 'javascript:x'", "note"):
        assert word in result.output
    report = import_labels_csv(session, _csv(tmp_path, [GOOD | bad]))
    assert sorted(p.column for p in report.problems) == ["evidence_uri", "note", "outcome", "processing"]
    assert _count(session) == 0


def test_item6_cli_copies_a_local_evidence_file_into_the_evidence_folder(
        session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("ALLOYLOOP_HOME", str(tmp_path / "data"))
    scan = tmp_path / "scan 17.xy"
    scan.write_text("20 100\n20.02 103\n", encoding="utf-8")
    result = _cli("add", *_cli_args(GOOD), "--evidence", str(scan), "--url", db_url)
    assert result.exit_code == 0, result.output
    session.expire_all()
    uri = labels_for(session, "CoCrFeNi")[0].evidence_uri
    assert uri.startswith("file://") and uri.endswith("#scan%2017.xy") and "/evidence/" in uri


# --- item 7: duplicates -----------------------------------------------------------------

def test_item7_store_and_cli_refuse_an_identical_label_unless_repeat(session, db_url: str) -> None:  # noqa: ANN001
    first = add_label(session, **GOOD, evidence_uri="doi:10.1000/x1", note="first")
    with pytest.raises(DuplicateLabel) as info:  # another note does not make it another observation
        add_label(session, **GOOD, evidence_uri="https://doi.org/10.1000/X1", note="again")
    assert info.value.existing_id == first.id and f"label #{first.id}" in str(info.value)
    result = _cli("add", *_cli_args(GOOD | {"evidence_uri": "doi:10.1000/x1"}), "--url", db_url)
    assert result.exit_code == 1 and f"already has this label (label #{first.id}" in result.output
    assert "--repeat" in result.output
    assert _count(session) == 1
    assert _cli("add", *_cli_args(GOOD | {"evidence_uri": "doi:10.1000/x1"}), "--repeat",
                "--url", db_url).exit_code == 0
    add_label(session, **GOOD, evidence_uri="doi:10.1000/x1", repeat=True)
    # other phases, processing or evidence: another observation
    add_label(session, **(GOOD | {"phases": None}), evidence_uri="doi:10.1000/x1")
    add_label(session, **GOOD, evidence_uri="doi:10.1000/x1", processing="as-cast")
    add_label(session, **GOOD, evidence_uri="doi:10.1000/x2")
    # a superseded label is no longer current: its values may be entered again
    newer = supersede_label(session, first.id, outcome="multi", phases="FCC+BCC")
    supersede_label(session, newer.id, outcome="single", phases="FCC")
    session.expire_all()
    assert _count(session) == 8


def test_item7_csv_flags_and_skips_duplicates_and_knows_a_reimport_by_content(session, tmp_path: Path) -> None:  # noqa: ANN001
    stored = add_label(session, **GOOD)
    rows = [GOOD, GOOD | {"composition": "CoCrFeMnNi"}, GOOD | {"composition": "Co25Cr25Fe25Mn25Ni25"},
            GOOD | {"composition": "NbMoTaW", "outcome": "single", "phases": "BCC"},
            GOOD | {"composition": "NbMoTaW", "outcome": "single", "phases": "BCC", "repeat": "yes"}]
    path = _csv(tmp_path, [r | {"repeat": r.get("repeat", "")} for r in rows])
    preview = import_labels_csv(session, path, dry_run=True)
    assert preview.ok and not preview.stored and (preview.new, preview.skipped) == (3, 2)
    assert [(r.row, r.duplicate_of) for r in preview.preview] == [
        (2, f"label #{stored.id}"), (3, None), (4, "row 3"), (5, None), (6, None)]
    assert _count(session) == 1
    report = import_labels_csv(session, path)
    assert report.stored and (report.new, report.skipped) == (3, 2) and _count(session) == 4
    assert [r.label_id is None for r in report.preview] == [True, False, True, False, False]
    # the same sheet exported again (by Excel: semicolons) with an empty row at the end:
    # other bytes, same content
    again = _csv(tmp_path, [r for r in rows if "repeat" not in r], name="labels-again.csv", extra=";;;;\r\n",
                 delimiter=";")
    refused = import_labels_csv(session, again)
    assert not refused.stored and "imported before: nothing new" in refused.problems[0].fix
    assert _count(session) == 4


def test_item7_cli_import_reports_skipped_duplicates(session, db_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    path = _csv(tmp_path, [GOOD, GOOD, GOOD | {"composition": "CoCrFeMnNi"}])
    result = _cli("import", str(path), "--url", db_url)
    assert result.exit_code == 0, result.output
    assert "stored 2 label(s); skipped 1 duplicate row(s)" in result.output and "duplicate of row 2" in result.output
    again = _cli("import", str(_csv(tmp_path, [GOOD], name="one.csv")), "--url", db_url)
    assert again.exit_code == 1 and "imported before: nothing new" in again.output
    assert _count(session) == 2


# --- item 8: empty corrections ----------------------------------------------------------

def test_item8_a_correction_that_changes_nothing_is_refused(session, db_url: str) -> None:  # noqa: ANN001
    old = add_label(session, **GOOD, processing="annealed 1100C 24h", note="first")
    for changes in ({}, {"entered_by": "bob"}, {"outcome": "single", "phases": "FCC", "method": "XRD"},
                    {"processing": "annealed", "anneal_temperature_c": "1100", "anneal_time_h": "24"}):
        with pytest.raises(InvalidValue) as info:
            supersede_label(session, old.id, **changes)
        assert info.value.field == "correction" and "change at least one of: outcome, phases" in info.value.fix
    result = _cli("supersede", str(old.id), "--url", db_url)
    assert result.exit_code == 1 and "change at least one of: outcome, phases" in result.output
    same = _cli("supersede", str(old.id), "-o", "single", "--note", "first", "--url", db_url)
    assert same.exit_code == 1 and "gives the label's own values" in same.output
    session.expire_all()
    assert get_label(session, old.id).superseded_by is None and _count(session) == 1
    # one real change goes through, and keeps the rest
    new = supersede_label(session, old.id, anneal_time_h="48")
    assert (new.processing, new.anneal_temperature_c, new.anneal_time_h) == ("annealed", 1100.0, 48.0)


def test_item7_ten_concurrent_identical_writers_store_one_label(db_url: str) -> None:
    """The duplicate check runs with the alloy locked: ten writers at once, one label."""
    import threading

    from alloyloop.db.engine import make_engine, open_session

    engine = make_engine(db_url)
    start, outcomes = threading.Barrier(10), []

    def write() -> None:
        with open_session(engine) as s:
            start.wait()
            try:
                add_label(s, **GOOD)
                outcomes.append("stored")
            except DuplicateLabel:
                outcomes.append("duplicate")

    threads = [threading.Thread(target=write) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        with open_session(engine) as s:
            assert sorted(outcomes) == ["duplicate"] * 9 + ["stored"] and _count(s) == 1
    finally:
        engine.dispose()
