"""End-to-end smoke runs of the benchmark scripts' ``--quick`` paths on a tiny subset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, f"benchmarks/{script}", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_phase_benchmark_quick_path(tmp_path):
    md = tmp_path / "benchmarks.md"
    md.write_text("# benchmarks\n\n<!-- someone_else:start -->\nkeep me\n"
                  "<!-- someone_else:end -->\n")
    _run("phase_benchmark.py", "--quick", "--max-train", "200", "--folds", "1",
         "--models", "rule:yang_zhang", "random-forest", "gp", "dvae", "dvae-supervised",
         "--out-dir", str(tmp_path))
    raw = json.loads((tmp_path / "phase_benchmark.json").read_text())
    assert raw["setup"]["mode"] == "quick"
    assert len(raw["results"]) == 5 * 2  # 5 models x 2 schemes x 1 fold
    for r in raw["results"]:
        assert 0.0 <= r["balanced_accuracy"] <= 1.0 and 0.0 <= r["ece"] <= 1.0
        assert r["n_fit"] <= 200
        if r["model"] == "dvae":
            assert r["n_unlabelled"] > 1000 and r["n_val"] > 0
        if r["model"] == "dvae-supervised":
            assert r["n_unlabelled"] == 0
    text = md.read_text()
    assert "keep me" in text
    assert "## Phase-classification benchmark" in text and "Mode **quick**" in text
    assert "| random-forest |" in text and "0.941 (0.881)" in text


@pytest.mark.slow
def test_data_efficiency_quick_path(tmp_path):
    _run("data_efficiency.py", "--quick", "--max-train", "300", "--out-dir", str(tmp_path))
    raw = json.loads((tmp_path / "data_efficiency.json").read_text())
    models = {(r["model"], r["fraction"]) for r in raw["results"]}
    assert {("rf", 0.1), ("dvae", 0.1), ("dvae-supervised", 1.0), ("dvae-flat", 0.1),
            ("dvae-z8", 0.1)} <= models
    assert (tmp_path / "data_efficiency.png").stat().st_size > 10_000
    assert "## Data efficiency (grouped split)" in (tmp_path / "benchmarks.md").read_text()


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_screening_dask_quick_path(tmp_path):
    from prefect.settings import PREFECT_API_URL

    md = tmp_path / "benchmarks.md"
    # the session's Prefect test server, not a temporary server of the script's own
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_API_URL": PREFECT_API_URL.value()}
    done = subprocess.run([sys.executable, "-m", "benchmarks.screening_dask", "--quick", "--candidates", "20000",
                           "--chunk-size", "10000", "--epochs", "1", "--workers", "2", "--out", str(md)],
                          cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = md.read_text()
    assert "## Screening on Dask" in text and "quick mode" in text and "Machine: " in text
    rows = [line for line in text.splitlines() if line.startswith("| 2 |")]  # 2 workers (1 vs 2: test_screen_flow)
    assert len(rows) == 1 and "| 20,000 | " in rows[0] and "| 2 | 20,000 |" in rows[0]
