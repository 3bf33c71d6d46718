"""``alloyloop label from-xrd``: the proposal in 80 columns, accept / edit / reject (flags and
the prompt), and the stored label: experiment/XRD, the pattern as evidence, the analysis and
the review as provenance."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from typer.testing import CliRunner

from alloyloop.agent.xrd.provenance import read_provenance
from alloyloop.agent.xrd.synthetic import Conditions, example_pattern, fcc_cantor, simulate, write_xy
from alloyloop.cli.app import app
from alloyloop.db.engine import make_engine, open_session
from alloyloop.db.labels import labels_for

runner = CliRunner()
ALLOY = "Al0.5CoCrFeNi"


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A comma-decimal FCC + 20 % BCC pattern, as a European instrument writes it."""
    path = tmp_path_factory.mktemp("xrd") / "AlCoCrFeNi_cast.xy"
    write_xy(example_pattern(), path,
             comma_decimal=True, header="AlCoCrFeNi as cast\nwavelength 1,5406")
    return path


@pytest.fixture
def sqlite_url(fresh_store) -> str:  # noqa: ANN001
    return fresh_store("sqlite")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ALLOYLOOP_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _labels(url: str):  # noqa: ANN202
    engine = make_engine(url)
    try:
        with open_session(engine) as s:
            return labels_for(s, ALLOY)
    finally:
        engine.dispose()


def _run(*args: str, stdin: str | None = None):  # noqa: ANN202
    result = runner.invoke(app, ["label", "from-xrd", *args], input=stdin)
    result.text = " ".join(result.output.split())  # the console wraps long lines
    return result


def test_accept_stores_the_proposal_with_the_pattern_and_the_analysis(sqlite_url: str, scan: Path, home: Path) -> None:
    done = _run(str(scan), "-c", ALLOY, "--accept", "--by", "lee", "--url", sqlite_url)
    assert done.exit_code == 0, done.output
    assert "proposed label: multi (FCC+BCC)" in done.text
    assert "(proposal accepted)" in done.text
    (label,) = _labels(sqlite_url)
    assert (label.outcome, list(label.phases), label.source, label.method) == ("multi", ["FCC", "BCC"], "experiment", "XRD")
    stored = Path(unquote(urlparse(label.evidence_uri).path))
    assert stored.parent == home / "evidence" and stored.read_bytes() == scan.read_bytes()
    assert unquote(urlparse(label.evidence_uri).fragment) == scan.name
    analysis, review = read_provenance(label.provenance)
    assert review.decision == "accepted" and review.changed == ()
    assert analysis.file == scan.name and [p.structure for p in analysis.phases] == ["FCC", "BCC"]
    assert abs(analysis.phases[0].a - 3.59) < 0.01 and abs(analysis.phases[1].a - 2.88) < 0.01
    # two phases by their peaks: no whole-pattern fit ran; the shift shown and stored is the peaks'
    assert "shift: zero shift" in done.text and "(peaks)" in done.text and analysis.shift_source == "peaks"


def test_a_displaced_single_phase_stores_the_profile_refined_shift(sqlite_url: str, tmp_path: Path,
                                                                   home: Path) -> None:
    """One FCC by its peaks, displaced by D = 0.3°: the whole-pattern fit's shift and Kα2 ratio
    are shown and kept in the label's provenance, which says where they came from."""
    path = tmp_path / "displaced.xy"
    write_xy(simulate([fcc_cantor(3.59)], Conditions(fwhm=0.12, peak_counts=5000, seed=7, displacement=0.3)), path)
    done = _run(str(path), "-c", ALLOY, "--accept", "--url", sqlite_url)
    assert done.exit_code == 0, done.output
    assert "proposed label: single (FCC)" in done.text
    assert "Kα2 ratio" in done.text and "(whole-pattern fit)" in done.text
    (label,) = _labels(sqlite_url)
    analysis, _ = read_provenance(label.provenance)
    assert analysis.shift_source == "whole-pattern fit"
    assert abs(analysis.displacement - 0.3) < 0.04 and abs(analysis.ka2_ratio - 0.5) < 0.1
    assert f"displacement {analysis.displacement:+.3f}°" in done.text


def test_outcome_flags_edit_and_reject(sqlite_url: str, scan: Path, home: Path) -> None:
    edited = _run(str(scan), "-c", ALLOY, "-o", "multi", "-p", "FCC,B2", "--url", sqlite_url)
    assert edited.exit_code == 0, edited.output
    assert "(proposal edited)" in edited.text
    rejected = _run(str(scan), "-c", ALLOY, "-o", "single", "-p", "FCC", "--reject", "--note", "BCC is the holder",
                    "--url", sqlite_url)
    assert rejected.exit_code == 0, rejected.output
    first, second = _labels(sqlite_url)
    assert read_provenance(first.provenance)[1].changed == ("phases",)
    review = read_provenance(second.provenance)[1]
    assert review.decision == "rejected" and review.stored.outcome == "single"
    assert review.proposed.phases == ("FCC", "BCC")
    assert second.evidence_uri == first.evidence_uri  # the same file is stored once


def test_the_prompt_accepts_edits_and_rejects(sqlite_url: str, scan: Path, home: Path) -> None:
    edit = _run(str(scan), "-c", ALLOY, "--url", sqlite_url, stdin="edit\nmulti\nFCC,BCC,sigma\n")
    assert edit.exit_code == 0, edit.output
    reject = _run(str(scan), "-c", ALLOY, "--url", sqlite_url, stdin="r\nsingle\nFCC\n")
    assert reject.exit_code == 0, reject.output
    accept = _run(str(scan), "-c", ALLOY, "--url", sqlite_url, stdin="a\n")
    assert accept.exit_code == 0, accept.output
    decisions = [read_provenance(lb.provenance)[1].decision for lb in _labels(sqlite_url)]
    assert decisions == ["edited", "rejected", "accepted"]
    assert list(_labels(sqlite_url)[0].phases) == ["FCC", "BCC", "sigma"]


def test_bad_input_stores_nothing(sqlite_url: str, scan: Path, home: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.xy"
    cut.write_text(scan.read_text(encoding="utf-8") + "99,99\n", encoding="utf-8")
    broken = _run(str(cut), "-c", ALLOY, "--accept", "--url", sqlite_url)
    assert broken.exit_code == 1 and "cut.xy, line" in broken.output and "truncated" in broken.text
    wrong = _run(str(scan), "-c", ALLOY, "-o", "single", "-p", "FCC,BCC", "--url", sqlite_url)
    assert wrong.exit_code == 1 and "single-phase label lists at most one phase" in wrong.text
    both = _run(str(scan), "-c", ALLOY, "--accept", "-o", "multi", "--url", sqlite_url)
    assert both.exit_code == 1 and "--accept stores the proposal" in both.text
    assert _labels(sqlite_url) == []
    assert not (home / "evidence").exists()


def test_the_proposal_fits_80_columns(sqlite_url: str, scan: Path, tmp_path: Path) -> None:
    env = os.environ | {"COLUMNS": "80", "LINES": "40", "ALLOYLOOP_HOME": str(tmp_path / "h")}
    env.pop("FORCE_COLOR", None)
    done = subprocess.run([sys.executable, "-m", "alloyloop.cli.app", "label", "from-xrd", str(scan), "-c", ALLOY,
                           "--dry-run", "--url", sqlite_url], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dry run: nothing stored" in done.stdout and re.search(r"^ *1 +FCC +3\.5901", done.stdout, re.M)
    assert "…" not in done.stdout
    assert not [line for line in done.stdout.splitlines() if len(line) > 80]
    assert _labels(sqlite_url) == []


def test_no_terminal_and_no_decision_names_the_options(sqlite_url: str, scan: Path, home: Path) -> None:
    """A script without --accept / --outcome / --dry-run gets the options, not a bare "Aborted." (#28)."""
    done = _run(str(scan), "-c", ALLOY, "--url", sqlite_url, stdin="")
    assert done.exit_code == 1
    assert "--accept" in done.text and "--outcome" in done.text and "--dry-run" in done.text
    assert "Aborted" not in done.output
    assert _labels(sqlite_url) == []


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, scan: Path) -> Path:
    """Two scans named after their alloys and one file whose name is no alloy."""
    from alloyloop.agent.xrd.synthetic import Conditions, fcc_cantor, simulate

    path = tmp_path_factory.mktemp("scans")
    (path / f"{ALLOY}_cast.xy").write_bytes(scan.read_bytes())
    write_xy(simulate([fcc_cantor()], Conditions(seed=3)), path / "CoCrFeMnNi_1100C.xy")
    write_xy(simulate([fcc_cantor()], Conditions(seed=4)), path / "notes_scan.xy")
    (path / "readme.md").write_text("not a scan", encoding="utf-8")
    return path


def test_a_folder_dry_run_is_one_table_of_proposals(sqlite_url: str, folder: Path, home: Path) -> None:
    done = _run(str(folder), "--dry-run", "--url", sqlite_url)
    assert done.exit_code == 0, done.output
    assert "3 pattern(s)" in done.text
    assert f"{ALLOY}_cast.xy multi (FCC+BCC)" in done.text and "CoCrFeMnNi_1100C.xy single (FCC) FCC 3.590" in done.text
    assert "notes_scan.xy no alloy in the name ('notes')" in done.text
    assert "dry run: nothing stored" in done.text and _labels(sqlite_url) == []


def test_a_folder_accepted_stores_each_file_and_says_which_were_not(sqlite_url: str, folder: Path, home: Path) -> None:
    done = _run(str(folder), "--accept", "--by", "lee", "--url", sqlite_url)
    assert done.exit_code == 1 and "1 of 3 file(s) not stored: notes_scan.xy" in done.text
    (label,) = _labels(sqlite_url)
    assert (label.outcome, list(label.phases)) == ("multi", ["FCC", "BCC"])
    assert read_provenance(label.provenance)[0].file == f"{ALLOY}_cast.xy"
    engine = make_engine(sqlite_url)
    try:
        with open_session(engine) as s:
            (cantor,) = labels_for(s, "CoCrFeMnNi")
    finally:
        engine.dispose()
    assert (cantor.outcome, list(cantor.phases)) == ("single", ["FCC"])
