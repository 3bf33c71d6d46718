"""Crash safety under real kills: ``alloyloop campaign run`` in a subprocess is killed with
SIGKILL at the crash points of :mod:`alloyloop.agent.faults` (during training, acquisition,
persistence and the report), and the rerun resumes the round.

After every kill the store must show a consistent, half-done round (running, nothing
committed twice, no partial batch); after the final rerun: no label lost, no suggestion
stored twice, one model version per round, every round completed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alloyloop.agent.campaign_ops import create_from_spec
from alloyloop.agent.faults import ENV, POINTS, kill_point
from alloyloop.agent.flows import BATCH_FILE, FIT_FILE, MODEL_DIR, REPORT_DIR, label_round, run_campaign, run_round
from alloyloop.agent.paths import round_dir
from alloyloop.campaigns.spec import parse_spec
from alloyloop.db.campaigns import list_suggestions, reports, rounds
from alloyloop.db.models import Label, ModelVersion, Suggestion, SuggestionEvent
from alloyloop.db.session import store_session

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]
CAMPAIGN = "tiny"


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("alloyloop")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from alloyloop.cli.app import app; app()"]


def _killed_run(url: str, home: Path, point: str) -> None:
    """``alloyloop campaign run`` in a subprocess, against the test's Prefect server,
    with the kill armed at ``point``; it must die of SIGKILL."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, ENV: point, "PREFECT_API_URL": PREFECT_API_URL.value(),
           "OMP_NUM_THREADS": "1", "ALLOYLOOP_HOME": str(home)}
    done = subprocess.run([*_cli(), "campaign", "run", CAMPAIGN, "--url", url, "--home", str(home)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == -signal.SIGKILL, (
        f"expected a SIGKILL at {point!r}, got exit code {done.returncode}\n{done.stdout}\n{done.stderr}")


def _state(url: str) -> dict:
    with store_session(url) as s:
        recs = rounds(s, CAMPAIGN)
        return {
            "rounds": [(r.index, r.status, r.model_version_id, r.data_hash) for r in recs],
            "suggestions": [(x.id, x.alloy_key, x.status) for x in list_suggestions(s, campaign=CAMPAIGN)],
            "versions": s.execute(select(ModelVersion.name).order_by(ModelVersion.id)).scalars().all(),
            "labels": s.execute(select(Label.id, Label.alloy_id, Label.outcome, Label.external_id)
                                .order_by(Label.id)).tuples().all(),
            "events": s.execute(select(func.count()).select_from(SuggestionEvent)).scalar_one(),
            "orphans": s.execute(select(func.count()).select_from(SuggestionEvent).where(
                ~SuggestionEvent.suggestion_id.in_(select(Suggestion.id)))).scalar_one(),
            "reports": {r.index: len(reports(s, r.id)) for r in recs},
        }


def _crash_round_one_at_every_point(url: str, home: Path, spec) -> None:  # noqa: ANN001
    with store_session(url) as s:
        create_from_spec(s, spec)
    run_campaign(CAMPAIGN, 1, url, str(home))  # round 0, labelled by the replay oracle
    before = _state(url)
    assert before["labels"] and [r[1] for r in before["rounds"]] == ["completed"]
    round0_suggestions = before["suggestions"]

    # 1. killed after training: the checkpoint is written but not marked complete
    _killed_run(url, home, "fit")
    st = _state(url)
    assert [r[:2] for r in st["rounds"]] == [(0, "completed"), (1, "running")]
    index, status, version_id, data_hash = st["rounds"][1]
    assert version_id is None and st["versions"] == before["versions"]
    folder = round_dir(CAMPAIGN, 1, data_hash, str(home))
    assert (folder / MODEL_DIR / "meta.json").is_file() and not (folder / FIT_FILE).exists()
    assert st["labels"] == before["labels"] and st["suggestions"] == round0_suggestions

    # 2. killed after acquisition: the model is registered, the batch not stored
    _killed_run(url, home, "acquisition")
    st = _state(url)
    assert st["rounds"][1][:2] == (1, "running") and st["rounds"][1][3] == data_hash  # same round resumed
    assert st["versions"] == [*before["versions"], f"{CAMPAIGN}/round-1"]
    assert (folder / FIT_FILE).is_file() and (folder / BATCH_FILE).is_file()
    assert st["suggestions"] == round0_suggestions and st["events"] == before["events"]
    version_after_fit = st["rounds"][1][2]
    assert version_after_fit is not None

    # 3. killed inside the batch's transaction (rows flushed, not committed): rolled back
    _killed_run(url, home, "persist")
    st = _state(url)
    assert st["rounds"][1] == (1, "running", version_after_fit, data_hash)
    assert st["suggestions"] == round0_suggestions  # nothing of the half-written batch
    assert st["events"] == before["events"] and st["orphans"] == 0
    assert st["versions"] == [*before["versions"], f"{CAMPAIGN}/round-1"]  # not registered twice

    # 4. killed after the report files are written, before the round links them
    _killed_run(url, home, "report")
    st = _state(url)
    batch = [x for x in st["suggestions"] if x not in round0_suggestions]
    assert len(batch) == spec.batch_size == len({x[1] for x in batch})
    assert (folder / REPORT_DIR / "index.html").is_file() and st["reports"] == {0: 1, 1: 0}
    assert st["rounds"][1] == (1, "running", version_after_fit, data_hash)

    # the rerun finishes the same round: no refit, the same batch, one report
    summary = run_round(CAMPAIGN, url, str(home))
    assert summary["resumed"] is True and summary["index"] == 1 and summary["status"] == "completed"
    after = _state(url)
    assert [r[1] for r in after["rounds"]] == ["completed", "completed"]
    assert after["rounds"][1][2] == version_after_fit
    assert after["versions"] == [*before["versions"], f"{CAMPAIGN}/round-1"]  # one version per round
    assert after["suggestions"] == st["suggestions"]  # no suggestion added or lost
    assert after["reports"] == {0: 1, 1: 1}
    assert after["labels"] == before["labels"]  # no label lost or doubled
    label_round(CAMPAIGN, 1, url)
    final = _state(url)
    assert final["labels"][: len(before["labels"])] == before["labels"]
    batch_ids = {x[0] for x in batch}
    assert {x[2] for x in final["suggestions"] if x[0] in batch_ids} <= {"labelled", "failed"}


def test_sigkill_at_every_step_then_rerun(sqlite_store: str, home: Path, spec_dict) -> None:  # noqa: ANN001
    _crash_round_one_at_every_point(sqlite_store, home, parse_spec(spec_dict(CAMPAIGN)))


@pytest.mark.postgres
def test_sigkill_at_every_step_then_rerun_postgres(postgres_server, corpus_postgres: str, home: Path,  # noqa: ANN001
                                                   spec_dict) -> None:  # noqa: ANN001
    name = postgres_server.create_database(template=corpus_postgres)
    try:
        _crash_round_one_at_every_point(postgres_server.url(name), home, parse_spec(spec_dict(CAMPAIGN)))
    finally:
        postgres_server.drop_database(name)


def test_kill_points_are_inert_unless_armed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    for point in POINTS:
        kill_point(point)  # still alive
    monkeypatch.setenv(ENV, "fit")
    kill_point("report")  # armed elsewhere: still alive
    monkeypatch.setenv(ENV, "fitt")
    with pytest.raises(ValueError, match=r"ALLOYLOOP_TEST_KILL_AT='fitt' is not a kill point: use one of fit"):
        kill_point("fit")
    with pytest.raises(ValueError, match="unknown kill point 'training'"):
        kill_point("training")
