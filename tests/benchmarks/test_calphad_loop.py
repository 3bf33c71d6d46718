"""The CALPHAD closed loop's pieces: its specs, its distances and a 1-round smoke run
(real Prefect flow, real DVAE, real pycalphad) of ``benchmarks/calphad_loop.py --quick``
(its ``main``, in-process on the shared Prefect test server)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from benchmarks.calphad_loop import STRATEGIES, spec_dict
from benchmarks.calphad_loop_metrics import SuggestionScore, nearest_distances, summary


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_every_strategy_has_a_valid_free_spec(strategy: str) -> None:
    from alloyloop.campaigns.spec import parse_spec

    spec = parse_spec(spec_dict(f"loop-{strategy}", strategy, 3, 8, quick=False))
    assert spec.batch_size == 8 and spec.pool is None  # free suggestions, no pool
    assert [s.kind for s in spec.strategies] == list(STRATEGIES[strategy])
    assert spec.space.palette == ("Al", "Co", "Cr", "Ni") and spec.space.step == 0.05
    assert spec.labeler.kind == "calphad" and spec.labeler.threshold == 0.99
    assert spec.labeler.temperatures == (1273.0,)
    assert spec.model.seed == 3 and spec.model.dvae["vae_max_epochs"] == 60


def test_distances_in_at_pct_by_both_metrics() -> None:
    train = np.array([[0.5, 0.5, 0.0], [0.0, 0.2, 0.8]])
    x = np.array([[0.4, 0.4, 0.2], [0.0, 0.2, 0.8]])
    max_abs, half_l1 = nearest_distances(x, train)
    np.testing.assert_allclose(max_abs, [20.0, 0.0])
    np.testing.assert_allclose(half_l1, [20.0, 0.0])
    max_abs, half_l1 = nearest_distances(np.array([[0.3, 0.3, 0.4]]), train)
    np.testing.assert_allclose(max_abs, [40.0])  # to (0.5, 0.5, 0): 0.4 Co; to the other: 0.4
    np.testing.assert_allclose(half_l1, [40.0])
    assert (half_l1 >= max_abs).all()


def test_a_grid_step_of_exactly_ten_at_pct_is_not_far() -> None:
    # 0.4 - 0.3 is 0.10000000000000003 in floats: unrounded, a hit two 5 at.% grid steps
    # from its training alloy would count as farther than 10 at.%
    max_abs, half_l1 = nearest_distances(np.array([[0.4, 0.6]]), np.array([[0.3, 0.7]]))
    assert max_abs[0] == 10.0 and half_l1[0] == 10.0
    scores = [SuggestionScore(0, "Co40Ni60", "screen", None, "single", max_abs[0], half_l1[0])]
    assert summary(scores)["far_hits_max_abs"] == 0


def test_distances_reject_mismatched_columns() -> None:
    with pytest.raises(ValueError, match=r"shapes \(1, 2\) and \(1, 3\)"):
        nearest_distances(np.ones((1, 2)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="no training alloy"):
        nearest_distances(np.ones((1, 2)), np.ones((0, 2)))


def test_summary_counts_far_hits_and_fills() -> None:
    scores = [SuggestionScore(0, "Co50Ni50", "screen", None, "single", 5.0, 5.0),
              SuggestionScore(0, "Al10Co40Ni50", "screen", None, "single", 15.0, 15.0),
              SuggestionScore(1, "Al25Cr25Ni50", "screen", "nudge", "multi", 30.0, 30.0),
              SuggestionScore(1, "Al25Co25Cr50", "screen", None, None, 12.0, 20.0, "failed")]
    s = summary(scores)
    assert (s["suggestions"], s["distinct"], s["labelled"], s["hits"], s["filled"]) == (4, 4, 3, 2, 1)
    assert s["far_hits_max_abs"] == 1 and s["far_hits_half_l1"] == 1
    assert s["hit_systems"] == ["Al-Co-Ni", "Co-Ni"] and s["median_hit_max_abs"] == 10.0


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_quick_loop_runs_through_the_flow(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """``main`` of the script in this process, on the session's Prefect test server: the
    same run as ``python benchmarks/calphad_loop.py --quick ...`` without a second Python
    start-up and a Prefect server of its own (most of this test's time under load)."""
    from alloyloop.agent.prefect_env import DEFAULTS
    from benchmarks.calphad_loop import main

    for name, value in DEFAULTS.items():  # main sets these defaults: keep them to this test
        monkeypatch.setenv(name, os.environ.get(name, value))
    main(["--quick", "--strategies", "greedy", "--out-dir", str(tmp_path),
          "--store", str(tmp_path / "store.sqlite3")])
    assert "[seed 0] greedy" in capsys.readouterr().out
    raw = json.loads((tmp_path / "calphad_loop.json").read_text())
    (run,) = raw["results"]
    assert run["strategy"] == "greedy" and raw["meta"]["rounds"] == 1 and raw["meta"]["batch"] == 2
    assert len(run["suggestions"]) == 2 and run["n_training"] > 100
    for s in run["suggestions"]:
        assert s["outcome"] in ("single", "multi") or s["note"] == "failed"
        assert s["half_l1"] >= s["max_abs"] >= 0
    assert "## CALPHAD closed loop" in (tmp_path / "calphad_loop.md").read_text()
