"""Issue #19's replay columns on hand-made data: element systems among the hits, hits in
systems the training labels lack, and the hits' mean pairwise composition distance; issue
#32's verdict and the calibration of the suggestions."""

from __future__ import annotations

import numpy as np

from benchmarks.replay_metrics import hit_diversity
from benchmarks.replay_report import render

ELEMENTS = ("Co", "Cr", "Fe", "Ni")


def test_hit_diversity_by_hand():
    hits = np.array([[0.25, 0.25, 0.25, 0.25],   # Co-Cr-Fe-Ni
                     [0.30, 0.20, 0.25, 0.25],   # Co-Cr-Fe-Ni again
                     [0.50, 0.00, 0.00, 0.50]])  # Co-Ni
    d = hit_diversity(hits, ELEMENTS, {"Co-Cr-Fe-Ni"})
    assert d.systems == 2
    assert d.new_system_hits == 1
    # total-variation distances: 0.05, 0.5, 0.45 -> mean 1/3
    assert np.isclose(d.spread, (0.05 + 0.5 + 0.45) / 3)


def test_hit_diversity_of_few_hits():
    assert hit_diversity(np.empty((0, 4)), ELEMENTS, set()).systems == 0
    one = hit_diversity(np.array([[0.5, 0.5, 0.0, 0.0]]), ELEMENTS, set())
    assert (one.systems, one.new_system_hits, one.spread) == (1, 1, 0.0)


def _run(strategy: str, seed: int, hits: int, systems: int) -> dict:
    r = {"round": 0, "experiments": 10, "hits": hits, "cumulative_experiments": 10,
         "cumulative_hits": hits, "hit_rate": hits / 10, "cumulative_hit_rate": hits / 10,
         "enhancement": hits / 5, "recall": hits / 700, "top_k_recall": hits / 10,
         "balanced_accuracy": 0.7, "roc_auc": 0.8, "ece": 0.05, "n_remaining": 1390,
         "hit_systems": systems, "new_system_hits": systems - 1, "hit_spread": 0.25}
    return {"strategy": strategy, "start": "full", "seed": seed, "pool_size": 1400,
            "pool_singles": 700, "wall_seconds": 60.0, "rounds": [r]}


def test_table_columns_and_the_issue_32_verdict(tmp_path):
    runs = ([_run("dvae-botorch", s, 8, 6) for s in range(2)]
            + [_run("dvae-greedy", s, 8, 3) for s in range(2)]
            + [_run("rf-ei", s, 7, 5) for s in range(2)])
    md = render(runs, tmp_path, command="c", machine="m", rounds=1, batch=10)
    assert "| systems | new-system hits | spread |" in md
    row = next(line for line in md.splitlines() if line.startswith("| dvae-botorch"))
    assert "| 6.0 ± 0.0 | 5.0 ± 0.0 | 0.25 ± 0.00 |" in row
    assert ("Issue #32 target: dvae-botorch +0.0 hits and 2.00x the element systems of "
            "dvae-greedy (needs ≥ 0 and ≥ 1.3x; 2 paired seeds); +1.0 hits and 1.20x the "
            "element systems of rf-ei (needs ≥ 0 and ≥ 1x; 2 paired seeds): **met**.") in md
    fewer = [_run("dvae-botorch", s, 8, 3) for s in range(2)] + runs[2:]  # 1.0x greedy's
    assert "**not met**" in render(fewer, tmp_path, command="c", machine="m", rounds=1, batch=10)


def test_runs_recorded_before_the_columns_render_a_dash(tmp_path):
    old = _run("dvae-greedy", 0, 8, 3)
    for key in ("hit_systems", "new_system_hits", "hit_spread"):
        del old["rounds"][0][key]
    md = render([old], tmp_path, command="c", machine="m", rounds=1, batch=10)
    row = next(line for line in md.splitlines() if line.startswith("| dvae-greedy"))
    assert "| – | – | – |" in row


def _rows(ps: list[float], hits: list[bool], forest: float) -> list[dict]:
    return [{"key": f"Co{i}Ni", "system": "Co-Ni", "hit": h, "p_single": p, "acquisition": p,
             "p_surrogate": forest, "p_model": None} for i, (p, h) in enumerate(zip(ps, hits))]


def test_calibration_of_the_suggestions(tmp_path):
    """Mean p of the picks / their hit rate, the gap's interval over seeds; a dvae-*
    strategy is judged by its store p, rf-* by the forest's; old runs render a dash."""
    bo = [_run("dvae-botorch", s, 8, 6) for s in range(2)]
    bo[0]["rounds"][0]["suggestions"] = _rows([0.9] * 4, [True, True, False, False], 0.1)
    bo[1]["rounds"][0]["suggestions"] = _rows([0.7] * 4, [True, True, True, False], 0.1)
    ei = _run("rf-ei", 0, 7, 5)
    ei["rounds"][0]["suggestions"] = _rows([0.99] * 2, [True, False], 0.5)
    old = _run("dvae-greedy", 0, 8, 3)
    md = render(bo + [ei, old], tmp_path, command="c", machine="m", rounds=1, batch=10)
    rows = {line.split(" |")[0][2:]: line for line in md.splitlines() if line.startswith("| ")}
    # gaps +0.40 and -0.05: mean +0.175, t(0.975, 1) * 0.318 / sqrt(2) = 2.86
    assert "| 0.80 / 0.62 (+0.17 ± 2.86) |" in rows["dvae-botorch"]
    assert "| 0.50 / 0.50 (+0.00 ± 0.00) |" in rows["rf-ei"]
    assert "| – |" in rows["dvae-greedy"]
    assert "p_model" not in md.split("p / hit rate*")[-1]
    for r in bo:
        for row in r["rounds"][0]["suggestions"]:
            row["p_model"] = 0.6
    md = render(bo, tmp_path, command="c", machine="m", rounds=1, batch=10)
    assert "dvae-botorch: calibration by the recorded extra['p_model'] 0.60 / 0.62" in md
