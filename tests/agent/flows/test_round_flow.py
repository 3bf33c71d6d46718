"""The campaign loop end to end: real Prefect flows, a real DVAE, the real store."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alloyloop.agent.campaign_ops import create_from_spec, trigger_decision
from alloyloop.agent.flows import label_round, retrain_when_labels_arrive, run_campaign, run_round
from alloyloop.agent.labelers.replay import ReplayOracle
from alloyloop.agent.report.round_report import FIGURES, read_importance
from alloyloop.campaigns.spec import parse_spec
from alloyloop.db.campaigns import get_model_version, list_suggestions, reports, rounds
from alloyloop.db.labels import add_label
from alloyloop.db.lifecycle import transition
from alloyloop.db.models import Label, ModelVersion
from alloyloop.db.session import store_session
from alloyloop.models.dvae import DisentangledVAE

PNG = b"\x89PNG\r\n\x1a\n"
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _campaign_labels(url: str, campaign: str) -> list[tuple[int, str, str]]:
    with store_session(url) as s:
        rows = s.execute(select(Label.id, Label.external_id, Label.outcome)
                         .where(Label.external_id.like(f"replay/{campaign}/%"))
                         .order_by(Label.id)).tuples().all()
    return [tuple(r) for r in rows]


def test_two_round_campaign(store_url: str, home: Path, tiny_spec) -> None:  # noqa: ANN001
    with store_session(store_url) as s:
        create_from_spec(s, tiny_spec)
    first = run_campaign("tiny", 1, store_url, str(home))[0]
    assert first["labelling"]["labelled"] > 0  # tolerance 50 at.%: the oracle labels most
    # round 1 starts from the label-count trigger; the replay oracle labels its batch too
    second = retrain_when_labels_arrive("tiny", store_url, str(home))
    assert second["fired"] and second["reason"].endswith("since round 0 (trigger: 1)")
    assert second["new_labels"] == first["labelled"] and second["round"]["labelling"]["labelled"] > 0
    out = [first, second["round"]]
    assert [o["index"] for o in out] == [0, 1] and all(o["status"] == "completed" for o in out)

    hidden = ReplayOracle.for_spec(tiny_spec).hidden_keys
    with store_session(store_url) as s:
        recs = rounds(s, "tiny")
        assert [r.status for r in recs] == ["completed", "completed"]
        assert recs[0].data_hash != recs[1].data_hash  # round 1 saw round 0's labels
        assert [r.seed for r in recs] == [5, 6]
        versions = [get_model_version(s, r.model_version_id) for r in recs]
        batches = [list_suggestions(s, round_id=r.id) for r in recs]
        report_rows = [reports(s, r.id) for r in recs]

    # model registry: checkpoint folder + the sha256 of its meta.json, warm start in round 1
    for v in versions:
        folder = Path(v.checkpoint_path)
        assert v.sha256 == _sha256(folder / "meta.json")
        assert DisentangledVAE.load(folder).elements == tuple(tiny_spec.model.palette)
        assert str(folder).startswith(str(home / "campaigns" / "tiny"))
    assert versions[0].config["warm_start"]["used"] is False
    assert versions[1].config["warm_start"] == {"used": True, "source": versions[0].checkpoint_path,
                                                "reason": "previous round's weights"}
    assert versions[1].metrics["epochs"] <= 3  # warm_start_max_epochs
    assert versions[0].metrics["n_unlabelled"] > 0  # semi-supervised: the pool is used

    # suggestions: a full batch, inside the design space, nothing twice, none hidden-trained
    keys = [[b.alloy_key for b in batch] for batch in batches]
    for batch, ks in zip(batches, keys):
        assert len(ks) == tiny_spec.batch_size == len(set(ks))
        assert {b.strategy for b in batch} <= {"screen", "botorch", "nudge"}
        for b in batch:
            assert 0 <= b.p_single <= 1 and b.prediction_set is not None and b.in_domain is not None
            assert "domain_score" in b.extra and "latent" in b.extra
    assert set(keys[0]).isdisjoint(keys[1])  # round 0's alloys are labelled or failed: known
    statuses = {b.status for batch in batches for b in batch}
    assert statuses <= {"labelled", "failed"}

    # replayed labels: one per labelled suggestion, cited by it, from a hidden alloy
    labels = _campaign_labels(store_url, "tiny")
    labelled = [b for batch in batches for b in batch if b.status == "labelled"]
    assert sorted(b.label_id for b in labelled) == [lab[0] for lab in labels]
    assert {lab[1] for lab in labels} == {f"replay/tiny/{b.id}" for b in labelled}
    assert len(hidden) > 10
    with store_session(store_url) as s:  # the labels of round 1 arrived after it started
        decision = trigger_decision(s, "tiny")
    assert decision.fire and decision.new_labels == sum(b.status == "labelled" for b in batches[1])

    # reports: one per round, every figure a PNG, linked from the HTML
    for r_rows, v in zip(report_rows, versions):
        (row,) = r_rows
        page = Path(row.path)
        html = page.read_text(encoding="utf-8")
        for name in FIGURES:
            assert (page.parent / name).read_bytes().startswith(PNG)
            assert f'src="{name}"' in html
        assert "ΔS_mix [J/(mol K)]" in html and "credible labels" in html and "conformal_set" not in html
        assert f"#{v.id} tiny/round-" in html
    previous = read_importance(Path(report_rows[0][0].path).parent)
    html1 = Path(report_rows[1][0].path).read_text(encoding="utf-8")
    feature, value = next(iter(previous.items()))
    assert f"{value:.4g}" in html1  # round 1 compares with round 0's importance
    assert re.search(r"exact SHAP values|SHAP values estimated by sampling", html1)
    assert not re.search(r"[A-Z][a-z]+Error\b|failed:", html1) and str(home) not in html1  # no exception, no server path


def test_crash_mid_round_then_rerun(store_url: str, home: Path, tiny_spec,  # noqa: ANN001
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from alloyloop.agent.report import round_report

    with store_session(store_url) as s:
        create_from_spec(s, tiny_spec)
    run_campaign("tiny", 1, store_url, str(home))
    labels_before = _campaign_labels(store_url, "tiny")
    assert labels_before

    real = round_report.write_round_report

    def crash(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("injected crash while writing the report")

    monkeypatch.setattr(round_report, "write_round_report", crash)
    with pytest.raises(RuntimeError, match="injected crash"):
        run_round("tiny", store_url, str(home))
    with store_session(store_url) as s:
        crashed = rounds(s, "tiny")[-1]
        assert crashed.index == 1 and crashed.status == "running"
        stored = list_suggestions(s, round_id=crashed.id)
        assert len(stored) == tiny_spec.batch_size and crashed.model_version_id is not None
        assert reports(s, crashed.id) == []
        n_versions = s.execute(select(func.count()).select_from(ModelVersion)).scalar_one()

    # the rerun fails once more (a transient error): the task's retry absorbs it
    calls = []

    def flaky(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk hiccup")
        return real(*args, **kwargs)

    monkeypatch.setattr(round_report, "write_round_report", flaky)
    summary = run_round("tiny", store_url, str(home))
    assert summary["resumed"] is True and summary["index"] == 1 and summary["status"] == "completed"
    assert len(calls) == 2
    with store_session(store_url) as s:
        done = rounds(s, "tiny")
        assert [r.status for r in done] == ["completed", "completed"]
        after = list_suggestions(s, round_id=crashed.id)
        assert [a.id for a in after] == [b.id for b in stored]  # no duplicates, same batch
        assert done[-1].model_version_id == crashed.model_version_id  # not refitted
        assert s.execute(select(func.count()).select_from(ModelVersion)).scalar_one() == n_versions
        assert len(reports(s, crashed.id)) == 1
    assert _campaign_labels(store_url, "tiny") == labels_before  # no label lost or doubled
    label_round("tiny", 1, store_url)
    assert _campaign_labels(store_url, "tiny")[: len(labels_before)] == labels_before


def test_lab_campaign_waits_for_labels_and_excludes_pending(sqlite_store: str, home: Path,
                                                            spec_dict) -> None:  # noqa: ANN001
    url = sqlite_store
    spec = parse_spec(spec_dict("lab", labeler="lab", every_n_labels=2))
    with store_session(url) as s:
        create_from_spec(s, spec)
    first = run_campaign("lab", 1, url, str(home))[0]
    assert first["labelling"]["labelled"] == 0 and first["suggestions"] == spec.batch_size
    with store_session(url) as s:
        batch = list_suggestions(s, round_id=rounds(s, "lab")[0].id)
        assert {b.status for b in batch} == {"suggested"}  # the lab labeler waits
        assert not trigger_decision(s, "lab").fire
        for b in batch[:2] + batch[3:]:  # the lab takes three of them; one fails
            transition(s, b.id, "queued", by="alice")
        transition(s, batch[3].id, "failed", by="alice", note="cracked on casting")
        add_label(s, composition=batch[2].alloy_key, outcome="single", phases="FCC",
                  source="experiment", method="XRD", entered_by="alice")
        decision = trigger_decision(s, "lab")
        assert not decision.fire and decision.new_labels == 1
        add_label(s, composition="Co30Cr20Fe30Ni20", outcome="multi", source="experiment",
                  method="SEM", entered_by="alice")
        add_label(s, composition="Al10Cu90", outcome="multi", source="experiment", method="SEM",
                  entered_by="alice")  # outside the model palette: does not count
        assert trigger_decision(s, "lab").new_labels == 2
    fired = retrain_when_labels_arrive("lab", url, str(home))
    assert fired["fired"] and fired["round"]["index"] == 1
    with store_session(url) as s:
        second = list_suggestions(s, round_id=rounds(s, "lab")[1].id)
        old = {b.id: b.status for b in list_suggestions(s, round_id=rounds(s, "lab")[0].id)}
    taken = {b.alloy_key for b in batch[:2]} | {batch[3].alloy_key}
    assert taken.isdisjoint({b.alloy_key for b in second})  # pending or failed: not re-suggested
    assert batch[2].alloy_key not in {b.alloy_key for b in second}  # now labelled: known
    assert [old[b.id] for b in batch] == ["queued", "queued", "labelled", "failed"]  # its label closed it
    again = retrain_when_labels_arrive("lab", url, str(home))
    assert again == {"fired": False, "reason": "0 new label(s) since round 1; waiting for 2",
                     "new_labels": 0}


def test_schedule_builds_a_cron_deployment_on_the_server(sqlite_store: str) -> None:
    from prefect.client.orchestration import get_client

    from alloyloop.agent.schedule import deployment_name, retrain_deployment

    deployment = retrain_deployment("tiny", "0 2 * * *", url=sqlite_store)
    assert deployment.name == deployment_name("tiny") == "retrain-tiny"
    assert deployment.parameters == {"campaign": "tiny", "url": sqlite_store}
    (schedule,) = deployment.schedules
    assert schedule.schedule.cron == "0 2 * * *"
    deployment_id = deployment.apply()
    with get_client(sync_client=True) as client:
        stored = client.read_deployment(deployment_id)
    assert stored.name == "retrain-tiny" and stored.schedules[0].schedule.cron == "0 2 * * *"
