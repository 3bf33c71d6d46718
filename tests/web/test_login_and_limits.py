"""The security gaps closed for the lab: login back-off (per account at each address),
logins in the audit log, evidence URIs limited to http(s), doi and uploaded files, the
API's wrong-password message, and 413 for a chunked upload past the limit (real uvicorn)."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlparse

from alloyloop.db.audit import audit_entries
from alloyloop.db.labels import labels_for
from alloyloop.web.throttle import BASE_DELAY, FREE_FAILURES, LoginThrottle

PASSWORD = "correct horse battery"


def test_the_throttle_counts_each_account_at_each_address() -> None:
    now = [1000.0]
    t = LoginThrottle(clock=lambda: now[0])
    for _ in range(FREE_FAILURES):
        assert t.wait("lee", "10.0.0.1") == 0
        t.failed("lee", "10.0.0.1")
    assert t.wait("lee", "10.0.0.1") == BASE_DELAY  # this person, here, waits
    assert t.wait("lee", "10.0.0.9") == 0  # the same account elsewhere does not
    assert t.wait("ada", "10.0.0.1") == 0  # nor does anyone else behind the same address
    now[0] += BASE_DELAY
    t.failed("lee", "10.0.0.1")
    assert t.wait("LEE ", "10.0.0.1") == 2 * BASE_DELAY  # doubles with each failure; names case-insensitive
    now[0] += 2 * BASE_DELAY
    assert t.wait("lee", "10.0.0.1") == 0
    t.succeeded("lee", "10.0.0.1")
    t.failed("lee", "10.0.0.1")
    assert t.wait("lee", "10.0.0.1") == 0  # a success cleared the pair: one failure is free again
    now[0] += 16 * 60
    assert t.wait("lee", "10.0.0.1") == 0  # forgotten after the window


def test_repeated_wrong_passwords_back_off_and_are_audited(client, lab) -> None:  # noqa: ANN001
    answers = [client.post("/api/v1/session", json={"name": "lee", "password": f"guess number {i}"})
               for i in range(25)]
    codes = [a.status_code for a in answers]
    assert codes[:FREE_FAILURES] == [401] * FREE_FAILURES
    assert all(c == 429 for c in codes[FREE_FAILURES:]), codes
    assert "wait" in answers[-1].json()["detail"] and int(answers[-1].headers["Retry-After"]) >= 1
    assert answers[0].json()["detail"].startswith("wrong user name or password")
    right = client.post("/api/v1/session", json={"name": "lee", "password": PASSWORD})
    assert right.status_code == 429  # the right password does not get through the back-off
    with lab.session() as s:
        actions = [(e.action, e.actor) for e in audit_entries(s, limit=100) if e.action.startswith("user.login")]
    assert actions.count(("user.login_failed", "lee")) == 26 and ("user.login", "lee") not in actions
    notes = [e.note for e in audit_entries(s, limit=5)]
    assert all("from testclient" in n for n in notes), notes


def test_a_login_on_the_page_is_audited_and_a_bad_one_too(client, lab, page_login) -> None:  # noqa: ANN001
    login_page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    bad = client.post("/login", data={"name": "val", "password": "wrong password!", "csrf_token": token})
    assert bad.status_code == 401 and "wrong user name or password" in bad.text
    page_login(client, "val")
    with lab.session() as s:
        entries = [(e.action, e.actor) for e in audit_entries(s, limit=10)]
    assert entries[:2] == [("user.login", "val"), ("user.login_failed", "val")]
    assert "user.login" in client.get("/audit").text


def test_evidence_uri_allows_only_http_doi_and_uploaded_files(client, lab, api_login) -> None:  # noqa: ANN001
    headers = {"X-CSRF-Token": api_login(client, "lee")}
    label = {"composition": "CoCrNi", "outcome": "single", "phases": ["FCC"], "method": "XRD"}
    for uri in ("javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>",
                "file:///etc/passwd", "vbscript:msgbox"):
        refused = client.post("/api/v1/labels", headers=headers, json=label | {"evidence_uri": uri})
        assert refused.status_code == 422, (uri, refused.text)
        assert refused.json()["problems"][0]["field"] == "evidence_uri", refused.text
    for uri in ("https://example.org/xrd.png", "http://lab.local/scan", "doi:10.1000/xyz", "10.1000/abc"):
        ok = client.post("/api/v1/labels", headers=headers, json=label | {"evidence_uri": uri})
        assert ok.status_code == 201, (uri, ok.text)
    up = client.post("/api/v1/evidence", headers=headers, files={"file": ("scan 1.xy", b"43.4 1000\n", "text/plain")})
    uri = up.json()["evidence_uri"]
    assert client.post("/api/v1/labels", headers=headers, json=label | {"evidence_uri": uri}).status_code == 201
    history = client.get("/labels?composition=CoCrNi").text
    assert "javascript:" not in history.lower() and str(lab.data_dir) not in history
    assert f'href="/evidence/{up.json()["sha256"]}.xy"' in history and ">scan 1.xy<" in history
    with lab.session() as s:
        assert len(labels_for(s, "CoCrNi")) == 5


def test_a_chunked_upload_past_the_limit_gets_413(live_server, api_login) -> None:  # noqa: ANN001
    """50 MB sent with Transfer-Encoding: chunked (no Content-Length) to a real uvicorn."""
    import httpx

    base = live_server.base_url
    with httpx.Client(base_url=base) as web:
        token = web.post("/api/v1/session", json={"name": "lee", "password": PASSWORD}).json()["csrf_token"]
        cookie = web.cookies.get("alloyloop_session")
    host = urlparse(base)
    for path in ("/api/v1/evidence", "/import"):
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        boundary = "b0undary"
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.putheader("Cookie", f"alloyloop_session={cookie}")
        conn.putheader("X-CSRF-Token", token)
        conn.endheaders()
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
                "Content-Type: text/csv\r\n\r\n").encode()
        chunk = b"a,b\n" * 256 * 1024  # 1 MiB
        try:
            for part in [head] + [chunk] * 50:
                conn.send(b"%x\r\n%s\r\n" % (len(part), part))
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending
        answer = conn.getresponse()
        assert answer.status == 413, (path, answer.status, answer.read()[:300])
        assert b"larger than the limit" in answer.read()
        conn.close()
