"""Lab use during a retrain: 20 label writers at once — 10 through the JSON API of a real
uvicorn server, 10 ``alloyloop label add`` processes — while a campaign round fits its
DVAE, on SQLite (WAL, busy timeout) and PostgreSQL. Every label is stored exactly once,
no writer sees an error, and the round completes on the snapshot it took before them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from alloyloop.agent import progress
from alloyloop.agent.campaign_ops import create_from_spec, trigger_decision
from alloyloop.agent.flows import run_round
from alloyloop.campaigns.spec import parse_spec
from alloyloop.db.campaigns import rounds
from alloyloop.db.models import Label
from alloyloop.db.session import store_session

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]
API_WRITERS = CLI_WRITERS = 10
LABELS_EACH = 3
PASSWORD = "correct horse battery"
# shared alloys (every writer labels several of them): row locks and alloy creation race
ALLOYS = [f"Co{20 + i}Cr20Fe{25 - i}Mn10Ni25" for i in range(8)]

CLI_DRIVER = """
import json, sys, time
from pathlib import Path
from alloyloop.cli.app import app                      # the real CLI, imported before the start signal
go, url, writer, n, alloys = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
while not go.exists():
    time.sleep(0.02)
for j in range(n):
    started = time.time()
    code = app(["label", "add", "-c", alloys[(writer + j) % len(alloys)], "-o", "single" if j % 2 else "multi",
                "-s", "experiment", "-m", "XRD", "--by", f"cli-{writer}", "--note", f"cli-{writer}/{j}",
                "--repeat", "--url", url], standalone_mode=False)
    if code not in (None, 0):
        sys.exit(code)
    print(json.dumps({"started": started, "done": time.time()}), flush=True)
"""


def _serve(url: str, data_dir: Path):  # noqa: ANN202
    import uvicorn

    from alloyloop.web.app import create_app
    from alloyloop.web.settings import WebSettings

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(WebSettings(database_url=url, data_dir=data_dir)),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    return server, thread, sock, f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"


def test_twenty_label_writers_during_a_retrain(store_url: str, home: Path, spec_dict, tmp_path: Path,  # noqa: ANN001
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher, profiles

    from alloyloop.web import auth as web_auth
    from alloyloop.web.auth import add_account

    monkeypatch.setattr(web_auth, "hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
    monkeypatch.setattr(web_auth, "_DUMMY_HASH", [])
    spec = spec_dict("busy", labeler="lab")
    spec["model"]["dvae"].update(max_epochs=40, min_epochs=25, patience=40)  # a fit that lasts
    with store_session(store_url) as s:
        create_from_spec(s, parse_spec(spec))
        for i in range(API_WRITERS):
            add_account(s, f"api{i}", PASSWORD, "lab", actor="test")
        labels_before = s.execute(select(Label.id)).scalars().all()

    go = tmp_path / "go"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    cli = [subprocess.Popen([sys.executable, "-c", CLI_DRIVER, str(go), store_url, str(i), str(LABELS_EACH),
                             *ALLOYS], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
           for i in range(CLI_WRITERS)]
    server, server_thread, sock, base = _serve(store_url, tmp_path / "data")
    fitting, api_go = threading.Event(), threading.Event()
    marks: dict[str, float] = {}
    round_out: dict[str, object] = {}

    def listener(scope: str, message: str) -> None:
        marks.setdefault(message, time.time())
        if message == "fitting the DVAE":
            fitting.set()

    def retrain() -> None:
        try:
            with progress.listening(listener):
                round_out["summary"] = run_round("busy", store_url, str(home))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            round_out["error"] = exc
        finally:
            marks["round end"] = time.time()
            fitting.set()

    api_results: list[list[tuple[int, str, float, float]]] = [[] for _ in range(API_WRITERS)]

    def api_writer(i: int) -> None:
        with httpx.Client(timeout=120) as client:
            login = client.post(f"{base}/session", json={"name": f"api{i}", "password": PASSWORD})
            assert login.status_code == 200, login.text
            headers = {"X-CSRF-Token": login.json()["csrf_token"]}
            api_go.wait(300)
            for j in range(LABELS_EACH):
                started = time.time()
                r = client.post(f"{base}/labels", headers=headers, json={
                    "composition": ALLOYS[(i + j + 3) % len(ALLOYS)], "outcome": "multi" if j % 2 else "single",
                    "method": "XRD", "note": f"api-{i}/{j}", "repeat": True})
                api_results[i].append((r.status_code, r.text, started, time.time()))

    try:
        round_thread = threading.Thread(target=retrain)
        writers = [threading.Thread(target=api_writer, args=(i,)) for i in range(API_WRITERS)]
        for w in writers:
            w.start()
        round_thread.start()
        assert fitting.wait(600)
        assert "error" not in round_out, round_out.get("error")
        go.touch()  # the CLI writers and the API writers start together, during the fit
        api_go.set()
        outputs = [p.communicate(timeout=600) for p in cli]
        for w in writers:
            w.join(600)
        round_thread.join(600)
    finally:
        go.touch()
        api_go.set()
        for p in cli:
            if p.poll() is None:
                p.kill()
        server.should_exit = True
        server_thread.join(timeout=30)
        sock.close()

    # no error surfaced to any writer
    for p, (out, err) in zip(cli, outputs):
        assert p.returncode == 0, err[-3000:]
        assert "error" not in err.lower() and "error" not in out.lower(), (out, err)
    cli_times = [json.loads(line) for out, _ in outputs for line in out.splitlines() if line.startswith("{")]
    assert len(cli_times) == CLI_WRITERS * LABELS_EACH
    for results in api_results:
        assert [r[0] for r in results] == [201] * LABELS_EACH, [r[1] for r in results]
    assert "error" not in round_out, round_out.get("error")
    summary = round_out["summary"]
    assert summary["status"] == "completed" and summary["suggestions"] == parse_spec(spec).batch_size

    # the writes happened during the retrain: some finished while the DVAE was fitting
    fit_start, fit_end = marks["fitting the DVAE"], marks["registering the model"]
    done = sorted([t["done"] for t in cli_times] + [r[3] for rs in api_results for r in rs])
    assert done[0] < fit_end, f"no write finished before the fit ended ({done[0] - fit_start:.1f} s after it began)"

    # 0 lost, nothing twice
    with store_session(store_url) as s:
        new = s.execute(select(Label.note, Label.entered_by, Label.outcome).where(Label.id.not_in(labels_before))
                        ).tuples().all()
        notes = sorted(n for n, _, _ in new)
        assert notes == sorted([f"cli-{i}/{j}" for i in range(CLI_WRITERS) for j in range(LABELS_EACH)]
                               + [f"api-{i}/{j}" for i in range(API_WRITERS) for j in range(LABELS_EACH)])
        assert {b for _, b, _ in new} == {f"cli-{i}" for i in range(CLI_WRITERS)} | {f"api{i}" for i in range(API_WRITERS)}
        (rnd,) = rounds(s, "busy")
        assert rnd.status == "completed"
        # the round trained on its snapshot; the 60 labels count for the next one
        decision = trigger_decision(s, "busy")
    assert decision.new_labels == (API_WRITERS + CLI_WRITERS) * LABELS_EACH, decision.reason
