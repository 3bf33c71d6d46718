"""The real-scan benchmark reads a folder's manifest, analyses each scan and scores it against
the truth the manifest gives; a bad manifest is refused with the entry and the fix. (The
scans here are synthetic files in a temporary folder: real ones stay outside the repository.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from alloyloop.agent.xrd.synthetic import Conditions, fcc_cantor, lab6, simulate, write_xy
from benchmarks.xrd_real import called_right, read_manifest, report, run

MANIFEST = """
[[scan]]
file = "cantor.xy"
composition = "CoCrFeMnNi"
truth = "single"
phases = ["FCC"]
a = { FCC = 3.59 }
source = "synthetic"
licence = "test"

[[scan]]
file = "lab6.xy"
truth = "unindexed"
phases = []
wavelength = "CuKa1"
"""


def test_scans_are_scored_against_their_manifest(tmp_path: Path) -> None:
    write_xy(simulate([fcc_cantor(3.59)], Conditions(seed=11)), tmp_path / "cantor.xy")
    write_xy(simulate([lab6()], Conditions(seed=12, ka2=False)), tmp_path / "lab6.xy")
    (tmp_path / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    rows = run(tmp_path)
    assert [s.file for s, _, _ in rows] == ["cantor.xy", "lab6.xy"]
    assert all(called_right(s, r) for s, r, _ in rows)
    text = report(rows, tmp_path)
    assert "| clear-truth scans called right (outcome and structures) | 2/2 |" in text
    assert "| lattice parameters within 0.01 Å (phases called right, truth known) | 1/1 |" in text


def test_bad_manifest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.toml").write_text('[[scan]]\nfile = "x.xy"\ntruth = "single-phase"\n', encoding="utf-8")
    with pytest.raises(SystemExit, match="truth 'single-phase': use one of single, multi, unindexed"):
        read_manifest(tmp_path)
