"""The server-rendered pages through the TestClient: login, forms, CSRF, roles, imports."""

from __future__ import annotations

import re

from alloyloop.agent.campaign_ops import REPORT_KIND
from alloyloop.db.audit import audit_entries
from alloyloop.db.campaigns import add_report
from alloyloop.db.labels import labels_for
from alloyloop.db.lifecycle import get_suggestion


def test_pages_need_a_login_and_the_login_form_is_protected(client, hidden) -> None:  # noqa: ANN001
    first = client.get("/campaigns/cantor-web", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/login?next=/campaigns/cantor-web"
    page = client.get("/login?next=/campaigns/cantor-web")
    token = hidden(page.text, "csrf_token")
    login_cookie = page.headers["set-cookie"]
    assert "HttpOnly" in login_cookie and "SameSite=lax" in login_cookie
    form = {"name": "lee", "password": "correct horse battery", "next": "/campaigns/cantor-web"}
    forged = client.post("/login", data=form | {"csrf_token": "x" * 43}, follow_redirects=False)
    assert forged.status_code == 403  # a login posted from another site
    wrong = client.post("/login", data=form | {"csrf_token": token, "password": "wrong password!"})
    assert wrong.status_code == 401 and "wrong user name or password" in wrong.text
    ok = client.post("/login", data=form | {"csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/campaigns/cantor-web"
    cookie = ok.headers["set-cookie"]
    assert cookie.startswith("alloyloop_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on 127.0.0.1 unless --secure-cookies
    dash = client.get("/campaigns/cantor-web")
    assert dash.status_code == 200 and "lee (lab)" in dash.text
    assert "frame-ancestors 'none'" in dash.headers["content-security-policy"]


def test_login_never_redirects_off_site(client, hidden) -> None:  # noqa: ANN001
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        token = hidden(client.get("/login").text, "csrf_token")
        done = client.post("/login", data={"name": "val", "password": "correct horse battery",
                                           "csrf_token": token, "next": target}, follow_redirects=False)
        assert done.headers["location"] == "/", target
        client.cookies.delete("alloyloop_session")


def test_label_entered_in_the_form_lands_in_the_store(client, lab, page_login) -> None:  # noqa: ANN001
    token = page_login(client, "lee")
    sid = lab.suggestion_ids[1]
    form = client.get(f"/suggestions/{sid}/label")
    assert form.status_code == 200 and "Al0.0244Co0.2439Cr0.2439Fe0.2439Ni0.2439" in form.text
    pattern = b"# 2theta intensity\n43.6 1000\n50.7 420\n"
    done = client.post(f"/suggestions/{sid}/label", data={
        "csrf_token": token, "outcome": "multi", "phases": ["FCC", "BCC"], "source": "experiment",
        "method": "SEM", "processing": "annealed", "anneal_temperature_c": "1000", "anneal_time_h": "0.5",
        "note": "BCC at grain boundaries"}, files={"evidence": ("scan.xy", pattern, "text/plain")},
        follow_redirects=False)
    assert done.status_code == 303, done.text
    shown = client.get(done.headers["location"])
    label_id = int(re.search(r'Stored <a href="/labels/(\d+)" id="done-link">label #\d+</a>', shown.text).group(1))
    with lab.session() as s:
        [label] = labels_for(s, "Al0.1CoCrFeNi")
        assert label.id == label_id and label.phases == ["FCC", "BCC"] and label.method == "SEM"
        assert (label.processing, label.anneal_temperature_c, label.anneal_time_h) == ("annealed", 1000.0, 0.5)
        assert label.evidence_uri.startswith("file://") and label.entered_by == "lee"
        assert get_suggestion(s, sid).status == "labelled"
    history = client.get("/labels", params={"composition": "Al0.1CoCrFeNi"})
    href = re.search(r'href="(/evidence/[0-9a-f]{64}\.xy)"', history.text).group(1)
    download = client.get(href)
    assert download.content == pattern and "attachment" in download.headers["content-disposition"]
    assert "label.add" in history.text and "suggestion.status" not in history.text  # the label's own trail
    dash = client.get("/campaigns/cantor-web").text
    assert re.search(r'id="trigger-count">1<', dash) and re.search(r'id="labelled-0">1<', dash)


def test_a_bad_form_shows_every_problem_and_keeps_the_values(client, lab, page_login) -> None:  # noqa: ANN001
    token = page_login(client, "lee")
    bad = client.post("/labels", data={
        "csrf_token": token, "composition": "CoCrFeMnXx", "outcome": "single", "phases": ["FCC", "BCC"],
        "source": "experiment", "method": "", "processing": "as-cast", "anneal_temperature_c": "900",
        "note": "keep me"})
    assert bad.status_code == 422
    for field in ("Composition", "Method", "Processing"):  # the form's own labels, every problem at once
        assert f"<strong>{field}</strong>" in bad.text
    assert 'value="CoCrFeMnXx"' in bad.text and "keep me" in bad.text and "Nothing was stored" in bad.text
    hot = client.post("/labels", data={"csrf_token": token, "composition": "CoCrNi", "outcome": "single",
                                       "method": "XRD", "processing": "annealed", "anneal_temperature_c": "1e9"})
    assert hot.status_code == 422 and "at most 5000 °C" in hot.text
    with lab.session() as s:
        assert labels_for(s, "CoCrNi") == []


def test_status_change_and_correction_forms(client, lab, page_login, hidden) -> None:  # noqa: ANN001
    token = page_login(client, "lee")
    sid = lab.suggestion_ids[0]
    queue = client.get("/campaigns/cantor-web/suggestions")
    assert f'id="suggestion-{sid}"' in queue.text and "Enter label" in queue.text
    moved = client.post(f"/suggestions/{sid}/status", data={"csrf_token": token, "status": "queued",
                                                              "note": "weighed out"})
    assert moved.status_code == 200 and f'Suggestion <a href="#suggestion-{sid}" id="done-link">#{sid}</a>: status changed.' in moved.text
    illegal = client.post(f"/suggestions/{sid}/status", data={"csrf_token": token, "status": "labelled"})
    assert illegal.status_code == 422 and "comes with a label" in illegal.text
    made = client.post("/labels", data={"csrf_token": token, "composition": "CoCrFeMnNi", "outcome": "single",
                                        "phases": "FCC", "source": "experiment", "method": "XRD"})
    old_id = int(re.search(r'Stored <a href="/labels/(\d+)" id="done-link">label #\d+</a>', made.text).group(1))
    form = client.get(f"/labels/{old_id}/correct")
    assert form.status_code == 200 and "Correcting label" in form.text
    fixed = client.post(f"/labels/{old_id}/correct", data={"csrf_token": token, "outcome": "multi",
                                                           "phases": ["FCC", "sigma"], "note": "sigma in TEM"})
    assert fixed.status_code == 200 and "old label is kept" in fixed.text
    with lab.session() as s:
        old, new = labels_for(s, "CoCrFeMnNi")
        assert old.superseded_by == new.id
        assert (new.outcome, new.phases, new.method) == ("multi", ["FCC", "sigma"], "XRD")
        assert [e.action for e in audit_entries(s, target_type="label")] == ["label.supersede", "label.add"]


def test_csv_import_in_the_browser_flow(client, lab, page_login) -> None:  # noqa: ANN001
    token = page_login(client, "lee")
    bad_csv = "composition,outcome,source,method\nCoCrNi,single,experiment,XRD\nCoCrNi,maybe,experiment,XRD\n"
    bad = client.post("/import", data={"csrf_token": token}, files={"file": ("runs.csv", bad_csv, "text/csv")})
    assert bad.status_code == 422 and "1 problem(s), nothing stored" in bad.text
    assert re.search(r"<td class=\"num\">3</td><td>outcome</td><td>maybe</td>", bad.text)
    good_csv = bad_csv.replace("maybe", "multi")
    preview = client.post("/import", data={"csrf_token": token}, files={"file": ("runs.csv", good_csv, "text/csv")})
    assert preview.status_code == 200 and "2 label(s) would be stored" in preview.text
    with lab.session() as s:
        assert labels_for(s, "CoCrNi") == []
    commit_token = re.search(r'name="token" value="([0-9a-f]{64})"', preview.text).group(1)
    done = client.post("/import/commit", data={"csrf_token": token, "token": commit_token, "name": "runs.csv"})
    assert done.status_code == 200 and "runs.csv: stored 2 label(s)" in done.text
    tampered = client.post("/import/commit", data={"csrf_token": token, "token": "../../etc/passwd", "name": "x"})
    assert tampered.status_code == 422 and "upload the CSV again" in tampered.text
    with lab.session() as s:
        assert {lb.outcome for lb in labels_for(s, "CoCrNi")} == {"single", "multi"}


def test_form_writes_need_login_role_and_csrf(client, lab, page_login) -> None:  # noqa: ANN001
    sid = lab.suggestion_ids[0]
    label = {"outcome": "single", "method": "XRD", "source": "experiment"}
    posts = [(f"/suggestions/{sid}/label", label), ("/labels", label | {"composition": "CoCrNi"}),
             (f"/suggestions/{sid}/status", {"status": "queued"}), ("/import", {}), ("/import/commit", {})]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 401
    viewer_token = page_login(client, "val")
    assert "Enter label" not in client.get("/campaigns/cantor-web/suggestions").text  # no write buttons
    assert client.get(f"/suggestions/{sid}/label").status_code == 403
    for url, data in posts:
        assert client.post(url, data=data | {"csrf_token": viewer_token}).status_code == 403
    client.cookies.clear()
    token = page_login(client, "lee")
    for url, data in posts:
        assert client.post(url, data=data).status_code == 403, url  # no token
        assert client.post(url, data=data | {"csrf_token": viewer_token}).status_code == 403, url
    with lab.session() as s:
        assert labels_for(s, "CoCrNi") == [] and get_suggestion(s, sid).status == "suggested"
    assert client.post("/logout", data={}).status_code == 403
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and client.get("/campaigns", follow_redirects=False).status_code == 303


def test_dashboard_embeds_the_latest_report(client, lab, page_login, tmp_path) -> None:  # noqa: ANN001
    folder = tmp_path / "round-000" / "report"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text("<html><body><h1>Round 0 report</h1><img src='shap_bar.png'></body></html>")
    (folder / "shap_bar.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "secret.txt").write_text("not for the web")
    with lab.session() as s:
        add_report(s, lab.round_id, folder / "index.html", kind=REPORT_KIND)
    page_login(client, "val")
    dash = client.get("/campaigns/cantor-web")
    assert '<iframe class="report" src="/campaigns/cantor-web/rounds/0/report/index.html"' in dash.text
    report = client.get("/campaigns/cantor-web/rounds/0/report/index.html")
    assert report.status_code == 200 and "Round 0 report" in report.text
    assert "frame-ancestors 'self'" in report.headers["content-security-policy"]
    assert client.get("/campaigns/cantor-web/rounds/0/report/shap_bar.png").status_code == 200
    for sneaky in ("..%2Fsecret.txt", "%2E%2E%2F%2E%2E%2Fsecret.txt", ".hidden.html", "secret.txt"):
        assert client.get(f"/campaigns/cantor-web/rounds/0/report/{sneaky}").status_code == 404, sneaky
    assert client.get("/campaigns/cantor-web/rounds/7/report/index.html").status_code == 404
    assert client.get("/campaigns/no-such/rounds/0/report/index.html").status_code == 404
