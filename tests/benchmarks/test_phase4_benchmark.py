"""The phase4 task of the phase benchmark: a --quick smoke run and the merge of runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.phase4 import score4

ROOT = Path(__file__).resolve().parents[2]


def test_score4_is_hea_bench_balanced_accuracy():
    labels = np.array(["FCC", "FCC", "BCC", "multi-phase", "HCP"], dtype=object)
    pred = np.array(["FCC", "BCC", "BCC", "multi-phase", "FCC"], dtype=object)
    s = score4(pred, labels)
    assert s["balanced_accuracy"] == pytest.approx((0.5 + 1 + 1 + 0) / 4)
    assert s["single_balanced_accuracy"] == pytest.approx(1.0)


@pytest.mark.slow
def test_phase4_quick_path_and_merge(tmp_path):
    # the run in this process (its main: the script as a script runs in
    # test_benchmark_scripts), the merge through its command line
    from benchmarks.phase_benchmark import main

    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    assert main(["--task", "phase4", "--quick", "--max-train", "200", "--folds", "1",
                 "--schemes", "grouped", "--models", "majority", "rule:guo_vec",
                 "random-forest", "dvae-supervised", "dvae-supervised+route",
                 "--out-dir", str(tmp_path / "a")]) == 0
    raw = json.loads((tmp_path / "a" / "phase4_benchmark.json").read_text())
    assert raw["setup"]["task"] == "phase4" and len(raw["results"]) == 5
    for r in raw["results"]:
        assert 0.0 <= r["balanced_accuracy"] <= 1.0 and r["n_routed"] >= 0
    text = (tmp_path / "a" / "benchmarks.md").read_text()
    assert "## Phase-structure benchmark" in text and "| rule:guo_vec |" in text
    merge = [sys.executable, "-m", "benchmarks.phase4", str(tmp_path / "a" /
             "phase4_benchmark.json"), "--out-dir", str(tmp_path / "m")]
    done = subprocess.run(merge, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    merged = (tmp_path / "m" / "benchmarks.md").read_text()
    assert "Processing routes" in merged and "with the route as a classifier input" in merged
