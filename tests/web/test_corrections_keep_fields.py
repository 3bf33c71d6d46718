"""A correction keeps every field it does not change (issue 17: the correction of a label
whose evidence was a DOI came out with no evidence). One test per field, through the
store and the CLI (SQLite and PostgreSQL) and the web form ("Empty fields keep the old
label's value"); the store does the carrying (db.labels.supersede_label). Here, beside
the web fixtures, so that the three share one set of cases."""

from __future__ import annotations

import dataclasses

from collections.abc import Iterator

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from alloyloop.cli.app import app
from alloyloop.db.engine import make_engine, open_session
from alloyloop.db.labels import add_label, get_label, supersede_label
from alloyloop.db.records import LabelRecord

OLD = dict(composition="CoCrFeMnNi", outcome="single", phases="FCC", source="experiment", method="XRD",
           processing="annealed 1100C 24h", entered_by="alice", evidence_uri="doi:10.1016/j.actamat.2013.09.037",
           provenance="lab book 3, p. 12", note="first run")
# every field of a label but its identity: a new column is checked without editing this test
CARRIED = tuple(f.name for f in dataclasses.fields(LabelRecord)
                if f.name not in {"id", "alloy_id", "external_id", "created_at", "superseded_by"})
# one change per field, and the record fields it is allowed to alter
CHANGES = {
    "composition": ({"composition": "CoCrFeNi"}, {"alloy_key"}),
    "outcome": ({"outcome": "multi", "phases": "FCC+BCC"}, {"outcome", "phases"}),
    "phases": ({"phases": "BCC"}, {"phases"}),
    "source": ({"source": "literature"}, {"source", "method"}),  # literature's default method
    "method": ({"method": "SEM"}, {"method"}),
    "processing": ({"processing": "as-cast"}, {"processing", "anneal_temperature_c", "anneal_time_h"}),
    # who enters a correction is recorded, but is no change by itself (issue 28 item 8)
    "entered_by": ({"entered_by": "bob", "note": "entered by bob"}, {"entered_by", "note"}),
    "evidence_uri": ({"evidence_uri": "https://example.org/xrd.csv"}, {"evidence_uri"}),
    "provenance": ({"provenance": "re-read from the scan"}, {"provenance"}),
    "note": ({"note": "BCC after all"}, {"note"}),
}


@pytest.fixture
def session(any_db_url: str) -> Iterator[Session]:
    engine = make_engine(any_db_url)
    try:
        with open_session(engine) as s:
            yield s
    finally:
        engine.dispose()


def _carried_over(old, new, changed: set[str]) -> None:  # noqa: ANN001 - two LabelRecords
    for name in CARRIED:
        if name not in changed:
            assert getattr(new, name) == getattr(old, name), name
    for name in changed - {"anneal_temperature_c", "anneal_time_h"}:
        assert getattr(new, name) != getattr(old, name), name
    assert new.external_id is None and old.superseded_by == new.id


@pytest.mark.parametrize("field", list(CHANGES))
def test_store_correction_keeps_every_other_field(session, field: str) -> None:  # noqa: ANN001
    old = add_label(session, **OLD)
    change, changed = CHANGES[field]
    new = supersede_label(session, old.id, **change)
    _carried_over(get_label(session, old.id), new, changed)


def test_store_correction_with_no_field_given_is_refused(session) -> None:  # noqa: ANN001
    # issue 28 item 8: an empty correction used to store a copy that superseded the original
    from alloyloop.db.errors import InvalidValue

    old = add_label(session, **OLD)
    with pytest.raises(InvalidValue, match="change at least one of: outcome, phases"):
        supersede_label(session, old.id, outcome=None, note=None, evidence_uri=None)
    assert get_label(session, old.id).superseded_by is None


def test_store_correction_refuses_an_unknown_field(session) -> None:  # noqa: ANN001
    from alloyloop.db.errors import InvalidValue

    old = add_label(session, **OLD)
    with pytest.raises(InvalidValue, match="a correction can change"):
        supersede_label(session, old.id, evidnce="doi:10.1/x")
    assert get_label(session, old.id).superseded_by is None


CLI_OPTIONS = {"composition": "--composition", "outcome": "--outcome", "phases": "--phases", "source": "--source",
               "method": "--method", "processing": "--processing", "entered_by": "--by",
               "evidence_uri": "--evidence", "note": "--note"}


@pytest.mark.parametrize("field", list(CLI_OPTIONS))
def test_cli_correction_keeps_every_other_field(any_db_url: str, field: str) -> None:
    db_url = any_db_url
    engine = make_engine(db_url)
    try:
        with open_session(engine) as s:
            old = add_label(s, **OLD)
        change, changed = CHANGES[field]
        args = [a for name, value in change.items() for a in (CLI_OPTIONS[name], value)]
        if field != "entered_by":  # the CLI names the corrector (--by, default the login)
            args += ["--by", "alice"]
        result = CliRunner().invoke(app, ["label", "supersede", str(old.id), *args, "--url", db_url])
        assert result.exit_code == 0, result.output
        with open_session(engine) as s:
            before = get_label(s, old.id)
            _carried_over(before, get_label(s, before.superseded_by), changed)
    finally:
        engine.dispose()


FORM_CHANGES = {
    "outcome": ({"outcome": "multi", "phases": ["FCC", "BCC"]}, {"outcome", "phases"}),
    "phases": ({"phases": ["BCC"]}, {"phases"}),
    "source": ({"source": "literature"}, {"source", "method"}),
    "method": ({"method": "SEM"}, {"method"}),
    "processing": ({"processing": "as-cast"}, {"processing", "anneal_temperature_c", "anneal_time_h"}),
    "anneal": ({"processing": "annealed", "anneal_temperature_c": "900", "anneal_time_h": "5"},
               {"anneal_temperature_c", "anneal_time_h"}),
    "evidence_uri": ({"evidence_uri": "https://example.org/xrd.csv"}, {"evidence_uri"}),
    "note": ({"note": "BCC after all"}, {"note"}),
}


@pytest.mark.parametrize("field", list(FORM_CHANGES))
def test_web_correction_keeps_every_empty_field(client, lab, page_login, field: str) -> None:  # noqa: ANN001
    with lab.session() as s:
        old = add_label(s, **OLD)
    token = page_login(client, "lee")
    change, changed = FORM_CHANGES[field]
    # the form as the browser sends it: every other field empty
    blank = {name: "" for name in ("outcome", "source", "method", "processing", "anneal_temperature_c",
                                   "anneal_time_h", "evidence_uri", "note")}
    response = client.post(f"/labels/{old.id}/correct", data={"csrf_token": token, **blank, **change})
    assert response.status_code == 200 and "old label is kept" in response.text, response.text[-2000:]
    with lab.session() as s:
        before = get_label(s, old.id)
        new = get_label(s, before.superseded_by)
    _carried_over(before, new, changed | {"entered_by"})  # the web names the corrector: lee
