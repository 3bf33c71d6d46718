"""Issue 28 items 6, 7 and 8 through the web form and the JSON API (SQLite and PostgreSQL):
the same rules as the store's (tests/db/test_store_label_rules.py has the CLI and CSV)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from alloyloop.db.labels import add_label, get_label, labels_for
from alloyloop.db.models import Label

GOOD = {"composition": "CoCrFeNi", "outcome": "single", "phases": ["FCC"], "source": "experiment", "method": "XRD"}


def _count(lab) -> int:  # noqa: ANN001
    with lab.session() as s:
        return s.execute(select(func.count()).select_from(Label)).scalar_one()


def _form(token: str, fields: dict[str, object]) -> dict[str, object]:
    return {"csrf_token": token, **{k: v for k, v in fields.items()}}


# --- item 6 -----------------------------------------------------------------------------

BAD = {
    "hot": ({"processing": "annealed", "anneal_temperature_c": "99999", "anneal_time_h": "24"}, "anneal_temperature_c"),
    "no time": ({"processing": "annealed", "anneal_temperature_c": "1100", "anneal_time_h": "0"}, "anneal_time_h"),
    "1e-9 h": ({"processing": "annealed", "anneal_time_h": 1e-9}, "anneal_time_h"),
    "javascript": ({"evidence_uri": "javascript:alert(1)"}, "evidence_uri"),
    "data": ({"evidence_uri": "data:text/html,<b>x</b>"}, "evidence_uri"),
    "passwd": ({"evidence_uri": "file:///etc/passwd"}, "evidence_uri"),
    "long note": ({"note": "x" * 5000}, "note"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_item6_api_and_form_refuse_alike(client_any, lab_any, api_login, hidden, case: str) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    fields, field = BAD[case]
    token = api_login(client, "lee")
    as_json = {k: float(v) if k.startswith("anneal_") else v for k, v in fields.items()}  # JSON numbers
    response = client.post("/api/v1/labels", headers={"X-CSRF-Token": token}, json=GOOD | as_json)
    assert response.status_code == 422, response.text
    assert [p["field"] for p in response.json()["problems"]] == [field]
    page = client.post("/labels", data=_form(token, GOOD | {k: str(v) for k, v in fields.items()}))
    assert page.status_code == 422 and "Nothing was stored. 1 problem(s)" in page.text, page.text[-3000:]
    assert _count(lab) == 0


def test_item6_json_bool_is_not_a_number_and_decimal_commas_are(client, lab, api_login) -> None:  # noqa: ANN001
    token = api_login(client, "lee")
    headers = {"X-CSRF-Token": token}
    for value in (True, False):
        bad = client.post("/api/v1/labels", headers=headers,
                          json=GOOD | {"processing": "annealed", "anneal_temperature_c": value})
        assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "anneal_temperature_c", bad.text
    bad = client.post("/api/v1/labels", headers=headers, json=GOOD | {"repeat": "yes"})
    assert bad.status_code == 422  # repeat is a JSON bool
    text = client.post("/api/v1/labels", headers=headers, json=GOOD | {
        "processing": "annealed", "anneal_temperature_c": "1100,5", "anneal_time_h": 0.5})
    assert text.status_code == 422 and text.json()["problems"][0]["field"] == "anneal_temperature_c"  # JSON: a number
    ok = client.post("/api/v1/labels", headers=headers, json=GOOD | {
        "processing": "annealed", "anneal_temperature_c": 1100.5, "anneal_time_h": 0.5})
    assert ok.status_code == 201, ok.text
    assert (ok.json()["anneal_temperature_c"], ok.json()["anneal_time_h"]) == (1100.5, 0.5)
    form = client.post("/labels", data=_form(token, GOOD | {
        "processing": "annealed", "anneal_temperature_c": "1100,5", "anneal_time_h": "0,5", "repeat": "yes"}),
        follow_redirects=False)
    assert form.status_code == 303, form.text[-2000:]
    with lab.session() as s:
        assert [(lb.anneal_temperature_c, lb.anneal_time_h) for lb in labels_for(s, "CoCrFeNi")] == [(1100.5, 0.5)] * 2


def test_item6_several_bad_fields_are_all_reported(client_any, lab_any, api_login) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    token = api_login(client, "lee")
    bad = {"outcome": "maybe", "processing": "annealed", "anneal_temperature_c": "99999",
           "evidence_uri": "javascript:x", "note": "y" * 4001, "method": "XRF"}
    # the API's schema problems come at once; then, for a body the schema takes, the store's
    response = client.post("/api/v1/labels", headers={"X-CSRF-Token": token}, json=GOOD | bad)
    assert response.status_code == 422
    fields = sorted(p["field"] for p in response.json()["problems"])
    assert fields == ["anneal_temperature_c", "method", "note", "outcome"], fields
    store_bad = {"composition": "Xx", "processing": "annealed", "anneal_temperature_c": 1100.0,
                 "anneal_time_h": 1e-9, "evidence_uri": "javascript:x"}
    response = client.post("/api/v1/labels", headers={"X-CSRF-Token": token}, json=GOOD | store_bad)
    assert response.status_code == 422
    fields = sorted(p["field"] for p in response.json()["problems"])
    assert fields == ["anneal_time_h", "composition", "evidence_uri"], fields
    page = client.post("/labels", data=_form(token, GOOD | bad))
    assert page.status_code == 422
    assert "Nothing was stored. 5 problem(s)" in page.text
    for shown in ("Outcome", "Method", "Anneal temperature (°C)", "Evidence URI", "Note"):
        assert f"<li><strong>{shown}</strong>" in page.text, shown
    assert _count(lab) == 0


# --- item 7 -----------------------------------------------------------------------------

def test_item7_ten_identical_api_posts_store_one_label(client_any, lab_any, api_login) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    token = api_login(client, "lee")
    body = {"composition": "CoCrFeMnNi", "outcome": "single", "phases": ["FCC"], "method": "XRD",
            "processing": "annealed", "anneal_temperature_c": 1100, "anneal_time_h": 24}
    before = lab.trigger_count()
    answers = [client.post("/api/v1/labels", headers={"X-CSRF-Token": token}, json=body) for _ in range(10)]
    assert [a.status_code for a in answers] == [201] + [409] * 9
    first = answers[0].json()["id"]
    assert all(f"label #{first}" in a.json()["detail"] and '"repeat": true' in a.json()["detail"]
               for a in answers[1:])
    assert _count(lab) == 1 and lab.trigger_count() == before + 1  # duplicates do not count
    repeat = client.post("/api/v1/labels", headers={"X-CSRF-Token": token}, json=body | {"repeat": True})
    assert repeat.status_code == 201 and _count(lab) == 2 and lab.trigger_count() == before + 2


def test_item7_form_refuses_a_duplicate_unless_the_repeat_box_is_ticked(client_any, lab_any, page_login) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    token = page_login(client, "lee")
    assert 'name="repeat"' in client.get("/labels/new").text
    first = client.post("/labels", data=_form(token, GOOD), follow_redirects=False)
    assert first.status_code == 303
    again = client.post("/labels", data=_form(token, GOOD))
    assert again.status_code == 409 and "already has this label" in again.text
    assert 'value="yes"' in again.text  # the form is shown again with the typed values
    ticked = client.post("/labels", data=_form(token, GOOD | {"repeat": "yes"}), follow_redirects=False)
    assert ticked.status_code == 303 and _count(lab) == 2


def test_item7_import_preview_and_commit_show_skipped_duplicates(client_any, lab_any, api_login) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    with lab.session() as s:
        existing = add_label(s, composition="CoCrFeNi", outcome="single", phases="FCC", source="experiment",
                             method="XRD")
    token = api_login(client, "lee")
    sheet = ("composition;outcome;phases;source;method\r\n"
             "CoCrFeNi;single;FCC;experiment;XRD\r\n"
             "NbMoTaW;single;BCC;experiment;XRD\r\n"
             "NbMoTaW;single;BCC;experiment;XRD\r\n").encode()
    preview = client.post("/api/v1/imports", headers={"X-CSRF-Token": token},
                          files={"file": ("lab.csv", io.BytesIO(sheet), "text/csv")}).json()
    assert preview["ok"] and (preview["new"], preview["skipped_duplicates"]) == (1, 2)
    assert [r["duplicate_of"] for r in preview["preview"]] == [f"label #{existing.id}", None, "row 3"]
    page = client.post("/import", data={"csrf_token": token},
                       files={"file": ("lab.csv", io.BytesIO(sheet), "text/csv")})
    assert page.status_code == 200 and "2 row(s) repeat a current label" in page.text
    assert f"duplicate of label #{existing.id}: skipped" in page.text and "Import 1 label(s)" in page.text
    committed = client.post("/import/commit", data={"csrf_token": token, "token": preview["token"], "name": "lab.csv"})
    assert committed.status_code == 200 and "stored 1 label(s), skipped 2 duplicate(s)" in committed.text
    assert _count(lab) == 2
    done = client.post(f"/api/v1/imports/{preview['token']}/commit", headers={"X-CSRF-Token": token}).json()
    assert not done["stored"] and "imported before" in done["problems"][0]["fix"] and _count(lab) == 2
    again = sheet + b";;;;\r\n"  # the same rows, other bytes: recognised by content
    refused = client.post("/api/v1/imports", headers={"X-CSRF-Token": token},
                          files={"file": ("lab-2.csv", io.BytesIO(again), "text/csv")}).json()
    assert not refused["ok"] and "imported before: nothing new" in refused["problems"][0]["fix"]
    assert _count(lab) == 2


# --- item 8 -----------------------------------------------------------------------------

def test_item8_api_and_form_refuse_an_empty_or_unchanged_correction(client_any, lab_any, api_login) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    with lab.session() as s:
        old = add_label(s, composition="CoCrFeNi", outcome="single", phases="FCC", source="experiment",
                        method="XRD", note="first")
    token = api_login(client, "lee")
    headers = {"X-CSRF-Token": token}
    for body in ({}, {"outcome": "single", "phases": ["FCC"]}, {"note": "first", "method": "XRD"}):
        response = client.post(f"/api/v1/labels/{old.id}/supersede", headers=headers, json=body)
        assert response.status_code == 422, response.text
        problem = response.json()["problems"][0]
        assert problem["field"] == "correction" and "change at least one of: outcome, phases" in problem["fix"]
    # the correction form as the page offers it (phases ticked as before), submitted unchanged
    page = client.get(f"/labels/{old.id}/correct").text
    assert 'value="FCC" checked' in page
    unchanged = client.post(f"/labels/{old.id}/correct", data={
        "csrf_token": token, "phases": "FCC", "outcome": "", "source": "", "method": "", "processing": "",
        "anneal_temperature_c": "", "anneal_time_h": "", "evidence_uri": "", "note": ""})
    assert unchanged.status_code == 422 and "change at least one of: outcome, phases" in unchanged.text
    with lab.session() as s:
        assert get_label(s, old.id).superseded_by is None
    assert _count(lab) == 1
    fixed = client.post(f"/api/v1/labels/{old.id}/supersede", headers=headers, json={"phases": ["BCC"]})
    assert fixed.status_code == 201 and _count(lab) == 2
