"""The package layout: one ``alloyloop`` namespace, and imports that run one way.

The layers are the import-linter contract in ``pyproject.toml`` (docs/architecture.md);
``lint-imports`` checks them here, so CI fails on a back-import. The second test shows the
check can fail: a copy of the tree with one back-import breaks the contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("featurize", "models", "db", "campaigns", "agent", "web", "cli")
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(config: Path, cwd: Path, extra_path: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    return subprocess.run([str(LINT), "--no-cache", str(config)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_import_contract_is_kept() -> None:
    assert LINT.exists(), f"{LINT} is missing: install the dev extra (import-linter)"
    run = _lint(ROOT / "pyproject.toml", ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_a_back_import_breaks_the_contract(tmp_path: Path) -> None:
    # A copy of the packages as the namespace's folders, first on the path, with featurize
    # (the bottom layer) importing the agent (near the top).
    ns = tmp_path / "alloyloop"
    for name in LAYERS:
        shutil.copytree(ROOT / name, ns / name, ignore=shutil.ignore_patterns("__pycache__"))
    target = ns / "featurize" / "composition.py"
    target.write_text(target.read_text() + "\nimport alloyloop.agent.flows  # back-import\n")
    run = _lint(ROOT / "pyproject.toml", tmp_path, extra_path=tmp_path)
    assert run.returncode != 0, run.stdout
    assert "BROKEN" in run.stdout
    assert "alloyloop.featurize.composition -> alloyloop.agent.flows" in run.stdout


@pytest.mark.parametrize("name", LAYERS)
def test_generic_top_level_names_are_not_importable(name: str, tmp_path: Path) -> None:
    """A research folder with its own ``models/`` must not shadow ours, nor ours it."""
    run = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert run.returncode != 0 and "ModuleNotFoundError" in run.stderr, run.stderr
    ok = subprocess.run([sys.executable, "-c", f"import alloyloop.{name}"], cwd=tmp_path,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
