"""The JSON API through FastAPI's TestClient: the write paths on SQLite and PostgreSQL."""

from __future__ import annotations

import io

from alloyloop.db.audit import audit_entries
from alloyloop.db.labels import labels_for
from alloyloop.db.lifecycle import get_suggestion, history


def test_login_me_and_logout(client_any, api_login) -> None:  # noqa: ANN001
    client = client_any
    assert client.get("/api/v1/me").status_code == 401
    bad = client.post("/api/v1/session", json={"name": "lee", "password": "not the password"})
    assert bad.status_code == 401 and bad.json()["detail"].startswith("wrong user name or password")
    token = api_login(client, "lee")
    me = client.get("/api/v1/me").json()
    assert me == {"user": "lee", "role": "lab", "csrf_token": token}
    cookie = client.cookies.get("alloyloop_session")
    assert cookie and len(cookie) >= 40
    assert client.delete("/api/v1/session").status_code == 403  # logging out needs the token too
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": token}).status_code == 200
    client.cookies.set("alloyloop_session", cookie)  # an old cookie is dead after logout
    assert client.get("/api/v1/me").status_code == 401


def test_label_for_a_suggestion_lands_in_the_store_and_counts_for_the_trigger(
        client_any, lab_any, api_login) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    token = api_login(client, "lee")
    before = lab.trigger_count()
    sid = lab.suggestion_ids[0]
    response = client.post(f"/api/v1/suggestions/{sid}/label", headers={"X-CSRF-Token": token}, json={
        "outcome": "single", "phases": ["FCC"], "method": "XRD", "processing": "annealed",
        "anneal_temperature_c": 1100, "anneal_time_h": 24, "note": "clean FCC peaks"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["suggestion"]["status"] == "labelled"
    assert body["label"]["anneal_temperature_c"] == 1100 and body["label"]["entered_by"] == "lee"
    with lab.session() as s:
        stored = labels_for(s, "CoCrFeMnNi")
        assert [(lb.outcome, lb.phases, lb.source, lb.method) for lb in stored] == [
            ("single", ["FCC"], "experiment", "XRD")]
        moves = [(e.from_status, e.to_status, e.by) for e in history(s, sid)]
        assert moves[1:] == [("suggested", "queued", "lee"), ("queued", "synthesized", "lee"),
                             ("synthesized", "labelled", "lee")]
        audit = audit_entries(s)
        assert [(e.actor, e.action, e.target_type) for e in reversed(audit) if e.action != "user.login"] == [
            ("test", "user.add", "user")] * 3 + [("lee", "suggestion.status", "suggestion")] * 3 + [
            ("lee", "label.add", "label")]
        assert audit[0].after["suggestion"] == sid and audit[0].target_id == stored[0].id
    assert lab.trigger_count() == before + 1
    dash = client.get(f"/api/v1/campaigns/{lab.campaign}").json()
    assert dash["trigger"]["new_labels"] == before + 1 and dash["trigger"]["every_n_labels"] == 6
    assert dash["rounds"][0]["labelled"] == 1 and dash["suggestions_by_status"]["labelled"] == 1
    # a labelled suggestion takes no second label
    again = client.post(f"/api/v1/suggestions/{sid}/label", headers={"X-CSRF-Token": token},
                        json={"outcome": "multi", "method": "XRD"})
    assert again.status_code == 409 and "labelled" in again.json()["detail"]


def test_free_label_history_and_correction(client_any, api_login) -> None:  # noqa: ANN001
    client = client_any
    headers = {"X-CSRF-Token": api_login(client, "lee")}
    made = client.post("/api/v1/labels", headers=headers, json={
        "composition": "Fe50Mn30Co10Cr10", "outcome": "multi", "phases": "FCC+HCP", "method": "XRD",
        "processing": "as-cast", "evidence_uri": "10.1038/nature17981"})
    assert made.status_code == 201, made.text
    old = made.json()
    assert old["alloy_key"] == "Co0.1Cr0.1Fe0.5Mn0.3" and old["evidence_uri"] == "https://doi.org/10.1038/nature17981"
    fixed = client.post(f"/api/v1/labels/{old['id']}/supersede", headers=headers,
                        json={"phases": ["FCC", "HCP", "BCC"], "note": "a third phase in SEM"})
    assert fixed.status_code == 201, fixed.text
    new = fixed.json()["label"]
    assert new["outcome"] == "multi" and new["phases"] == ["FCC", "HCP", "BCC"] and new["method"] == "XRD"
    history_ = client.get("/api/v1/labels", params={"composition": "Fe50Mn30Co10Cr10"}).json()
    assert [(h["id"], h["active"], h["superseded_by"]) for h in history_] == [
        (old["id"], False, new["id"]), (new["id"], True, None)]
    twice = client.post(f"/api/v1/labels/{old['id']}/supersede", headers=headers, json={"outcome": "single"})
    assert twice.status_code == 409 and f"supersede label {new['id']} instead" in twice.json()["detail"]
    audit = client.get("/api/v1/audit", params={"target_type": "label", "target_id": old["id"]}).json()
    assert [a["action"] for a in audit] == ["label.supersede", "label.add"]
    assert audit[0]["before"]["phases"] == ["FCC", "HCP"] and audit[0]["after"]["id"] == new["id"]


def test_status_changes_and_illegal_moves(client_any, lab_any, api_login) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    headers = {"X-CSRF-Token": api_login(client, "lee")}
    sid = lab.suggestion_ids[1]
    no_reason = client.post(f"/api/v1/suggestions/{sid}/status", headers=headers, json={"status": "failed"})
    assert no_reason.status_code == 422 and "say why it failed" in no_reason.json()["detail"]
    for to in ("queued", "synthesized", "failed", "queued"):
        note = "cracked on casting" if to == "failed" else None
        moved = client.post(f"/api/v1/suggestions/{sid}/status", headers=headers, json={"status": to, "note": note})
        assert moved.status_code == 200 and moved.json()["status"] == to
    stale = client.post(f"/api/v1/suggestions/{sid}/status", headers=headers, json={"status": "stale"})
    assert stale.status_code == 422 and "'stale' is set by the loop" in stale.json()["detail"]
    client.post(f"/api/v1/suggestions/{sid}/status", headers=headers, json={"status": "abandoned", "note": "no Al"})
    late = client.post(f"/api/v1/suggestions/{sid}/status", headers=headers, json={"status": "queued"})
    assert late.status_code == 409
    assert "is 'abandoned' and cannot become 'queued'" in late.json()["detail"]
    detail = client.get(f"/api/v1/suggestions/{sid}").json()
    assert detail["status"] == "abandoned" and detail["history"][-1]["note"] == "no Al"
    with lab.session() as s:
        logged = [(e.before["status"], e.after["status"]) for e in reversed(audit_entries(s, target_type="suggestion"))]
    assert logged == [("suggested", "queued"), ("queued", "synthesized"), ("synthesized", "failed"),
                      ("failed", "queued"), ("queued", "abandoned")]
    assert client.get(f"/api/v1/campaigns/{lab.campaign}/suggestions").json()[0]["id"] != sid  # closed: hidden
    assert sid in [s["id"] for s in client.get(f"/api/v1/campaigns/{lab.campaign}/suggestions?all=true").json()]


CSV_GOOD = "composition,outcome,phases,source,method,processing\nCoCrNi,single,FCC,experiment,XRD,as-cast\n" \
           "Al0.3CoCrFeNi,multi,FCC+BCC,experiment,SEM,annealed 1000C 10h\n"
CSV_BAD = "composition,outcome,phases,source,method\nCoCrNi,single,FCC,experiment,XRD\n" \
          "CoCrFeNiQq,single,FCC,experiment,XRD\n"


def test_csv_import_preview_then_commit(client_any, lab_any, api_login) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    headers = {"X-CSRF-Token": api_login(client, "lee")}
    bad = client.post("/api/v1/imports", headers=headers, files={"file": ("bad.csv", CSV_BAD, "text/csv")})
    assert bad.status_code == 200 and not bad.json()["ok"]
    [problem] = bad.json()["problems"]
    assert (problem["row"], problem["column"], problem["value"]) == (3, "composition", "CoCrFeNiQq")
    preview = client.post("/api/v1/imports", headers=headers, files={"file": ("good.csv", CSV_GOOD, "text/csv")})
    body = preview.json()
    assert body["ok"] and not body["stored"] and len(body["preview"]) == 2
    with lab.session() as s:
        assert labels_for(s, "CoCrNi") == []  # the preview stored nothing
    done = client.post(f"/api/v1/imports/{body['token']}/commit", headers=headers)
    assert done.status_code == 200 and done.json()["stored"], done.text
    with lab.session() as s:
        assert [lb.entered_by for lb in labels_for(s, "CoCrNi")] == ["lee"]
        assert [e.action for e in audit_entries(s, target_type="label")] == ["label.import"] * 2
    again = client.post(f"/api/v1/imports/{body['token']}/commit", headers=headers)
    assert again.status_code == 409 and "imported before" in again.json()["problems"][0]["fix"]
    assert lab.trigger_count() == 2


def test_evidence_upload_is_content_addressed(client, lab, api_login) -> None:  # noqa: ANN001
    headers = {"X-CSRF-Token": api_login(client, "lee")}
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    up = client.post("/api/v1/evidence", headers=headers, files={"file": ("../../xrd scan.PNG", png, "image/png")})
    assert up.status_code == 201, up.text
    body = up.json()
    stored = lab.data_dir / "evidence" / f"{body['sha256']}.png"
    assert stored.read_bytes() == png and body["evidence_uri"] == stored.resolve().as_uri() + "#xrd%20scan.PNG"
    label = client.post("/api/v1/labels", headers=headers, json={
        "composition": "CoCrNi", "outcome": "single", "method": "XRD", "evidence_uri": body["evidence_uri"]})
    assert label.status_code == 201
    got = client.get(body["download"])
    assert got.status_code == 200 and got.content == png and got.headers["content-type"] == "image/png"
    assert client.get("/evidence/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_writes_need_login_role_and_csrf(client_any, lab_any, api_login) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    sid = lab.suggestion_ids[2]
    label = {"outcome": "single", "method": "XRD"}
    writes = [
        ("post", f"/api/v1/suggestions/{sid}/label", {"json": label}),
        ("post", "/api/v1/labels", {"json": {"composition": "CoCrNi", **label}}),
        ("post", f"/api/v1/suggestions/{sid}/status", {"json": {"status": "queued"}}),
        ("post", "/api/v1/imports", {"files": {"file": ("a.csv", CSV_GOOD, "text/csv")}}),
        ("post", "/api/v1/evidence", {"files": {"file": ("a.txt", "2theta,I\n", "text/plain")}}),
    ]

    def attempt(headers: dict[str, str]) -> list[int]:
        return [getattr(client, method)(url, headers=headers, **kw).status_code for method, url, kw in writes]

    assert attempt({}) == [401] * len(writes)  # no login
    viewer = api_login(client, "val")
    refused = client.post("/api/v1/labels", headers={"X-CSRF-Token": viewer}, json={"composition": "CoCrNi", **label})
    assert refused.status_code == 403 and "role 'viewer'" in refused.json()["detail"]
    assert attempt({"X-CSRF-Token": viewer}) == [403] * len(writes)  # wrong role, right token
    token = api_login(client, "lee")
    assert attempt({}) == [403] * len(writes)  # right role, no token
    assert attempt({"X-CSRF-Token": token[:-2] + "xx"}) == [403] * len(writes)  # wrong token
    assert attempt({"X-CSRF-Token": viewer}) == [403] * len(writes)  # another login's token
    with lab.session() as s:
        assert labels_for(s, "CoCrNi") == [] and get_suggestion(s, sid).status == "suggested"
        assert [e.action for e in audit_entries(s) if e.action != "user.login"] == ["user.add"] * 3
    assert not (lab.data_dir / "evidence").exists() and not (lab.data_dir / "imports").exists()
    assert client.post(f"/api/v1/suggestions/{sid}/status", headers={"X-CSRF-Token": token},
                       json={"status": "queued"}).status_code == 200  # and with all three, it works


def test_disabled_account_and_role_change_take_effect_at_once(client, lab, api_login) -> None:  # noqa: ANN001
    from alloyloop.db.accounts import set_active, set_role

    token = api_login(client, "lee")
    with lab.session() as s:
        set_role(s, "lee", "viewer", actor="ada")
    denied = client.post("/api/v1/labels", headers={"X-CSRF-Token": token},
                         json={"composition": "CoCrNi", "outcome": "single", "method": "XRD"})
    assert denied.status_code == 403
    with lab.session() as s:
        set_active(s, "lee", False, actor="ada")
    assert client.get("/api/v1/me").status_code == 401
    again = client.post("/api/v1/session", json={"name": "lee", "password": "correct horse battery"})
    assert again.status_code == 401


def test_uploads_over_the_limit_are_refused(lab, api_login) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    from alloyloop.web.app import create_app
    from alloyloop.web.settings import WebSettings

    app = create_app(WebSettings(database_url=lab.url, data_dir=lab.data_dir, max_upload_bytes=1000))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        headers = {"X-CSRF-Token": api_login(client, "lee")}
        small_enough = io.BytesIO(b"2theta,I\n" + b"20.0,1\n" * 130)  # 919 bytes
        assert client.post("/api/v1/evidence", headers=headers,
                           files={"file": ("a.xy", small_enough, "text/plain")}).status_code == 201
        over = client.post("/api/v1/evidence", headers=headers,
                           files={"file": ("a.xy", b"1,2\n" * 300, "text/plain")})
        assert over.status_code == 413 and "1,000 bytes" in over.json()["detail"]
        huge = client.post("/api/v1/evidence", headers=headers,
                           files={"file": ("a.xy", b"1,2\n" * 200_000, "text/plain")})
        assert huge.status_code == 413  # refused by the request size limit before parsing


def test_api_login_takes_json_only(client) -> None:  # noqa: ANN001
    """A cross-site form can send text/plain but not application/json: such a login is refused."""
    body = '{"name": "lee", "password": "correct horse battery"}'
    forged = client.post("/api/v1/session", content=body, headers={"Content-Type": "text/plain"})
    assert forged.status_code == 422 and "alloyloop_session" not in forged.headers.get("set-cookie", "")


def test_templates_and_static_files_ship_with_the_package() -> None:
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["alloyloop.web"]
    files = [p.relative_to(root / "web").as_posix() for p in (root / "web").rglob("*")
             if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts]
    assert any(f.startswith("templates/") for f in files) and any(f.startswith("static/") for f in files)
    assert [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns)] == []
