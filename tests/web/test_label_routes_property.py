"""Every route of a label accepts and refuses alike, and stores the same label (issue 28).

Hypothesis draws one label as a person would give it (valid and invalid values of every
field: outcome, phases, source, method, processing text and the form's kind /
temperature / time fields, evidence, note with long text and control characters, numbers
as text with decimal commas, JSON bools where numbers belong, the repeat mark) and drives
it through the five routes, each translating it the way that route's user would:

- the store function (:func:`alloyloop.db.audit.add_label_audited`);
- the JSON API (``POST /api/v1/labels``, numbers as JSON numbers where drawn as numbers);
- the web form (``POST /labels`` with the CSRF token, every value as text);
- the CLI (``alloyloop label add``, in-process: typer's click command, built once);
- a one-row CSV file, imported as ``alloyloop label import`` and the web's import page do.

All five must accept, or all refuse; an accepted label must be stored with every field
equal (same alloy key, outcome, phases, source, method, processing, anneal temperature
and time, evidence, note, who). The store is emptied of labels before each route, so no
route's label makes the next one a duplicate. One app and one SQLite store serve all
examples (the PostgreSQL regressions per defect are in test_label_rules_web.py and
tests/db/test_store_label_rules.py).
"""

from __future__ import annotations

import contextlib
import csv
import io
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
import typer

from alloyloop.cli.app import app as cli_app
from alloyloop.db.audit import add_label_audited, import_labels_audited
from alloyloop.db.engine import make_engine, open_session
from alloyloop.db.errors import InvalidValue, StoreError
from alloyloop.db.models import Alloy, Label
from alloyloop.db.vocab import Source, parse_method, parse_number, parse_outcome, parse_phases, parse_source
from alloyloop.web.app import create_app
from alloyloop.web.settings import WebSettings

EXAMPLES = int(__import__("os").environ.get("ROUTES_EXAMPLES", "500"))
ROUTES = ("store", "api", "form", "cli", "csv")

VALID_COMPOSITIONS = ["CoCrFeNi", "Al0,5CoCrFeNi", "Co20Cr20Fe20Mn20Ni20", " NbMoTaW ", "Al0.5CoCrFeNi at.%",
                      "(FeCoNi)90Al10"]
BAD_COMPOSITIONS = ["Xx", "", "CoCr\x00Fe", "A" * 250, "Fe;Ni"]
VALID_OUTCOMES = ["single", "multi", "SP", "multi-phase", " single ", "MP"]
BAD_OUTCOMES = ["maybe", "", "2"]
PHASES = ["FCC", "BCC", "HCP", "B2", "Laves", "IM", "sigma", "other", "fcc", "XYZ"]
VALID_SOURCES = ["experiment", "experiment", "calphad", "literature", "lab", "Literature"]
BAD_SOURCES = ["bogus", "simulation"]
VALID_METHODS = {"experiment": ["XRD", "SEM", "edx", "XRD"], "calphad": [None, "", "CALPHAD"],
                 "literature": [None, "", "unreported", "DFT", "XRD"]}
BAD_METHODS = ["XRF", "CALPHAD", "", None]
KINDS = ["as-cast", "annealed", "wrought", "powder"]
TEXTS = ["annealed 1100C 24h", "annealed@1373K/10h", "annealed 900 C for 30 min"]
BAD_TEXTS = ["annealed 99999C 24h", "annealed 1100C 0h", "melted", "as-cast 900C", "annealed 1100,5C 2h"]
VALID_TEMPERATURES = [None, "", "1100", "1100,5", " 950.25 ", "5000", "-273,14", "1e3", 1100.5, 900, -10.0]
BAD_TEMPERATURES = ["99999", "-300", "-273,15", "abc", "1.100,5", "nan", True, False, 5000.01]
VALID_TIMES = [None, "", "24", "0,5", "0.0000006", 0.5, 48, "1E2"]
BAD_TIMES = ["0", "1e-9", "0.0000004", 1e-9, "100001", "-1", "2 h", True]
VALID_EVIDENCE = [None, "", "doi:10.1000/xyz", "10.1016/j.actamat.2013.09.037", "https://example.org/x.pdf",
                  "http://lims.example/run/12", "urn:isbn:0451450523", "https://doi.org/10.1000/ABC"]
BAD_EVIDENCE = ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd",
                "see lab book", "https://e.org/" + "a" * 2000, "ftp://example.org/x", "https:///nohost"]
PRINTABLE = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40)
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
VALID_NOTES = st.one_of(st.none(), st.sampled_from(["", "  padded  ", "two\nlines", "crlf\r\nline", "tab\there",
                                                    "x" * 4000, "décembre – 5 µm"]), PRINTABLE)
BAD_NOTES = st.one_of(st.sampled_from(["x" * 4001, "bell\x07", "nul\x00", "a\x85b", "\ufffd", "esc\x1b[31m"]),
                      ANY_TEXT)


def pick(valid: Any, invalid: Any) -> st.SearchStrategy[Any]:
    """Mostly a valid value (7 in 8), else an invalid one (lists are sampled, strategies drawn)."""
    as_strategy = (lambda v: v if isinstance(v, st.SearchStrategy) else st.sampled_from(v))
    return st.integers(0, 7).flatmap(lambda i: as_strategy(valid if i else invalid))


@st.composite
def labels(draw: st.DrawFn) -> dict[str, Any]:
    """A label as a person might give it: each field mostly valid; sometimes every kind of wrong."""
    source = draw(pick(VALID_SOURCES, BAD_SOURCES))
    methods = VALID_METHODS.get(source.strip().lower(), VALID_METHODS["experiment"])
    mode = draw(st.integers(0, 4))  # how the processing is given
    processing = temperature = time_h = None
    if mode == 1:
        processing = draw(st.sampled_from(KINDS))
    elif mode == 2:
        processing = draw(pick(TEXTS, BAD_TEXTS))
    elif mode == 3:  # the form's fields: kind, temperature, time
        processing = draw(pick(["annealed"], ["as-cast", "", None, "annealed 1100C"]))
        temperature = draw(pick(VALID_TEMPERATURES, BAD_TEMPERATURES))
        time_h = draw(pick(VALID_TIMES, BAD_TIMES))
    elif mode == 4:
        processing = draw(st.sampled_from([None, ""] + KINDS + TEXTS + BAD_TEXTS))
        temperature = draw(st.sampled_from(VALID_TEMPERATURES + BAD_TEMPERATURES))
        time_h = draw(st.sampled_from(VALID_TIMES + BAD_TIMES))
    return {
        "composition": draw(pick(VALID_COMPOSITIONS, BAD_COMPOSITIONS)),
        "outcome": draw(pick(VALID_OUTCOMES, BAD_OUTCOMES)),
        "phases": draw(pick([[], [], ["FCC"], ["BCC"], ["fcc"], ["FCC", "BCC"], ["FCC", "IM"], ["BCC", "BCC"]],
                            st.lists(st.sampled_from(PHASES), min_size=1, max_size=3))),
        "source": source,
        "method": draw(pick(methods, BAD_METHODS)),
        "processing": processing,
        "anneal_temperature_c": temperature,
        "anneal_time_h": time_h,
        "evidence_uri": draw(pick(VALID_EVIDENCE, BAD_EVIDENCE)),
        "note": draw(pick(VALID_NOTES, BAD_NOTES)),
        "repeat": draw(st.booleans()),
    }


def _text(value: object) -> str:
    """A value as a person types it into a form, a command line or a cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _canonical(parse: Any, value: Any, *args: Any) -> Any:
    """The store's spelling of ``value`` where the store reads it (``SP`` → ``single``), else
    ``value`` as drawn, for the API to refuse."""
    try:
        parsed = parse(value, *args)
    except InvalidValue:
        return value
    return value if parsed is None or value in (None, "") else parsed


def as_json(label: dict[str, Any]) -> dict[str, Any]:
    """The label as a program writes it for the JSON API, whose schema takes the store's
    canonical spellings (``single``, ``XRD``) and JSON numbers: a client translates what a
    person typed (aliases, ``"1100,5"``) the way the store reads it, and sends anything the
    store cannot read as drawn (the API must refuse it as the other routes do)."""
    body = dict(label)
    body["outcome"] = str(_canonical(parse_outcome, label["outcome"]))
    source = _canonical(parse_source, label["source"])
    body["source"] = str(source) if source is not None else None
    if isinstance(source, Source):
        method = _canonical(parse_method, label["method"], source)
        body["method"] = str(method) if method is not None else None
    phases = _canonical(parse_phases, label["phases"])
    body["phases"] = [str(p) for p in phases] if isinstance(phases, list) else label["phases"]
    for field in ("anneal_temperature_c", "anneal_time_h"):
        value = label[field]
        if isinstance(value, str):
            number = _canonical(lambda v, f=field: parse_number(f, v, ""), value)
            body[field] = None if value.strip() == "" else number
    for field in ("evidence_uri", "note", "processing", "method", "source"):
        if body[field] == "":
            body[field] = None  # an empty form field is no value; JSON says so with null
    return body


class Routes:
    """One app, one store, one logged-in client for every example."""

    def __init__(self, url: str, data_dir: Path) -> None:
        from alloyloop.web.auth import add_account

        self.url, self.folder = url, data_dir
        self.engine = make_engine(url)
        with open_session(self.engine) as s:
            add_account(s, "lee", "correct horse battery", "lab", actor="test")
        self.client = TestClient(create_app(WebSettings(database_url=url, data_dir=data_dir)),
                                 base_url="http://127.0.0.1")
        login = self.client.post("/api/v1/session", json={"name": "lee", "password": "correct horse battery"})
        assert login.status_code == 200, login.text
        self.token = login.json()["csrf_token"]
        # the real CLI, built once (typer's CliRunner rebuilds the whole command tree per call)
        self.cli = typer.main.get_command(cli_app)

    def stored(self) -> list[tuple[object, ...]]:
        """Every label in the store, as the fields a route must keep."""
        with open_session(self.engine) as s:
            rows = s.execute(select(Label, Alloy.key).join(Alloy, Alloy.id == Label.alloy_id)).tuples().all()
            return [(key, r.outcome, tuple(r.phases), r.source, r.method, r.processing, r.anneal_temperature_c,
                     r.anneal_time_h, r.evidence_uri, r.note, r.entered_by) for r, key in rows]

    def clear(self) -> None:
        with open_session(self.engine) as s:
            s.execute(delete(Label))
            s.commit()

    def store(self, label: dict[str, Any]) -> bool:
        with open_session(self.engine) as s:
            try:
                add_label_audited(s, actor="test", entered_by="lee", **(label | {"phases": label["phases"] or None}))
            except StoreError:
                return False
        return True

    def api(self, label: dict[str, Any]) -> bool:
        response = self.client.post("/api/v1/labels", headers={"X-CSRF-Token": self.token}, json=as_json(label))
        assert response.status_code in (201, 422), response.text
        if response.status_code == 422:
            assert response.json()["problems"], response.text  # each problem names field, value, fix
        return response.status_code == 201

    def form(self, label: dict[str, Any]) -> bool:
        data: dict[str, Any] = {k: _text(v) for k, v in label.items() if k not in ("phases", "repeat")}
        data |= {"csrf_token": self.token, "phases": label["phases"]}
        if label["repeat"]:
            data["repeat"] = "yes"
        response = self.client.post("/labels", data=data, follow_redirects=False)
        assert response.status_code in (303, 422), response.text[-3000:]
        if response.status_code == 422:
            assert "Nothing was stored" in response.text
        return response.status_code == 303

    def command(self, label: dict[str, Any]) -> bool:
        options = {"composition": "--composition", "outcome": "--outcome", "source": "--source",
                   "method": "--method", "processing": "--processing",
                   "anneal_temperature_c": "--anneal-temperature", "anneal_time_h": "--anneal-time",
                   "evidence_uri": "--evidence", "note": "--note"}
        args = [f"{opt}={_text(label[k])}" for k, opt in options.items() if label[k] is not None]
        if label["phases"]:
            args.append(f"--phases={'+'.join(label['phases'])}")
        if label["repeat"]:
            args.append("--repeat")
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = self.cli.main(["label", "add", *args, "--by=lee", f"--url={self.url}"], prog_name="alloyloop",
                                 standalone_mode=False)
        assert code in (None, 0, 1), out.getvalue()
        if code == 1:
            assert "error:" in out.getvalue() and "not allowed" in out.getvalue() or "--evidence" in out.getvalue()
        return not code

    def sheet(self, label: dict[str, Any]) -> bool:
        """A one-row CSV through the import the CLI's ``label import`` and the web's import
        page both run (:func:`alloyloop.db.audit.import_labels_audited`)."""
        path = self.folder / "one-row.csv"
        row = {k: _text(v) for k, v in label.items() if k != "phases"}
        row |= {"phases": "+".join(label["phases"]), "repeat": "yes" if label["repeat"] else ""}
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, list(row))
            writer.writeheader()
            writer.writerow(row)
        with open_session(self.engine) as s:
            report = import_labels_audited(s, path, actor="test", default_entered_by="lee")
        assert report.stored != bool(report.problems), report
        return report.stored


def test_every_route_accepts_and_refuses_alike_and_stores_the_same_label(fresh_store, tmp_path: Path) -> None:  # noqa: ANN001
    routes = Routes(fresh_store("sqlite"), tmp_path / "data")
    routes.folder.mkdir(parents=True, exist_ok=True)
    seen = {"accepted": 0, "refused": 0}
    started = time.perf_counter()

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(labels())
    def check(label: dict[str, Any]) -> None:
        verdicts, kept = {}, {}
        for name, route in zip(ROUTES, (routes.store, routes.api, routes.form, routes.command, routes.sheet)):
            routes.clear()
            verdicts[name] = route(label)
            kept[name] = routes.stored()
            assert len(kept[name]) == (1 if verdicts[name] else 0), (name, kept[name])
        assert len(set(verdicts.values())) == 1, (verdicts, label)
        if verdicts["store"]:
            assert all(kept[name] == kept["store"] for name in ROUTES), (kept, label)
        seen["accepted" if verdicts["store"] else "refused"] += 1

    try:
        check()
    finally:
        routes.client.close()
        routes.engine.dispose()
    elapsed = time.perf_counter() - started
    print(f"\nroutes property test: {sum(seen.values())} examples ({seen['accepted']} accepted by all "
          f"five routes, {seen['refused']} refused by all) in {elapsed:.1f} s")
    assert seen["accepted"] >= EXAMPLES // 20 and seen["refused"] >= EXAMPLES // 4  # both sides drawn
