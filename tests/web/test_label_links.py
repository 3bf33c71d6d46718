"""Issue 28 items 1, 2 and 12 through the web app (SQLite and PostgreSQL): a label entered
with the API, the label form or a CSV import closes the suggestion of its alloy; a
correction flips the round's hit on the dashboard; a CALPHAD or literature label entered on
a suggestion records no "synthesized"."""

from __future__ import annotations

from alloyloop.db.lifecycle import history


def _suggestion(client, sid: int) -> dict:  # noqa: ANN001
    response = client.get(f"/api/v1/suggestions/{sid}")
    assert response.status_code == 200, response.text
    return response.json()


def _hits(client, campaign: str) -> int:  # noqa: ANN001
    return client.get(f"/api/v1/campaigns/{campaign}").json()["rounds"][0]["hits"]


def test_api_form_and_csv_labels_close_their_suggestions_and_corrections_count(
        client_any, lab_any, page_login) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    page_token = page_login(client, "lee")  # one login: the pages' token also signs API writes
    headers = {"X-CSRF-Token": page_token}
    first, second, third = lab.suggestion_ids

    made = client.post("/api/v1/labels", headers=headers, json={   # POST /labels, no suggestion named
        "composition": "Co20Cr20Fe20Mn20Ni20", "outcome": "single", "phases": ["FCC"], "method": "XRD"})
    assert made.status_code == 201, made.text
    shown = _suggestion(client, first)
    assert (shown["status"], shown["label_id"]) == ("labelled", made.json()["id"])
    assert [(e["from_status"], e["to_status"]) for e in shown["history"]][1:] == [
        ("suggested", "queued"), ("queued", "synthesized"), ("synthesized", "labelled")]
    assert shown["history"][-1]["note"].startswith(f"closed by label #{made.json()['id']} (experiment, XRD")
    assert _hits(client, lab.campaign) == 1

    form = client.post("/labels", data={"csrf_token": page_token, "composition": "Al0.1CoCrFeNi",
                                        "outcome": "multi", "source": "experiment", "method": "SEM"},
                       follow_redirects=False)
    assert form.status_code == 303, form.text
    assert _suggestion(client, second)["status"] == "labelled"

    csv = b"composition,outcome,phases,source,method\nAl5Co20Cr20Fe25Ni30,single,FCC,experiment,XRD\n"
    preview = client.post("/api/v1/imports", headers=headers, files={"file": ("mine.csv", csv, "text/csv")})
    assert preview.status_code == 200 and preview.json()["ok"], preview.text
    assert _suggestion(client, third)["status"] == "suggested"  # a preview stores nothing
    done = client.post(f"/api/v1/imports/{preview.json()['token']}/commit", headers=headers)
    assert done.status_code == 200 and done.json()["stored"], done.text
    closed = _suggestion(client, third)
    assert closed["status"] == "labelled" and ", imported from " in closed["history"][-1]["note"]

    dash = client.get(f"/api/v1/campaigns/{lab.campaign}").json()
    assert (dash["rounds"][0]["labelled"], dash["rounds"][0]["hits"]) == (3, 2)
    fixed = client.post(f"/api/v1/labels/{made.json()['id']}/supersede", headers=headers,
                        json={"outcome": "multi", "phases": ["FCC", "BCC"], "note": "a second look"})
    assert fixed.status_code == 201, fixed.text
    assert _hits(client, lab.campaign) == 1  # the correction is a miss now
    page = client.get(f"/campaigns/{lab.campaign}")
    assert page.status_code == 200 and 'id="hits-0">1</td>' in page.text
    found = client.get(f"/labels?campaign={lab.campaign}&state=current")
    assert f"#{fixed.json()['label']['id']}" in found.text and f'id="label-{made.json()["id"]}"' not in found.text
    assert client.get("/api/v1/campaigns").json()[0]["open_suggestions"] == 0


def test_a_calphad_or_literature_label_on_a_suggestion_records_no_synthesis(
        client_any, lab_any, page_login) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    page_token = page_login(client, "lee")
    headers = {"X-CSRF-Token": page_token}
    first, second, third = lab.suggestion_ids
    calphad = client.post(f"/api/v1/suggestions/{first}/label", headers=headers,
                          json={"outcome": "single", "source": "calphad", "method": "CALPHAD"})
    assert calphad.status_code == 201, calphad.text
    client.post(f"/api/v1/suggestions/{second}/status", headers=headers, json={"status": "queued"})
    form = client.post(f"/suggestions/{second}/label", data={
        "csrf_token": page_token, "outcome": "multi", "source": "literature", "method": "unreported"},
        follow_redirects=False)
    assert form.status_code == 303, form.text
    with lab.session() as s:
        assert [(e.from_status, e.to_status) for e in history(s, first)][1:] == [("suggested", "labelled")]
        assert [(e.from_status, e.to_status) for e in history(s, second)][1:] == [
            ("suggested", "queued"), ("queued", "labelled")]
        assert history(s, first)[-1].note.endswith("calphad, not made in the lab")
        assert history(s, third)[-1].to_status == "suggested"
