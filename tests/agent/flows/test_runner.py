"""The round services without Prefect: the plain runner runs the same rounds as the flows,
imports no Prefect, and every labeler labels through the one labelling path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from alloyloop.agent.campaign_ops import create_from_spec
from alloyloop.agent.flows import run_campaign
from alloyloop.agent.labelers import Labeler, LabelResult
from alloyloop.campaigns.registry import LABELERS
from alloyloop.agent.labelers.lab import LabLabeler
from alloyloop.agent.rounds.labelling import label_open, open_suggestions, store_labels
from alloyloop.agent.rounds.runner import run_rounds
from alloyloop.campaigns.spec import parse_spec
from alloyloop.db.campaigns import SuggestionInput, add_suggestions, finish_round, list_suggestions, start_round
from alloyloop.db.labels import add_label
from alloyloop.db.lifecycle import transition
from alloyloop.db.session import store_sessions
from alloyloop.db.snapshot import take_snapshot

VOLATILE = ("report", "seconds", "resumed")
"""Summary fields that differ between two runs of the same round (paths, wall time)."""


def _batch(url: str, campaign: str) -> list[tuple]:
    with store_sessions(url) as sessions, sessions() as s:
        return [(x.alloy_key, x.strategy, x.status, round(x.p_single, 9))
                for x in list_suggestions(s, campaign=campaign)]


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_runner_runs_the_rounds_the_flow_runs(fresh_store, spec_dict, tmp_path: Path) -> None:  # noqa: ANN001
    spec = parse_spec(spec_dict("same"))
    plain, flowed = fresh_store("sqlite", corpus=True), fresh_store("sqlite", corpus=True)
    for url in (plain, flowed):
        with store_sessions(url) as sessions, sessions() as s:
            create_from_spec(s, spec)
    with store_sessions(plain) as sessions:
        by_runner = run_rounds(sessions, "same", 2, str(tmp_path / "plain"))
    by_flow = run_campaign("same", 2, flowed, str(tmp_path / "flowed"))

    assert [s["index"] for s in by_runner] == [0, 1] and by_runner[0]["labelling"]["labelled"] > 0
    strip = [{k: v for k, v in s.items() if k not in VOLATILE} for s in by_runner]
    assert strip == [{k: v for k, v in s.items() if k not in VOLATILE} for s in by_flow]
    assert _batch(plain, "same") == _batch(flowed, "same")
    assert Path(by_runner[-1]["report"]).is_file()
    assert str(by_runner[-1]["report"]).startswith(str(tmp_path / "plain"))


def test_runner_imports_no_prefect() -> None:
    code = ("import sys; import alloyloop.agent.rounds.runner; "
            "print('prefect' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


def _two_rounds(url: str, spec: dict) -> tuple[list, list]:
    """A lab campaign with round 0 (3 suggestions) and round 1 (2, one of them failed)."""
    with store_sessions(url) as sessions, sessions() as s:
        create_from_spec(s, parse_spec(spec))
        r0 = start_round(s, "bench", data_hash="h0", seed=1)
        first = add_suggestions(s, r0.id, [SuggestionInput(k, "screen") for k in
                                           ("Co50Ni50", "Cr20Fe40Ni40", "Co25Cr25Fe25Ni25")])
        finish_round(s, r0.id)
        r1 = start_round(s, "bench", data_hash="h1", seed=2)
        second = add_suggestions(s, r1.id, [SuggestionInput(k, "screen") for k in
                                            ("Co40Ni60", "Fe50Ni50")])
        transition(s, second[1].id, "queued", by="test")
        transition(s, second[1].id, "failed", by="test", note="crucible cracked")
    return first, second


def test_the_labelling_path_picks_open_suggestions_and_stores_results(fresh_store, spec_dict
                                                                    ) -> None:  # noqa: ANN001
    url = fresh_store("sqlite")
    first, second = _two_rounds(url, spec_dict("bench", "lab"))
    with store_sessions(url) as sessions:
        newest = open_suggestions(sessions, "bench")  # the newest round, minus the failed one
        assert newest.round_index == 1 and [s.id for s in newest.open] == [second[0].id]
        every = open_suggestions(sessions, "bench", newest=False)
        assert every.round_index is None
        assert [s.id for s in every.open] == [s.id for s in first] + [second[0].id]
        assert [s.id for s in open_suggestions(sessions, "bench", 0).open] == [s.id for s in first]
        with pytest.raises(ValueError, match=r"campaign 'bench' has no round 7 \(rounds: 0, 1\)"):
            open_suggestions(sessions, "bench", 7)

        waiting = label_open(sessions, "bench")  # the spec's labeler: the lab, which waits
        assert waiting.summary() == {"round": 1, "labeler": "lab", "open": 1, "labelled": 0,
                                     "failed": 0}

        results = [LabelResult(first[0].id, "single", ("FCC",), source="literature",
                               method="unreported", external_id=f"test/{first[0].id}"),
                   LabelResult(second[0].id, None, note="could not be made")]
        with pytest.raises(ValueError, match=f"suggestion {second[1].id} is not an open suggestion"):
            store_labels(sessions, every, [LabelResult(second[1].id, "multi")], by="test")
        applied = store_labels(sessions, every, results, by="test labeler")
        assert (applied.labelled, applied.failed) == (1, 1)
        again = store_labels(sessions, every, results, by="test labeler")  # a rerun stores nothing twice
        assert (again.labelled, again.failed) == (1, 1)
        with sessions() as s:
            status = {x.id: x.status for x in list_suggestions(s, campaign="bench")}
        assert status[first[0].id] == "labelled" and status[second[0].id] == "failed"
        assert status[first[1].id] == "suggested"
        left = label_open(sessions, "bench", LabLabeler(), newest=False)
        assert left.summary()["open"] == 2 and left.summary()["round"] is None


def test_every_registered_labeler_keeps_the_protocol() -> None:
    for kind, plug in LABELERS.items():
        cls = plug.load()
        missing = [m for m in ("from_options", "label", "describe", "training_view", "name", "automatic")
                   if not hasattr(cls, m)]
        assert not missing, (kind, missing)
    assert isinstance(LabLabeler(), Labeler)


def test_the_snapshot_names_the_owner_of_each_simulated_label(fresh_store) -> None:  # noqa: ANN001
    url = fresh_store("sqlite")
    with store_sessions(url) as sessions, sessions() as s:
        mine = add_label(s, composition="Co50Ni50", outcome="single", source="literature",
                         method="unreported", external_id="replay/other-campaign/5")
        real = add_label(s, composition="Cr20Fe40Ni40", outcome="multi", source="literature",
                         method="unreported", external_id="doi:10.1/x")
        snap = take_snapshot(s, None)
    assert snap.simulated_owner == {mine.id: "other-campaign"} and real.id not in snap.simulated_owner
