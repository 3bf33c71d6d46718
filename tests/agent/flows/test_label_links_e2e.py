"""Issue 28, acceptance: a real round of a lab campaign, its suggestions labelled through the
CLI (``label add``), a CSV (``label import``), the web label form and the XRD page, one of
them corrected (``label supersede``, single → multi); then the round's hits in ``campaign
status`` (the CLI's table and :func:`summarize_round`), the dashboard (page and JSON), the
next round's report (``rounds.json`` and its page) and the label search's campaign filter
all equal a count made directly from the current labels (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from alloyloop.agent.campaign_ops import create_from_spec, round_report_path, summarize_round
from alloyloop.agent.flows import run_campaign, run_round
from alloyloop.agent.xrd.synthetic import example_pattern, write_xy
from alloyloop.campaigns.spec import parse_spec
from alloyloop.cli.app import app
from alloyloop.db.campaigns import list_suggestions, rounds
from alloyloop.db.labels import labels_for
from alloyloop.db.lifecycle import history
from alloyloop.db.models import Label
from alloyloop.db.session import store_session
from alloyloop.web.app import create_app
from alloyloop.db.label_list import LabelQuery, search_labels
from alloyloop.web.settings import WebSettings

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]
runner = CliRunner()
NAME = "links"


@pytest.fixture(autouse=True)
def wide_output(monkeypatch: pytest.MonkeyPatch) -> None:
    from alloyloop.cli.commands import campaign, label

    for console in (campaign.console, label.console):
        monkeypatch.setattr(console, "width", 220)


def _cli(*args: str) -> str:
    out = runner.invoke(app, list(args))
    assert out.exit_code == 0, out.output
    return out.output


def _hits_from_current_labels(url: str, round_id: int) -> int:
    """The count the acceptance asks for, straight from the label table: suggestions whose
    alloy's one current label says single."""
    with store_session(url) as s:
        hits = 0
        for sug in list_suggestions(s, round_id=round_id):
            current = s.execute(select(Label.outcome).where(Label.alloy_id == sug.alloy_id,
                                                            Label.superseded_by.is_(None))).scalars().all()
            assert len(current) == 1, (sug.alloy_key, current)
            hits += current[0] == "single"
        return hits


def _web(url: str, data_dir: Path) -> TestClient:
    from alloyloop.web.auth import add_account

    with store_session(url) as s:
        add_account(s, "lee", "correct horse battery", "lab", actor="test")
    return TestClient(create_app(WebSettings(database_url=url, data_dir=data_dir)), base_url="http://127.0.0.1")


def _login(client: TestClient) -> str:
    def hidden(html: str, name: str) -> str:
        return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)  # type: ignore[union-attr]

    token = hidden(client.get("/login").text, "csrf_token")
    done = client.post("/login", data={"name": "lee", "password": "correct horse battery", "csrf_token": token,
                                       "next": "/campaigns"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    return hidden(client.get("/campaigns").text, "csrf_token")


def test_hits_agree_everywhere_after_labels_by_every_route_and_a_correction(
        store_url: str, home: Path, tmp_path: Path, spec_dict) -> None:  # noqa: ANN001
    url = store_url
    with store_session(url) as s:
        create_from_spec(s, parse_spec(spec_dict(NAME, labeler="lab")))
    run_campaign(NAME, 1, url, str(home))  # a real round: data, DVAE, batch, report
    with store_session(url) as s:
        first = rounds(s, NAME)[0]
        batch = list_suggestions(s, round_id=first.id)
    assert len(batch) == 4 and {b.status for b in batch} == {"suggested"}
    a, b, c, d = (x.alloy_key for x in batch)

    said = _cli("label", "add", "-c", a, "-o", "single", "-p", "FCC", "-s", "experiment", "-m", "XRD", "--url", url)
    assert f"closed suggestion #{batch[0].id} of campaign {NAME}, round 0" in " ".join(said.split())
    sheet = tmp_path / "lab.csv"
    sheet.write_text(f"composition,outcome,phases,source,method\n{b},single,FCC,experiment,XRD\n", encoding="utf-8")
    _cli("label", "import", str(sheet), "--url", url)
    with _web(url, tmp_path / "web") as client:
        token = _login(client)
        form = client.post("/labels", data={"csrf_token": token, "composition": c, "outcome": "multi",
                                            "phases": ["FCC", "BCC"], "source": "experiment", "method": "SEM"},
                           follow_redirects=False)
        assert form.status_code == 303, form.text
        scan = tmp_path / "scan.xy"
        write_xy(example_pattern(), scan)
        shown = client.post("/labels/xrd", data={"csrf_token": token, "composition": d},
                            files={"pattern": ("scan.xy", scan.read_bytes(), "text/plain")})
        assert shown.status_code == 200, shown.text
        stored = re.search(r'name="pattern" value="([^"]*)"', shown.text).group(1)  # type: ignore[union-attr]
        xrd = client.post("/labels/xrd/store", data={
            "csrf_token": token, "composition": d, "pattern": stored, "pattern_name": "scan.xy",
            "decision": "reject", "outcome": "single", "phases": ["FCC"]}, follow_redirects=False)
        assert xrd.status_code == 303, xrd.text

        with store_session(url) as s:
            closed = {x.id: (x.status, x.label_id) for x in list_suggestions(s, round_id=first.id)}
            assert all(status == "labelled" and label_id is not None for status, label_id in closed.values())
            for x in batch:  # each closed by the label of its own alloy, the move cited
                note = history(s, x.id)[-1].note
                assert note.startswith(f"closed by label #{closed[x.id][1]} (experiment")
            assert summarize_round(s, first, target="single").hits == 3
            wrong = labels_for(s, a)[0].id
        _cli("label", "supersede", str(wrong), "-o", "multi", "-p", "FCC+BCC", "--note", "second scan", "--url", url)

        expected = _hits_from_current_labels(url, first.id)
        assert expected == 2  # a (corrected to multi) and c (multi) are misses; b and d hits
        with store_session(url) as s:
            assert summarize_round(s, first, target="single").hits == expected
            found = search_labels(s, LabelQuery(campaign=NAME, state="current"))
            assert found.total == 4 and sum(lb.outcome == "single" for lb in found.labels) == expected
        status = _cli("campaign", "status", NAME, "--url", url)
        row = re.search(r"^\W*0\W+completed\W+(\d+)\W+(\d+)\W+(\d+)", status, re.M)
        assert row is not None, status
        assert (int(row.group(1)), int(row.group(2)), int(row.group(3))) == (4, 4, expected)
        dash = client.get(f"/api/v1/campaigns/{NAME}").json()
        assert (dash["rounds"][0]["labelled"], dash["rounds"][0]["hits"]) == (4, expected)
        assert f'id="hits-0">{expected}</td>' in client.get(f"/campaigns/{NAME}").text

    run_round(NAME, url, str(home))  # the next round's report shows round 0 as it stands now
    with store_session(url) as s:
        report = Path(round_report_path(s, rounds(s, NAME)[1].id))
    earlier = json.loads((report.parent / "rounds.json").read_text(encoding="utf-8"))["earlier_rounds"]
    assert [(r["index"], r["labelled"], r["hits"]) for r in earlier] == [(0, 4, expected)]
    assert "Earlier rounds" in report.read_text(encoding="utf-8")
