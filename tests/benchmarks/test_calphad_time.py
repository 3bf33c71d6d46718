"""Smoke run of ``python -m benchmarks.calphad_time`` on a few compositions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_calphad_time_writes_its_section_only(tmp_path: Path) -> None:
    md = tmp_path / "benchmarks.md"
    md.write_text("# benchmarks\n\n<!-- someone_else:start -->\nkeep me\n<!-- someone_else:end -->\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "benchmarks.calphad_time", "--n", "3", "--workers", "1",
                           "--out", str(md)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = md.read_text()
    assert "keep me" in text and "<!-- calphad:start -->" in text and "<!-- calphad:end -->" in text
    assert "## CALPHAD labeler: time per pycalphad equilibrium" in text
    assert "3 seeded Al-Co-Cr-Ni compositions" in text and "| start one worker" in text
    assert text.count("| Al") == 3  # one row per composition
