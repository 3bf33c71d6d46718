"""The MCP server through the SDK's own client: ``alloyloop mcp`` over stdio (a real
subprocess, acting as the local user) and ``/mcp`` of the web app over streamable HTTP (a
real uvicorn, personal bearer tokens with the accounts' roles)."""

from __future__ import annotations

import getpass
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import pytest
import httpx
import httpx2
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from typer.testing import CliRunner

from alloyloop.cli.app import app as cli_app
from alloyloop.db.api_tokens import issue_token
from alloyloop.db.audit import audit_entries
from alloyloop.db.labels import labels_for
from alloyloop.db.lifecycle import get_suggestion
from alloyloop.web.sessions import new_token, token_hash

TOOLS = {"list_campaigns", "open_suggestions", "featurize", "predict", "label_history", "enter_label"}


def _data(result: Any) -> Any:  # noqa: ANN401 - a CallToolResult
    """A tool's answer as JSON (its structured content, else its text)."""
    assert not result.is_error, result.content
    if result.structured_content is not None:
        content = result.structured_content
        return content["result"] if set(content) == {"result"} else content
    return json.loads(result.content[0].text)


def _error(result: Any) -> str:  # noqa: ANN401
    assert result.is_error, result
    return " ".join(c.text for c in result.content)


def _token(lab, name: str) -> str:  # noqa: ANN001
    secret = new_token()
    with lab.session() as s:
        issue_token(s, name, token_hash(secret), actor="test")
    return secret


async def _http_session(url: str, token: str, work) -> Any:  # noqa: ANN001, ANN401
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                return await work(session)


def _run(fn: Any, *args: Any) -> Any:
    """``anyio.run`` in a fresh thread: Playwright's sync API, used by browser tests earlier
    in the same worker, leaves its event loop set on the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, fn, *args).result()


def test_stdio_server_lists_its_tools_and_enters_a_label_as_the_local_user(lab) -> None:  # noqa: ANN001
    alloyloop = Path(sys.executable).with_name("alloyloop")
    params = StdioServerParameters(command=str(alloyloop), args=["mcp", "--url", lab.url, "--data-dir", str(lab.data_dir)],
                                   env=dict(os.environ, OMP_NUM_THREADS="1"))
    suggestion = lab.suggestion_ids[0]

    async def main() -> dict[str, Any]:
        async with stdio_client(params) as streams, ClientSession(streams[0], streams[1]) as session:
            await session.initialize()
            out: dict[str, Any] = {"tools": {t.name for t in (await session.list_tools()).tools}}
            out["campaigns"] = _data(await session.call_tool("list_campaigns", {}))
            out["open"] = _data(await session.call_tool("open_suggestions", {"campaign": lab.campaign}))
            out["features"] = _data(await session.call_tool("featurize", {"compositions": ["CoCrFeMnNi", "Xx2Fe"]}))
            out["no_model"] = _error(await session.call_tool("predict", {"campaign": lab.campaign,
                                                                         "compositions": ["CoCrFeMnNi"]}))
            out["entered"] = _data(await session.call_tool("enter_label", {
                "suggestion_id": suggestion, "outcome": "single", "phases": ["FCC"], "method": "XRD",
                "processing": "annealed", "anneal_temperature_c": 1100, "anneal_time_h": 24}))
            out["history"] = _data(await session.call_tool("label_history", {"composition": "Co20Cr20Fe20Mn20Ni20"}))
            return out

    out = _run(main)
    assert out["tools"] == TOOLS
    [campaign] = out["campaigns"]
    assert campaign["name"] == lab.campaign and campaign["open_suggestions"] == 3
    assert campaign["rounds"][0]["suggestions"] == 3
    assert [s["id"] for s in out["open"]] == list(lab.suggestion_ids)
    assert out["open"][0]["explanation"].startswith("strategy screen; p(single) 0.80 [0.50-0.90]")
    [row] = out["features"]["rows"]
    assert row["key"] == "Co0.2Cr0.2Fe0.2Mn0.2Ni0.2" and abs(row["descriptors"]["vec"] - 8.0) < 1e-9
    assert out["features"]["errors"][0]["input"] == "Xx2Fe"
    assert "has no completed round with a model" in out["no_model"]
    actor = f"cli:{getpass.getuser()}"
    label = out["entered"]["label"]
    assert label["entered_by"] == actor and label["anneal_temperature_c"] == 1100
    assert out["entered"]["closed_suggestions"] == [{"campaign": lab.campaign, "round": 0, "suggestion": suggestion}]
    assert [entry["id"] for entry in out["history"]["labels"]] == [label["id"]]
    assert out["history"]["training_label"]["outcome"] == "single"
    with lab.session() as s:
        assert get_suggestion(s, suggestion).status == "labelled"
        assert get_suggestion(s, suggestion).label_id == label["id"]
        assert (audit_entries(s, target_type="label", target_ids=[label["id"]])[0].actor) == actor


def test_http_roles_audit_and_suggestion_closing(live_server) -> None:  # noqa: ANN001
    lab, url = live_server.lab, f"{live_server.base_url}/mcp"
    viewer, writer = _token(lab, "val"), _token(lab, "lee")
    suggestion = lab.suggestion_ids[1]
    label = {"suggestion_id": suggestion, "outcome": "single", "phases": ["FCC"], "method": "XRD"}

    async def as_viewer(session: ClientSession) -> tuple[set[str], str, list]:
        tools = {t.name for t in (await session.list_tools()).tools}
        refused = _error(await session.call_tool("enter_label", label))
        return tools, refused, _data(await session.call_tool("open_suggestions", {"campaign": lab.campaign}))

    tools, refused, open_before = _run(_http_session, url, viewer, as_viewer)
    assert tools == TOOLS
    assert "user 'val' has role 'viewer'" in refused and "'lab'" in refused
    assert suggestion in [s["id"] for s in open_before]
    with lab.session() as s:
        assert labels_for(s, "Al0.1CoCrFeNi") == [] and get_suggestion(s, suggestion).status == "suggested"

    async def as_lab(session: ClientSession) -> tuple[Any, list, str]:
        entered = _data(await session.call_tool("enter_label", label))
        bad = _error(await session.call_tool("enter_label", {"composition": "CoCrNi", "outcome": "single",
                                                             "phases": ["FCC"], "method": "XRD",
                                                             "evidence_uri": "javascript:alert(1)"}))
        return entered, _data(await session.call_tool("open_suggestions", {"campaign": lab.campaign})), bad

    entered, open_after, bad = _run(_http_session, url, writer, as_lab)
    label_id = entered["label"]["id"]
    assert entered["label"]["entered_by"] == "lee" and entered["label"]["source"] == "experiment"
    assert suggestion not in [s["id"] for s in open_after]
    assert "evidence_uri" in bad
    with lab.session() as s:
        assert get_suggestion(s, suggestion).status == "labelled" and get_suggestion(s, suggestion).label_id == label_id
        log = audit_entries(s, actor="lee")
        assert ("label.add", label_id) in [(e.action, e.target_id) for e in log]
        assert [e.after["status"] for e in log if e.target_type == "suggestion" and e.target_id == suggestion][0] == "labelled"
        assert labels_for(s, "CoCrNi") == []  # the bad evidence stored nothing


def test_http_refuses_missing_wrong_and_revoked_tokens(live_server) -> None:  # noqa: ANN001
    lab, url = live_server.lab, f"{live_server.base_url}/mcp"
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream"}
    assert httpx.post(url, json=body, headers=headers).status_code == 401
    wrong = httpx.post(url, json=body, headers=headers | {"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401 and "alloyloop user token" in wrong.json()["detail"]
    first = _token(lab, "lee")
    runner = CliRunner()
    issued = runner.invoke(cli_app, ["user", "token", "lee", "--url", lab.url])
    assert issued.exit_code == 0, issued.output
    second = issued.stdout.strip().splitlines()[-1]
    assert len(second) >= 40 and second != first

    async def tools(session: ClientSession) -> set[str]:
        return {t.name for t in (await session.list_tools()).tools}

    assert _run(_http_session, url, second, tools) == TOOLS
    old = httpx.post(url, json=body, headers=headers | {"Authorization": f"Bearer {first}"})
    assert old.status_code == 401  # a new token revoked the old one
    revoked = runner.invoke(cli_app, ["user", "token", "lee", "--revoke", "--url", lab.url])
    assert revoked.exit_code == 0, revoked.output
    assert httpx.post(url, json=body, headers=headers | {"Authorization": f"Bearer {second}"}).status_code == 401
    with lab.session() as s:
        notes = [e.note for e in audit_entries(s, target_type="user", limit=5)]
    assert notes[0] == "access token revoked (1 live)" and notes[1] == "access token issued (1 earlier revoked)"


def test_predict_answers_with_the_campaigns_newest_model(lab, tmp_path: Path) -> None:  # noqa: ANN001
    """A tiny real model attached to a completed round: the tool's numbers are the model's."""
    import dataclasses

    from mcp import Client

    from alloyloop.db.campaigns import attach_model, finish_round, register_model_version, start_round
    from alloyloop.db.engine import make_engine
    from alloyloop.db.roles import Role
    from alloyloop.featurize.corpus import load_labelled
    from alloyloop.featurize.matrix import fraction_matrix
    from alloyloop.models.config import DVAEConfig
    from alloyloop.models.dvae import DisentangledVAE
    from alloyloop.web.mcp_server import build_server
    from alloyloop.web.mcp_tools import Actor

    palette = ("Co", "Cr", "Fe", "Mn", "Ni")
    corpus = load_labelled()
    corpus = corpus[corpus["single_phase"].notna() & corpus["fractions"].map(lambda f: set(f) <= set(palette))]
    config = dataclasses.replace(DVAEConfig(), max_epochs=4, min_epochs=2, patience=2, vae_max_epochs=2,
                                 classifier_hidden=(32, 32), encoder_hidden=(32, 32), decoder_hidden=(32, 32),
                                 composition_prior_samples=32)
    model = DisentangledVAE(config, elements=palette, seed=0).fit(
        fraction_matrix(corpus["fractions"], palette), corpus["single_phase"].astype(int).to_numpy())
    checkpoint = model.save(tmp_path / "model")
    with lab.session() as s:
        rnd = start_round(s, lab.campaign, data_hash="1" * 64, seed=2)
        version = register_model_version(s, f"{lab.campaign}/round-{rnd.index}", checkpoint, sha256="0" * 64)
        attach_model(s, rnd.id, version.id)
        finish_round(s, rnd.id)
    expected = DisentangledVAE.load(checkpoint).predict_detail(
        fraction_matrix([{"Co": 0.25, "Cr": 0.25, "Fe": 0.25, "Ni": 0.25}], palette))

    engine = make_engine(lab.url)

    async def main() -> tuple[Any, str]:
        async with Client(build_server(engine, lab.data_dir / "evidence", local=Actor("tester", Role.VIEWER))) as client:
            answer = await client.call_tool("predict", {"campaign": lab.campaign,
                                                        "compositions": ["CoCrFeNi", "Al0.5CoCrFeNi"]})
            refused = await client.call_tool("enter_label", {"composition": "CoCrFeNi", "outcome": "single",
                                                             "phases": ["FCC"], "method": "XRD"})
            return answer, _error(refused)

    try:
        answer, refused = _run(main)
    finally:
        engine.dispose()
    found = _data(answer)
    assert found["round"] == rnd.index and found["model"] == version.name
    [row] = found["rows"]
    assert row["key"] == "Co0.25Cr0.25Fe0.25Ni0.25" and row["p_single"] == pytest.approx(float(expected.p_single[0]))
    assert row["conformal_set"] == expected.sets[0] and row["in_domain"] == bool(expected.in_domain[0])
    assert found["errors"][0]["input"] == "Al0.5CoCrFeNi" and "Al" in found["errors"][0]["error"]
    assert "user 'tester' has role 'viewer'" in refused


def test_tool_errors_name_the_value_and_the_fix_and_store_nothing(lab) -> None:  # noqa: ANN001
    from mcp import Client

    from alloyloop.db.engine import make_engine
    from alloyloop.db.roles import Role
    from alloyloop.web.mcp_server import build_server
    from alloyloop.web.mcp_tools import Actor

    engine = make_engine(lab.url)
    label = {"outcome": "single", "phases": ["FCC"], "method": "XRD"}

    async def main() -> list[str]:
        async with Client(build_server(engine, lab.data_dir / "evidence", local=Actor("lee", Role.LAB))) as client:
            calls = [("open_suggestions", {"campaign": "no-such-campaign"}),
                     ("label_history", {"composition": "NaN"}),
                     ("enter_label", label),
                     ("enter_label", label | {"composition": "CoCrNi", "suggestion_id": lab.suggestion_ids[0]}),
                     ("enter_label", label | {"composition": "CoCrNi", "anneal_time_h": -1, "processing": "annealed"}),
                     ("enter_label", label | {"composition": "CoCrNi", "phases": ["FCC", "BCC"]}),
                     ("featurize", {"compositions": []})]
            return [_error(await client.call_tool(name, args)) for name, args in calls]

    try:
        missing, nan, neither, both, time, two_phases, empty = _run(main)
    finally:
        engine.dispose()
    assert "no-such-campaign" in missing
    assert "NaN" in nan
    assert "either suggestion_id" in neither and "either suggestion_id" in both
    assert "anneal" in time and "-1" in time
    assert "single" in two_phases and "BCC" in two_phases
    assert "1 to 1000 compositions" in empty
    with lab.session() as s:
        assert labels_for(s, "CoCrNi") == [] and get_suggestion(s, lab.suggestion_ids[0]).status == "suggested"
