"""The calibration benchmark replays the product's own map round by round: a campaign
whose first round all missed records lower p's afterwards, round 0 is never moved, and a
study without per-suggestion p's is said to be unusable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks.campaign_calibration import evaluate, gaps, product, replay_section, section


def _campaign(seed: int, hit_rate: list[float]) -> dict:
    rng = np.random.default_rng(seed)
    suggestions = [{"round": r, "key": f"A{r}{i}", "fractions": {"Co": 0.5 + 0.05 * i, "Ni": 0.5 - 0.05 * i},
                    "p": 0.8, "hit": bool(rng.random() < rate)}
                   for r, rate in enumerate(hit_rate) for i in range(6)]
    return {"oracle": "toy", "strategy": "botorch", "seed": seed, "kind": "campaign",
            "suggestions": suggestions}


def test_misses_lower_later_rounds_only(tmp_path: Path) -> None:
    results = [_campaign(s, [0.0, 0.3, 0.3]) for s in range(3)]
    (group,) = evaluate(results, product(0.5)).values()
    raw, cal, y, rnd = group.arrays()
    assert np.array_equal(cal[rnd == 0], raw[rnd == 0])  # no own label yet: unchanged
    assert np.all(cal[rnd > 0] < raw[rnd > 0])
    before, after = gaps(raw, y, rnd), gaps(cal, y, rnd)
    assert abs(after["gap"]) < abs(before["gap"])
    study = tmp_path / "discovery.json"
    study.write_text(json.dumps({"meta": {"updated": "today"}, "results": results}))
    replay = tmp_path / "replay.json"
    replay.write_text(json.dumps({"results": [{"rounds": [{"hits": 3}]}]}))
    md = section(study, replay, "cmd")
    assert "| toy | botorch | 54 |" in md and "records no suggestion's p and label" in md
    assert "not evaluated" in replay_section(tmp_path / "none.json", 0.5, 0.5)[0]


def test_the_replay_record_is_evaluated_per_start(tmp_path: Path) -> None:
    rounds = [{"round": r, "hits": 1, "suggestions": [
        {"key": f"A{r}{i}", "p_single": 0.99, "p_model": None, "hit": i % 2 == 0} for i in range(10)]}
        for r in range(3)]
    replay = tmp_path / "replay.json"
    replay.write_text(json.dumps({"results": [
        {"strategy": "dvae-greedy", "start": "rare", "seed": 0, "rounds": rounds},
        {"strategy": "rf-ei", "start": "full", "seed": 0, "rounds": [{"round": 0, "hits": 2}]}]}))
    md = "\n".join(replay_section(replay, 0.5, 0.5))
    assert "| replay rare | dvae-greedy | 30 |" in md and "rf-ei" not in md  # no suggestions: left out
    # p 0.99 for a hit rate of 0.5: the later rounds are recorded well below 0.99
    line = next(x for x in md.splitlines() if x.startswith("| replay rare"))
    assert "+0.490 →" in line
