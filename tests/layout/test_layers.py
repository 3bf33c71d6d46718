"""The package layout: one ``alloyloop`` namespace, and imports that run one way.

The layers and the other import-linter contracts are in ``pyproject.toml``
(docs/architecture.md); ``lint-imports`` checks them here, so CI fails on a back-import, an
ORM import outside ``alloyloop.db`` or a handler that calls the store itself. The other tests
show each contract can fail: a copy of the tree with one offending import breaks exactly
that contract, and lint-imports names the import.
"""

from __future__ import annotations

import os
import re
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


def _copy_with(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the packages as the namespace's folders (to put first on the path), with
    ``line`` appended to ``module`` (a path under the namespace)."""
    ns = tmp_path / "alloyloop"
    for name in LAYERS:
        shutil.copytree(ROOT / name, ns / name, ignore=shutil.ignore_patterns("__pycache__"))
    target = ns / module
    target.write_text(target.read_text() + f"\n{line}\n")
    return tmp_path


def test_a_back_import_breaks_the_contract(tmp_path: Path) -> None:
    # featurize (the bottom layer) importing the agent (near the top)
    root = _copy_with(tmp_path, "featurize/composition.py", "import alloyloop.agent.flows  # back-import")
    run = _lint(ROOT / "pyproject.toml", root, extra_path=root)
    assert run.returncode != 0, run.stdout
    assert "BROKEN" in run.stdout
    assert "alloyloop.featurize.composition -> alloyloop.agent.flows" in run.stdout


ORM = "the ORM only in alloyloop.db"
HANDLERS = "web handlers and CLI commands call services"
CONTRACTS = ("alloyloop layers", ORM, HANDLERS)


def _verdicts(stdout: str) -> dict[str, str]:
    """Contract name prefix -> KEPT / BROKEN, from lint-imports' summary (names may wrap)."""
    flat = " ".join(stdout.split())
    return {name: re.search(r"\b(KEPT|BROKEN)\b", flat[flat.index(name):]).group(1) for name in CONTRACTS}


@pytest.mark.parametrize(("module", "line", "contract", "shown"), [
    # SQL written in the agent, the web or the CLI instead of a query function of db
    ("agent/campaign_ops.py", "from sqlalchemy import select", ORM, "alloyloop.agent.campaign_ops -> sqlalchemy"),
    ("web/label_search.py", "import sqlmodel", ORM, "alloyloop.web.label_search -> sqlmodel"),
    ("cli/commands/export.py", "from alloyloop.db.models import Label", ORM,
     "alloyloop.cli.commands.export -> alloyloop.db.models"),
    # a page or a command composing store calls instead of calling a service
    ("web/pages.py", "from alloyloop.db.labels import get_label", HANDLERS,
     "alloyloop.web.pages -> alloyloop.db.labels"),
    ("cli/commands/label.py", "from alloyloop.db.audit import add_label_audited", HANDLERS,
     "alloyloop.cli.commands.label -> alloyloop.db.audit"),
])
def test_each_contract_can_break(module: str, line: str, contract: str, shown: str, tmp_path: Path) -> None:
    root = _copy_with(tmp_path, module, line)
    run = _lint(ROOT / "pyproject.toml", root, extra_path=root)
    assert run.returncode != 0, run.stdout
    verdicts = _verdicts(run.stdout)
    assert verdicts[contract] == "BROKEN", run.stdout
    assert [n for n, v in verdicts.items() if v == "BROKEN"] == [contract], run.stdout  # only that one
    assert shown in run.stdout, run.stdout


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
