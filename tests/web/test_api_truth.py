"""Issue 28, items 11 and 12: the OpenAPI document says what the server does, and error
texts speak the lab's language (no Python class names, no ``None``, no list index as a
field, no problem blamed on the wrong field), ``/labels`` refuses a bad date instead of
showing everything, and a label form sent after the login expired keeps what was typed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from alloyloop.db.labels import labels_for
from alloyloop.db.models import LoginSession
from alloyloop.db.vocab import Method, Phase, ProcessingKind, Source
from alloyloop.featurize.outcomes import Outcome
from alloyloop.db.labels import MAX_LENGTH
from alloyloop.db.vocab import TEMPERATURE_C, TIME_H
from alloyloop.web.services import WEB_STATUSES

from .conftest import PASSWORD

INTERNALS = re.compile(r"UploadFile|<class|Traceback|'None'|\bNone\b|pydantic|Input should be")


def _schema(client) -> dict:  # noqa: ANN001
    return client.get("/api/openapi.json").json()


def _operations(doc: dict):  # noqa: ANN202
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            yield path, method, op


def _resolve(doc: dict, node: dict) -> dict:
    while "$ref" in node:
        node = doc["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _plain(html: str) -> str:
    """The page's text without tags (alloy names are split into nowrap pieces)."""
    return re.sub(r"<[^>]+>", "", html)


def _enum_of(doc: dict, node: dict) -> list[str]:
    """The enum of a property (through ``$ref``, ``anyOf`` with null, and array items)."""
    node = _resolve(doc, node)
    for option in node.get("anyOf", []):
        option = _resolve(doc, option)
        if "enum" in option:
            return option["enum"]
        if option.get("type") == "array":
            return _enum_of(doc, option["items"])
    if node.get("type") == "array":
        return _enum_of(doc, node["items"])
    return node["enum"]


def test_every_error_status_is_documented_with_the_body_the_server_sends(client) -> None:  # noqa: ANN001
    doc = _schema(client)
    assert "HTTPValidationError" not in doc["components"]["schemas"]  # FastAPI's own 422 body: not ours
    error = doc["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["detail"] and set(error["properties"]) == {"detail", "problems"}
    assert set(doc["components"]["schemas"]["Problem"]["required"]) == {"field", "value", "fix"}
    for path, method, op in _operations(doc):
        codes = {int(c) for c in op["responses"] if c.isdigit() and int(c) >= 400}
        assert 401 in codes, (method, path)  # no login, or a wrong one
        if method == "post":
            assert {400, 413, 422} <= codes, (method, path)
        if method in ("post", "delete") and path != "/api/v1/session":
            assert 403 in codes, (method, path)  # role or CSRF token
        if "{" in path:
            assert 404 in codes or path.endswith("/commit"), (method, path)
        for code in codes - ({409, 422} if path.endswith("/commit") else set()):
            ref = op["responses"][str(code)]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorBody"), (method, path, code)
    login = doc["paths"]["/api/v1/session"]["post"]["responses"]
    assert "Retry-After" in login["429"]["headers"]


def test_label_vocabularies_and_bounds_come_from_the_store(client) -> None:  # noqa: ANN001
    doc = _schema(client)
    label = doc["components"]["schemas"]["LabelIn"]["properties"]
    assert _enum_of(doc, label["outcome"]) == [o.value for o in Outcome]
    assert _enum_of(doc, label["source"]) == [s.value for s in Source]
    assert _enum_of(doc, label["method"]) == [m.value for m in Method]
    processing = _resolve(doc, label["processing"])["anyOf"][0]  # a kind or the whole anneal text
    assert processing["type"] == "string" and processing["maxLength"] == MAX_LENGTH["processing"]
    assert all(k.value in processing["description"] for k in ProcessingKind)
    assert _enum_of(doc, label["phases"]) == [p.value for p in Phase]
    status = doc["components"]["schemas"]["StatusIn"]["properties"]["status"]
    assert _enum_of(doc, status) == [s.value for s in WEB_STATUSES]
    temperature = _resolve(doc, label["anneal_temperature_c"])["anyOf"][0]
    hours = _resolve(doc, label["anneal_time_h"])["anyOf"][0]
    assert (temperature["exclusiveMinimum"], temperature["maximum"]) == TEMPERATURE_C
    assert (hours["exclusiveMinimum"], hours["maximum"]) == TIME_H
    assert "links" in doc["paths"]["/api/v1/labels"]["post"]["responses"]["201"]


def test_a_label_built_from_the_schema_is_stored(client, lab, api_login) -> None:  # noqa: ANN001
    """Every enum value the schema offers for source is one the server takes."""
    headers = {"X-CSRF-Token": api_login(client, "lee")}
    method_for = {"experiment": "XRD", "calphad": "CALPHAD", "literature": "DFT"}
    for source in _enum_of(_schema(client), _schema(client)["components"]["schemas"]["LabelIn"]["properties"]["source"]):
        made = client.post("/api/v1/labels", headers=headers, json={
            "composition": "NbMoTaW", "outcome": "single", "phases": ["BCC"], "source": source,
            "method": method_for[source], "processing": "annealed", "anneal_temperature_c": 1200,
            "anneal_time_h": 0.5})
        assert made.status_code == 201, made.text
    with lab.session() as s:
        assert sorted(lb.source for lb in labels_for(s, "NbMoTaW")) == sorted(method_for)


@pytest.mark.parametrize(("field", "value"), [
    ("outcome", "Single"), ("source", "EXP"), ("method", "xrd"), ("processing", "annealed 1100C 24h"),
    ("anneal_temperature_c", "1100"), ("anneal_temperature_c", True), ("anneal_time_h", 0),
    ("anneal_temperature_c", TEMPERATURE_C[1] + 1), ("phases", ["FCC", "fcc"]), ("phases", "FCC + BCC"),
    ("note", 5)])
def test_what_the_schema_refuses_the_server_refuses(client, lab, api_login, field, value) -> None:  # noqa: ANN001
    headers = {"X-CSRF-Token": api_login(client, "lee")}
    body = {"composition": "CoCrNi", "outcome": "multi", "method": "XRD", "processing": "annealed",
            "anneal_temperature_c": 900, "anneal_time_h": 2, field: value}
    refused = client.post("/api/v1/labels", headers=headers, json=body)
    assert refused.status_code == 422, refused.text
    answer = refused.json()
    assert set(answer) == {"detail", "problems"}
    [problem] = answer["problems"]
    assert problem["field"] == field and set(problem) == {"field", "value", "fix"}
    assert not INTERNALS.search(answer["detail"])
    with lab.session() as s:
        assert labels_for(s, "CoCrNi") == []


def test_405_names_every_method_of_the_path(client) -> None:  # noqa: ANN001
    for path, allowed in (("/api/v1/labels", "GET, POST"), ("/api/v1/session", "DELETE, POST"),
                          ("/api/v1/labels/1", "GET")):
        answer = client.put(path, json={})
        assert answer.status_code == 405 and answer.headers["allow"] == allowed, (path, answer.headers)
        assert answer.json()["detail"] == f"PUT is not allowed here: use {allowed}"


CSV_BAD = "composition,outcome,phases,source,method\nCoCrNi,single,FCC,experiment,XRD\nCoCrFeNiQq,single,FCC,experiment,XRD\n"
CSV_GOOD = "composition,outcome,phases,source,method\nCoCrNi,single,FCC,experiment,XRD\n"


def test_committing_a_preview_with_bad_rows_is_422_not_409(client_any, lab_any, api_login) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    headers = {"X-CSRF-Token": api_login(client, "lee")}
    bad = client.post("/api/v1/imports", headers=headers, files={"file": ("bad.csv", CSV_BAD, "text/csv")}).json()
    commit = client.post(f"/api/v1/imports/{bad['token']}/commit", headers=headers)
    assert commit.status_code == 422 and not commit.json()["ok"] and not commit.json()["stored"]
    good = client.post("/api/v1/imports", headers=headers, files={"file": ("good.csv", CSV_GOOD, "text/csv")}).json()
    assert client.post(f"/api/v1/imports/{good['token']}/commit", headers=headers).status_code == 200
    again = client.post(f"/api/v1/imports/{good['token']}/commit", headers=headers)
    assert again.status_code == 409 and "imported before" in again.json()["problems"][0]["fix"]
    with lab.session() as s:
        assert len(labels_for(s, "CoCrNi")) == 1


def test_error_texts_name_what_the_client_sent(client, api_login) -> None:  # noqa: ANN001
    headers = {"X-CSRF-Token": api_login(client, "lee")}
    text_not_file = client.post("/api/v1/evidence", headers=headers, data={"file": "just text"})
    assert text_not_file.status_code == 422, text_not_file.text
    assert not INTERNALS.search(text_not_file.text) and "multipart field 'file'" in text_not_file.text
    broken = client.post("/api/v1/labels", headers=headers | {"Content-Type": "application/json"},
                         content=b'{"outcome": "single",')
    assert broken.status_code == 422 and broken.json()["problems"][0]["field"] == "body"
    assert broken.json()["problems"][0]["value"] is None
    unreadable = client.post("/api/v1/labels", headers=headers | {"Content-Type": "application/json"},
                             content=b'{"composition": "\xff"}')
    assert unreadable.status_code == 400 and "UTF-8" in unreadable.json()["detail"]
    form = client.post("/labels", data={"csrf_token": headers["X-CSRF-Token"], "outcome": "single", "method": "XRD",
                                        "source": "experiment"})
    assert form.status_code == 422 and "<strong>Composition</strong>: missing composition" in form.text
    assert not INTERNALS.search(re.sub(r"<[^>]+>", " ", form.text))


def test_a_bad_wavelength_is_the_wavelengths_problem(client, page_login) -> None:  # noqa: ANN001
    token = page_login(client, "lee")
    answer = client.post("/labels/xrd", data={"csrf_token": token, "composition": "CoCrFeNi",
                                               "wavelength": "banana"},
                         files={"pattern": ("scan.xy", b"20 1\n21 2\n22 1\n", "text/plain")})
    assert answer.status_code == 422
    problem = re.search(r"<li><strong>([^<]+)</strong>\s*“([^”]*)”", answer.text)
    assert problem is not None and problem.groups() == ("Wavelength", "banana"), answer.text


@pytest.mark.parametrize(("query", "named"), [
    ("from=2026-13-45", "from '2026-13-45'"), ("since=2026-02-30", "since '2026-02-30'"),
    ("to=20261130", "to '20261130'"), ("frm=2026-01-01", "'frm' is not a filter")])
def test_label_list_refuses_a_bad_date_or_filter(client, page_login, query, named) -> None:  # noqa: ANN001
    page_login(client, "lee")
    answer = client.get(f"/labels?{query}")
    assert answer.status_code == 422 and named in answer.text.replace("&#39;", "'")
    assert "YYYY-MM-DD" in answer.text


def test_label_list_reads_from_and_to_as_dates(client, lab, api_login) -> None:  # noqa: ANN001
    headers = {"X-CSRF-Token": api_login(client, "lee")}  # the login's cookie opens the pages too
    client.post("/api/v1/labels", headers=headers, json={"composition": "CoCrNi", "outcome": "single",
                                                         "method": "XRD"})
    today = datetime.now(timezone.utc).date()
    shown = client.get(f"/labels?from={today}&to={today}")
    assert shown.status_code == 200 and "CoCrNi" in _plain(shown.text)
    later = client.get(f"/labels?from={today + timedelta(days=1)}")
    assert later.status_code == 200 and "CoCrNi" not in _plain(later.text)


def _expire_logins(lab) -> None:  # noqa: ANN001
    with lab.session() as s:
        s.execute(update(LoginSession).values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
        s.commit()


def test_an_expired_login_keeps_the_typed_form(client, lab, page_login, hidden) -> None:  # noqa: ANN001
    token = page_login(client, "lee")
    typed = {"csrf_token": token, "composition": "Al0.3CoCrFeNi", "outcome": "multi", "phases": ["FCC", "BCC"],
             "source": "experiment", "method": "SEM", "processing": "annealed", "anneal_temperature_c": "1100,5",
             "note": "cracked, see photo"}
    _expire_logins(lab)
    expired = client.post("/labels", data=typed, follow_redirects=False)
    assert expired.status_code == 401 and "nothing was stored" in expired.text
    assert hidden(expired.text, "next") == "/labels/new"
    for key, value in typed.items():
        if key != "csrf_token":
            for one in value if isinstance(value, list) else [value]:
                assert f'name="keep.{key}" value="{one}"' in expired.text, key
    with lab.session() as s:
        assert labels_for(s, "Al0.3CoCrFeNi") == []
    form: dict[str, list[str]] = {}
    for key, value in re.findall(r'name="(keep\.[a-z_]+)" value="([^"]*)"', expired.text):
        form.setdefault(key, []).append(value)
    again = client.post("/login", data=form | {"name": "lee", "password": PASSWORD, "next": "/labels/new",
                                               "csrf_token": hidden(expired.text, "csrf_token")},
                        follow_redirects=False)
    assert again.status_code == 200 and "alloyloop_session" in again.headers["set-cookie"]
    page = again.text
    assert "Logged in again" in page and 'value="Al0.3CoCrFeNi"' in page and "cracked, see photo" in page
    assert re.search(r'value="BCC"[^>]*checked', page) and re.search(r'value="FCC"[^>]*checked', page)
    assert re.search(r'<option value="SEM"\s+selected', page)
    # the filled form stores with the new login's token
    stored = client.post("/labels", data=typed | {"csrf_token": hidden(page, "csrf_token"),
                                                  "anneal_temperature_c": "1100"}, follow_redirects=False)
    assert stored.status_code == 303, stored.text
    with lab.session() as s:
        assert [lb.method for lb in labels_for(s, "Al0.3CoCrFeNi")] == ["SEM"]


def test_an_expired_login_on_a_suggestion_form_returns_to_it(client, lab, page_login, hidden) -> None:  # noqa: ANN001
    sid = lab.suggestion_ids[0]
    token = page_login(client, "lee")
    _expire_logins(lab)
    expired = client.post(f"/suggestions/{sid}/label", data={"csrf_token": token, "outcome": "single",
                                                              "method": "XRD"}, follow_redirects=False)
    assert expired.status_code == 401 and hidden(expired.text, "next") == f"/suggestions/{sid}/label"
    again = client.post("/login", data={"name": "lee", "password": PASSWORD, "next": f"/suggestions/{sid}/label",
                                        "csrf_token": hidden(expired.text, "csrf_token"), "keep.outcome": "single",
                                        "keep.method": "XRD"}, follow_redirects=False)
    assert again.status_code == 200 and f"Label for suggestion #{sid}" in again.text
    assert re.search(r'<option value="XRD"\s+selected', again.text)
