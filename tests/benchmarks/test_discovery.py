"""The discovery study: its metrics, its checks on a peer's proposals, and a quick run of
``python -m benchmarks.discovery --quick`` (real stores, a real DVAE, real pycalphad) whose
published figures are recomputed from the labels the stores hold."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from benchmarks.discovery.metrics import run_metrics, system, with_distances
from benchmarks.discovery.oracles import ORACLES
from benchmarks.discovery.runs import check_proposals, load_peer, start_observations

ELEMENTS = ("Al", "Co", "Cr", "Fe", "Ni")


def _row(round_: int, fractions: dict[str, float], hit: bool | None, p: float | None) -> dict:
    return {"round": round_, "key": "-", "fractions": fractions, "hit": hit, "p": p}


def test_run_metrics_count_hits_systems_far_hits_and_calibration() -> None:
    train = np.array([[0.1, 0.3, 0.3, 0.0, 0.3], [0.0, 0.5, 0.0, 0.0, 0.5]])
    rows = [_row(0, {"Al": 0.1, "Co": 0.3, "Cr": 0.3, "Ni": 0.3}, True, 0.9),   # on a training alloy
            _row(0, {"Al": 0.05, "Co": 0.2, "Cr": 0.35, "Ni": 0.4}, True, 0.8),  # 10 at.% Ni away: not far
            _row(1, {"Co": 0.2, "Cr": 0.2, "Ni": 0.6}, True, 0.7),               # 30 at.% from both
            _row(1, {"Al": 0.3, "Ni": 0.7}, False, 0.6),
            _row(1, {"Al": 0.2, "Co": 0.8}, None, 0.5)]                          # no label: an experiment
    rows = with_distances(rows, train, ELEMENTS)
    assert [r["max_abs"] for r in rows] == [0.0, 10.0, 30.0, 40.0, 50.0]  # 10.0, not 10.000000000000004
    m = run_metrics(rows)
    assert (m["experiments"], m["labelled"], m["hits"], m["far_hits"]) == (5, 4, 3, 1)
    assert m["hit_systems"] == ["Al-Co-Cr-Ni", "Co-Cr-Ni"]
    assert m["cumulative_hits"] == [1, 2, 3, 3, 3]
    assert m["mean_p"] == pytest.approx(0.7) and m["hit_rate"] == pytest.approx(0.75)
    assert m["calibration_gap"] == pytest.approx(-0.05)
    peer = run_metrics([{**r, "p": None} for r in rows])
    assert peer["mean_p"] is None and peer["calibration_gap"] is None and peer["hits"] == 3
    with pytest.raises(ValueError, match=r"\['Ti'\], outside the model palette"):
        with_distances([_row(0, {"Ti": 0.5, "Co": 0.5}, True, 0.5)], train, ELEMENTS)
    assert system({"Ni": 0.5, "Al": 0.5, "Fe": 0.0}) == "Al-Ni"


def test_peer_proposals_must_keep_the_protocol() -> None:
    oracle = ORACLES["alcocrni"]
    good = {"Al": 0.1, "Co": 0.3, "Cr": 0.3, "Ni": 0.3}
    assert check_proposals(oracle, [good], set(), 1, "p") == [good]
    with pytest.raises(ValueError, match="proposed 2 alloys, asked for 1"):
        check_proposals(oracle, [good, good], set(), 1, "p")
    for bad in ({"Al": 0.12, "Co": 0.28, "Cr": 0.3, "Ni": 0.3},   # off the 5 at.% grid
                {"Co": 0.4, "Cr": 0.3, "Ni": 0.3},                # 3 elements: the space needs 4
                {"Al": 0.1, "Co": 0.3, "Cr": 0.3, "Fe": 0.3},     # Fe is not in the palette
                {"Al": 0.1, "Co": 0.3, "Cr": 0.3, "Ni": 0.2}):    # sums to 0.9
        with pytest.raises(ValueError, match="not a composition of the design space"):
            check_proposals(oracle, [bad], set(), 1, "p")
    with pytest.raises(ValueError, match="again: proposals must be new"):
        check_proposals(oracle, [good], {"Al0.1Co0.3Cr0.3Ni0.3"}, 1, "p")


def test_a_missing_peer_is_skipped_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.discovery import runs

    monkeypatch.setitem(runs.PEERS, "nowhere", "benchmarks.peers.no_such_peer:Peer")
    peer, why = load_peer("nowhere")
    assert peer is None and "benchmarks.peers.no_such_peer:Peer is not importable" in why


def test_peers_start_from_the_training_alloys_inside_the_palette() -> None:
    oracle = ORACLES["alcocrni"]
    X = np.array([[0.1, 0.3, 0.3, 0.0, 0.3], [0.0, 0.3, 0.3, 0.1, 0.3]])
    (obs,) = start_observations(oracle, X, np.array([1, 0]), ELEMENTS)
    assert obs.fractions == {"Al": 0.1, "Co": 0.3, "Cr": 0.3, "Ni": 0.3} and obs.hit is True


def _table_row(md: str, name: str) -> list[str]:
    line = next(line for line in md.splitlines() if line.startswith(f"| {name} |"))
    return [c.strip() for c in line.strip("|").split("|")]


@pytest.mark.slow
def test_quick_study_publishes_what_the_stores_hold(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from alloyloop.db.session import store_session
    from benchmarks.discovery.runs import campaign_rows
    from benchmarks.discovery.start import training_alloys
    from benchmarks.discovery import runs
    from benchmarks.discovery.study import main

    # a peer that is never installed: the study must skip it and say why (the real peers
    # may or may not be installed, depending on the `peers` extra)
    monkeypatch.setitem(runs.PEERS, "nowhere", "benchmarks.peers.no_such_peer:Peer")
    cache = tmp_path / "stores" / "calphad-cache.sqlite3"
    monkeypatch.setenv("ALLOYLOOP_CALPHAD_CACHE", str(cache))
    path = main(["--quick", "--out-dir", str(tmp_path), "--store-dir", str(tmp_path / "stores"),
                 "--strategies", "greedy", "random", "nowhere"])
    data = json.loads(path.read_text())
    meta, results = data["meta"], data["results"]
    assert sorted(r["strategy"] for r in results) == ["greedy", "random"]
    oracle = ORACLES["alcocrni"]
    md = (tmp_path / "discovery.md").read_text()
    assert "nowhere: benchmarks.peers.no_such_peer:Peer is not importable" in md
    train = meta["training"]["alcocrni/0"]
    start = train["start_alloys"]
    assert len(start) == 4
    X, y, elements = training_alloys(tmp_path / "stores" / "corpus-alcocrni-s0.sqlite3", oracle)
    assert (train["n_training"], train["n_single"]) == (len(y), int(y.sum())) and len(y) > 100
    assert "X" not in train  # corpus data stays out of the study's json
    assert [a["hit"] for a in start] == oracle.label([a["fractions"] for a in start])
    for run in results:
        assert len(run["rounds"]) == 1 and run["rounds"][0]["wall_s"] > 0
        with store_session(run["store"]) as session:
            stored = campaign_rows(session, run["campaign"])
        assert with_distances(stored, X, elements) == run["suggestions"] and len(stored) == 2
        # every stored label is the oracle's, read back from the cache without a worker
        labeler = oracle.labeler()
        assert all(labeler.fully_cached(s["fractions"]) for s in stored)
        assert [s["hit"] for s in stored] == oracle.label([s["fractions"] for s in stored])
        m = run_metrics(with_distances(stored, X, elements))
        cells = _table_row(md, run["strategy"])
        assert cells[1:5] == ["1", f"{m['hits']:.1f}", str(m["hits"]), "2"]
        assert cells[5] == f"{len(m['hit_systems']):.1f}" and cells[6] == f"{m['far_hits']:.1f}"
        assert cells[7] == f"{m['mean_p']:.2f}" and cells[8] == f"{m['hit_rate']:.2f}"
        assert all(0 <= s["p"] <= 1 for s in stored)
    rate = meta["base_rate"]["alcocrni"]
    from benchmarks.discovery.study import BASE_RATE_SEED

    labels = oracle.label(oracle.random_alloys(6, BASE_RATE_SEED))
    assert (rate["labelled"], rate["hits"]) == (sum(h is not None for h in labels),
                                                sum(bool(h) for h in labels))
    assert re.search(rf"{rate['hits']} single of {rate['labelled']} labelled", md)
    assert (tmp_path / "discovery-alcocrni.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("strategy", ["greedy", "botorch", "rf-ei", "random", "mix"])
def test_every_study_strategy_is_a_valid_spec_filling_the_batch(strategy: str) -> None:
    from alloyloop.campaigns.spec import parse_spec
    from benchmarks.discovery.oracles import ORACLES
    from benchmarks.discovery.runs import spec_dict

    oracle = ORACLES["alcocrni"]
    spec = parse_spec(spec_dict(oracle, f"d-{strategy}", strategy, 0, 6, {}, 20))
    counts = {s.kind: s.count for s in spec.strategies}
    assert sum(counts.values()) == 6
    if strategy == "mix":  # two thirds greedy screening, a third the latent search
        assert counts == {"screen": 4, "botorch": 2}
        screen = next(s for s in spec.strategies if s.kind == "screen").options
        assert screen.acquisition == "greedy"
        # the failed-region rule, the probe cap and the novelty rule botorch has by default
        # (issue #32)
        assert (screen.avoid_misses, screen.probe_count, screen.novel_margin) == (3, 2, 0.1)
    if strategy == "greedy":  # the baseline: plain greedy screening
        screen = spec.strategies[0].options
        assert (screen.avoid_misses, screen.probe_count, screen.novel_margin) == (0, 0, 0)


def _study_json(path: Path, runs: list[dict], command: str, **meta) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    base = {"command": command, "commands": [command], "machine": "m", "load_before": "1",
            "load_after": "2", "updated": "now", "rounds": 1, "batch": 1, "n_start": 1,
            "dvae": {}, "warm_epochs": 2, "training": {}, "base_rate": {}}
    (path / "discovery.json").write_text(json.dumps({"meta": {**base, **meta}, "results": runs}))
    return path


def _run(oracle: str, strategy: str, seed: int, hit: bool) -> dict:
    row = {**_row(0, {"Co": 0.4, "Cr": 0.35, "Fe": 0.2, "Ti": 0.05}, hit, 0.5), "max_abs": 5.0}
    return {"oracle": oracle, "strategy": strategy, "seed": seed, "rounds": [],
            "suggestions": [row]}


def test_merge_replaces_runs_by_oracle_strategy_seed_and_keeps_each_parts_record(
        tmp_path: Path) -> None:
    from benchmarks.discovery.merge import merge
    from benchmarks.discovery.report import render

    target = _study_json(tmp_path / "docs", [_run("cocrfenbti", "greedy", 0, True)], "old")
    before = _study_json(tmp_path / "before", [_run("cocrfenbti-hea", "greedy", 0, True),
                                               _run("cocrfenbti-hea", "botorch", 0, False)],
                         "cmd-before", base_rate={"cocrfenbti-hea": {"n": 3, "labelled": 3,
                                                                     "hits": 1}})
    after = _study_json(tmp_path / "after", [_run("cocrfenbti-hea", "botorch", 0, True)],
                        "cmd-after", load_before="9", machine="n")
    results, meta = merge(target / "discovery.json", [before, after])
    assert meta["machine"] == "m / n"  # the rows' machines, each once, not the merger's
    got = {(r["oracle"], r["strategy"], r["seed"]): r["suggestions"][0]["hit"] for r in results}
    assert got == {("cocrfenbti", "greedy", 0): True, ("cocrfenbti-hea", "greedy", 0): True,
                   ("cocrfenbti-hea", "botorch", 0): True}  # the later part's botorch
    assert meta["commands"] == ["old"] and meta["base_rate"]["cocrfenbti-hea"]["hits"] == 1
    per = meta["per_oracle"]["cocrfenbti-hea"]
    assert per["commands"] == ["cmd-before", "cmd-after"]
    assert [p["runs"] for p in per["parts"]] == [["botorch/s0", "greedy/s0"], ["botorch/s0"]]
    assert "cocrfenbti" not in meta["per_oracle"]
    md = render(results, {**meta, "machine": "m", "updated": "now"}, tmp_path, {})
    section = md.split("### cocrfenbti-hea")[1]
    assert "`cmd-before`; `cmd-after`" in section and "load average 9 before" in section
    assert "Runs of this oracle" not in md.split("### cocrfenbti-hea")[0]
    with pytest.raises(SystemExit, match="its rounds is 4"):
        merge(target / "discovery.json", [_study_json(tmp_path / "x", [], "c", rounds=4)])


def test_merge_keeps_the_base_rate_of_the_larger_sample(tmp_path: Path) -> None:
    """A part run with ``--base-rate-n 1`` (its own rate skipped) keeps the study's."""
    from benchmarks.discovery.merge import merge

    wide = {"n": 300, "labelled": 300, "hits": 13}
    target = _study_json(tmp_path / "docs", [_run("cocrfenbti-hea", "greedy", 0, True)], "old",
                         base_rate={"cocrfenbti-hea": wide})
    skipped = _study_json(tmp_path / "part", [_run("cocrfenbti-hea", "botorch", 0, True)], "p",
                          base_rate={"cocrfenbti-hea": {"n": 1, "labelled": 1, "hits": 0}})
    _, meta = merge(target / "discovery.json", [skipped])
    assert meta["base_rate"]["cocrfenbti-hea"] == wide
    again = _study_json(tmp_path / "again", [_run("cocrfenbti-hea", "botorch", 0, True)], "a",
                        base_rate={"cocrfenbti-hea": {"n": 300, "labelled": 299, "hits": 12}})
    _, meta = merge(target / "discovery.json", [again])  # a sample as large replaces it
    assert meta["base_rate"]["cocrfenbti-hea"]["labelled"] == 299
