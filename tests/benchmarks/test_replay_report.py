"""The replay study's table and plot from per-round records (no campaign is run here:
tests/agent/flows/test_pool_replay.py runs one through the flow and scores it)."""

from __future__ import annotations

import numpy as np

from benchmarks.replay import run_name, spec_dict
from benchmarks.replay_report import mean_ci, render
from alloyloop.campaigns.spec import parse_spec

PNG = b"\x89PNG\r\n\x1a\n"


def _run(strategy: str, seed: int, hits_per_round: list[int], batch: int = 10) -> dict:
    rounds, cum = [], 0
    for t, h in enumerate(hits_per_round):
        cum += h
        n = batch * (t + 1)
        rounds.append({"round": t, "experiments": batch, "hits": h, "cumulative_experiments": n,
                       "cumulative_hits": cum, "hit_rate": h / batch, "cumulative_hit_rate": cum / n,
                       "enhancement": (cum / n) / 0.5, "recall": cum / 700,
                       "top_k_recall": cum / n, "balanced_accuracy": 0.7, "roc_auc": 0.8,
                       "ece": 0.05, "n_remaining": 1400 - n})
    return {"strategy": strategy, "start": "full", "seed": seed, "pool_size": 1400,
            "pool_singles": 700, "wall_seconds": 120.0, "rounds": rounds}


def test_mean_ci():
    m, h = mean_ci([1.0, 2.0, 3.0])
    assert m == 2.0 and np.isclose(h, 4.303 * 1.0 / np.sqrt(3), atol=1e-3)
    assert mean_ci([0.4]) == (0.4, 0.0)
    assert np.isnan(mean_ci([])[0])


def test_render_table_and_plot(tmp_path):
    results = [_run("dvae-greedy", s, [9, 10]) for s in range(3)] + \
              [_run("random", s, [5, 4 + s % 2]) for s in range(3)]
    md = render(results, tmp_path, command="python -m benchmarks.replay", machine="test box",
                rounds=2, batch=10)
    row = next(line for line in md.splitlines() if line.startswith("| dvae-greedy"))
    # 19 of 20 hits; random averages (9 + 10 + 9) / 3 / 20 = 0.4667 -> 0.95 / 0.4667 = 2.04
    assert "| 19.0 ± 0.0 | 0.95 ± 0.00 | 1.90 ± 0.00 | 2.04 ± 0.00 |" in row
    assert (tmp_path / "replay.png").read_bytes().startswith(PNG)
    assert "pool single-phase share 0.500" in md


def test_paired_comparison_by_seed(tmp_path):
    results = [_run("dvae-botorch", s, [8, 9]) for s in range(3)] + \
              [_run("rf-ei", s, [9, 6 + s]) for s in range(3)]  # 15, 16, 17 against 17
    md = render(results, tmp_path, command="c", machine="m", rounds=2, batch=10)
    assert ("dvae-botorch − rf-ei, paired by seed: 1.0 ± 2.5 hits (s0 +2, s1 +1, s2 +0; ahead on 2 "
            "of 3 seeds).") in md


def test_target_verdict(tmp_path):
    rf = [_run("rf-ei", s, [9, 6 + s]) for s in range(3)]  # 15, 16, 17 hits
    bo = [_run("dvae-botorch", s, [8, 9]) for s in range(3)]  # 17: 17/20 = 0.85
    rand = [_run("random", s, [4, 4]) for s in range(3)]  # 0.40 -> 2.12x
    md = render(bo + rf + rand, tmp_path, command="c", machine="m", rounds=2, batch=10)
    assert ("Issue #9 target (dvae-botorch >= 2x random's hit rate and ahead of rf-ei): 2.12x random, "
            "+1.0 hits over rf-ei on 3 paired seeds: **met**.") in md
    rand = [_run("random", s, [5, 5]) for s in range(3)]  # 0.50 -> 1.70x, at most 2.00x
    md = render(bo + rf + rand, tmp_path, command="c", machine="m", rounds=2, batch=10)
    assert "1.70x random; a perfect picker would reach 2.00x here, +1.0 hits over rf-ei" in md
    assert "**not met**" in md


def test_run_specs_validate_for_every_strategy_and_start():
    from benchmarks.replay import RARE_SHARE, STARTS, STRATEGIES

    for strategy in STRATEGIES:
        for start in STARTS:
            spec = parse_spec(spec_dict(run_name(strategy, start, 3), strategy, start, 3, 10,
                                        ["Co", "Cr", "Fe", "Mn", "Ni"], quick=False))
            assert spec.pool.fold == 3 and spec.labeler.hidden == "pool"
            assert spec.labeler.start_fraction == STARTS[start]
            assert spec.pool.single_share == (RARE_SHARE if start == "rare" else None)
            assert spec.batch_size == 10 and len(spec.strategies) == 1


def test_merge_keeps_the_later_folders_run(tmp_path, monkeypatch):
    import json

    import benchmarks.replay as replay
    import benchmarks.report as report

    written = {}
    monkeypatch.setattr(report, "write_section", lambda section, md, *a, **k: written.update({section: md}))
    for name, runs in (("a", [_run("rf-ei", 0, [5] * 5), _run("random", 0, [4] * 5)]),
                       ("b", [_run("rf-ei", 0, [7] * 5), _run("rf-ei", 1, [6] * 5)])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "replay.json").write_text(json.dumps(
            {"meta": {"command": f"python -m benchmarks.replay run-{name}"}, "results": runs}))
    out = tmp_path / "out"
    replay.main(["--merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out-dir", str(out)])
    merged = json.loads((out / "replay.json").read_text())
    hits = {(r["strategy"], r["seed"]): r["rounds"][-1]["cumulative_hits"] for r in merged["results"]}
    assert hits == {("rf-ei", 0): 35, ("random", 0): 20, ("rf-ei", 1): 30}
    assert merged["meta"]["merged_from"] == ["python -m benchmarks.replay run-a", "python -m benchmarks.replay run-b"]
    runs = "Merged from the runs of `python -m benchmarks.replay run-a`; `python -m benchmarks.replay run-b`."
    # out of docs/: the table stays beside the merged json, docs/benchmarks.md is untouched
    assert written == {} and runs in (out / "replay.md").read_text()
    assert (out / "replay.png").is_file()
    # into docs/ (the study's home): the section of docs/benchmarks.md
    monkeypatch.setattr(report, "DOCS", tmp_path / "docs")
    replay.main(["--merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out-dir", str(tmp_path / "docs")])
    assert runs in written["replay"] and not (tmp_path / "docs" / "replay.md").exists()
