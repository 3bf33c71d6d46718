"""Property test of the JSON API's write bodies: 500 generated bad bodies per route.

Each body is a valid one broken in one known way (a wrong type, a value outside the
vocabulary or range, NUL / control characters / lone surrogates, too long text, NaN and
Infinity, a misspelt or extra field, a missing required field, not an object, not JSON).
The answer must be a 4xx JSON error whose ``detail`` explains it (422: every problem with
its field and fix), never a 500 — and nothing may be written: labels, alloys, suggestion
statuses and events, the audit log and the login sessions stay exactly as they were.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from alloyloop.db.engine import make_engine, open_session
from alloyloop.db.models import Alloy, AuditEntry, Label, LoginSession, Suggestion, SuggestionEvent

CONTROL = ["a\x00b", "\x00", "x\x07y", "\x1b[2J", "\ud800", "ok\udfff"]
LABEL_BAD = {
    "composition": [5, None, [], {"Co": "x"}, "CoCrXx", "co", "Co-1Cr", "Co0Cr0", "((", "", "  ", "Co" * 101, *CONTROL],
    "outcome": [1, True, None, [], "singel", "", "x" * 41, "SINGLE?", *CONTROL],
    "phases": [1, {"a": 1}, ["FCCC"], ["FCC"] * 21, "x" * 201, [None], [1], "alpha", *CONTROL],
    "source": [1, [], "labb", "x" * 41, "🙂", *CONTROL],
    "method": [1, {}, "XRDD", "x" * 41, *CONTROL],
    "processing": [1, [], "baked", "annealed -300C", "x" * 121, "annealed 1e999C", *CONTROL],
    "anneal_temperature_c": ["hot", [], {}, -300, 5001, 1e308, "NaN", "Infinity", "-Infinity"],
    "anneal_time_h": ["long", -1, 0, 100_001, "NaN", "Infinity"],
    "evidence_uri": [1, "not a uri", "x" * 2001, *CONTROL],
    "note": [1, [], {"a": 1}, "x" * 4001, *CONTROL],
}
RAW = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity"}  # sent as JSON literals
EXTRA_KEYS = ["outcom", "Composition", "id", "__proto__", "", "label_id", "entered_by", "x" * 300]
NOT_OBJECTS = [b"", b"{", b"[]", b"null", b"42", b'"text"', b"\xff\xfe", b"{'a': 1}", b'{"a": 1,}', b"[{}]",
               b'{"outcome": "single"' + b" " * 10, b"\x00"]


def _dump(body: dict) -> bytes:
    text = json.dumps(body, allow_nan=True)
    for marker, literal in RAW.items():
        text = text.replace(json.dumps(f"@@{marker}@@"), literal)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def broken(draw: st.DrawFn, valid: dict, bad_values: dict, required: tuple[str, ...]) -> bytes:
    body = dict(valid)
    kind = draw(st.sampled_from(["value", "value", "value", "value", "extra", "missing", "raw"]))
    if kind == "raw" or (kind == "missing" and not required):
        return draw(st.sampled_from(NOT_OBJECTS))
    if kind == "missing":
        body.pop(draw(st.sampled_from(required)))
        return _dump(body)
    if kind == "extra":
        body[draw(st.sampled_from(EXTRA_KEYS))] = draw(st.sampled_from(["x", 1, None, []]))
        return _dump(body)
    for _ in range(draw(st.integers(1, 2))):
        field = draw(st.sampled_from(sorted(bad_values)))
        value = draw(st.sampled_from(bad_values[field]))
        body[field] = f"@@{value}@@" if isinstance(value, str) and value in RAW and field.startswith("anneal") \
            else value
        if field.startswith("anneal") and "processing" not in body:
            body["processing"] = "annealed"
    return _dump(body)


LABEL = {"composition": "CoCrNi", "outcome": "single", "method": "XRD"}
# a correction keeps every field it leaves out: null or blank means "keep", so it is not bad there
SUPERSEDE_BAD = {k: [v for v in values if v is not None and not (isinstance(v, str) and not v.strip())]
                 for k, values in LABEL_BAD.items()}
ROUTES = {
    "label": ("/api/v1/labels", LABEL, LABEL_BAD, ("composition", "outcome")),
    "suggestion-label": ("/api/v1/suggestions/{s}/label", {"outcome": "single", "method": "XRD"},
                         {k: v for k, v in LABEL_BAD.items() if k != "composition"}, ("outcome",)),
    "supersede": ("/api/v1/labels/{l}/supersede", {"outcome": "multi", "phases": ["FCC", "BCC"]}, SUPERSEDE_BAD, ()),
    "status": ("/api/v1/suggestions/{s}/status", {"status": "queued", "note": "made it"},
               {"status": [1, None, [], "done", "labelled", "suggested", "stale", "x" * 41, *CONTROL],
                "note": [1, [], "x" * 2001, *CONTROL]}, ("status",)),
    "login": ("/api/v1/session", {"name": "lee", "password": "correct horse battery"},
              {"name": [1, None, [], "x" * 121, *CONTROL], "password": [1, None, {}, "x" * 1025, *CONTROL]},
              ("name", "password")),
}


@pytest.fixture
def fuzz(client, lab, api_login) -> Iterator[tuple]:  # noqa: ANN001
    """(client, headers, ids, snapshot()) with one label to supersede."""
    headers = {"X-CSRF-Token": api_login(client, "lee"), "Content-Type": "application/json"}
    made = client.post("/api/v1/labels", headers=headers, json={**LABEL, "composition": "CoCrFeNi"})
    assert made.status_code == 201, made.text
    ids = {"s": lab.suggestion_ids[0], "l": made.json()["id"]}
    engine = make_engine(lab.url)

    def snapshot() -> tuple:
        with open_session(engine) as s:
            counts = tuple(s.execute(select(func.count()).select_from(t)).scalar_one()
                           for t in (Label, Alloy, SuggestionEvent, LoginSession))
            # a refused login is itself logged (user.login_failed): every other entry counts
            audited = s.execute(select(func.count()).select_from(AuditEntry)
                                .where(AuditEntry.action != "user.login_failed")).scalar_one()
            counts += (audited,)
            statuses = tuple(s.execute(select(Suggestion.status).order_by(Suggestion.id)).scalars())
        return counts, statuses

    yield client, headers, ids, snapshot
    engine.dispose()


def _check(fuzz, route: str, raw: bytes) -> None:  # noqa: ANN001
    client, headers, ids, snapshot = fuzz
    path = ROUTES[route][0].format(**ids)
    before = snapshot()
    response = client.post(path, content=raw, headers=headers)
    assert 400 <= response.status_code < 500, (route, raw[:300], response.status_code, response.text[:500])
    assert response.status_code != 404, (route, response.text)
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert isinstance(answer["detail"], str) and len(answer["detail"]) > 10, answer
    if response.status_code == 422:
        assert answer.get("problems"), answer
        for problem in answer["problems"]:
            assert problem["field"] and problem["fix"], answer
    assert snapshot() == before, f"{route}: a refused body changed the store: {raw[:300]!r}"


def _given(route: str):  # noqa: ANN202
    _, valid, bad, required = ROUTES[route]
    return given(raw=broken(valid, bad, required))


SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@_given("label")
def test_bad_label_bodies(fuzz, raw: bytes) -> None:  # noqa: ANN001
    _check(fuzz, "label", raw)


@SETTINGS
@_given("suggestion-label")
def test_bad_suggestion_label_bodies(fuzz, raw: bytes) -> None:  # noqa: ANN001
    _check(fuzz, "suggestion-label", raw)


@SETTINGS
@_given("supersede")
def test_bad_supersede_bodies(fuzz, raw: bytes) -> None:  # noqa: ANN001
    _check(fuzz, "supersede", raw)


@SETTINGS
@_given("status")
def test_bad_status_bodies(fuzz, raw: bytes) -> None:  # noqa: ANN001
    _check(fuzz, "status", raw)


@SETTINGS
@_given("login")
def test_bad_login_bodies(fuzz, raw: bytes) -> None:  # noqa: ANN001
    _check(fuzz, "login", raw)
