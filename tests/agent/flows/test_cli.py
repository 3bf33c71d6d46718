"""The campaign CLI through typer's CliRunner, on a real store and real flows."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alloyloop.cli.app import app
from alloyloop.campaigns.spec import parse_spec

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps at 80 columns without a terminal; the assertions match whole lines."""
    from alloyloop.cli.commands import campaign, loop

    for console in (campaign.console, loop.console):
        monkeypatch.setattr(console, "width", 220)


def _run(*args: str):  # noqa: ANN202
    return runner.invoke(app, list(args))


def test_spec_errors_and_quick_commands(sqlite_store: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nbatch_size = 3\n[design_space]\nunits = "at.%"\n'
                   'palette = ["Co", "Cr"]\nstep = 5\n[strategies]\nscreen = 2\n'
                   '[labeler]\nkind = "calphad"\n')
    out = _run("campaign", "create", str(bad), "--url", sqlite_store)
    assert out.exit_code == 1
    assert "strategies: the counts add up to 2 but batch_size is 3" in out.output
    assert "labeler.tdb: is required: name the database" in out.output
    missing = _run("campaign", "create", "no-such-spec", "--url", sqlite_store)
    assert missing.exit_code == 1 and "give a TOML file or one of alcocrni-calphad, cantor-fcc, demo, refractory-bcc" in missing.output

    listing = _run("campaign", "examples")
    assert listing.exit_code == 0 and "cantor-fcc" in listing.output and "refractory-bcc" in listing.output
    shown = _run("campaign", "examples", "--show", "cantor-fcc")
    assert shown.output.startswith("# Cantor family")

    made = _run("campaign", "create", "cantor-fcc", "--name", "lab-1", "--url", sqlite_store)
    assert made.exit_code == 0, made.output
    assert "created campaign lab-1" in made.output and "retrain every 6 new labels, cron 0 2 * * *" in made.output
    again = _run("campaign", "create", "cantor-fcc", "--name", "lab-1", "--url", sqlite_store)
    assert again.exit_code == 1 and "a campaign named 'lab-1' exists" in again.output
    refused = _run("campaign", "run", "lab-1", "--rounds", "2", "--url", sqlite_store)
    assert refused.exit_code == 1 and "labelled by the lab, which waits for people" in refused.output
    status = _run("campaign", "status", "lab-1", "--url", sqlite_store)
    assert status.exit_code == 0 and "no rounds yet" in status.output
    assert "label-count trigger: fires (no completed round yet)" in status.output
    unknown = _run("campaign", "status", "nope", "--url", sqlite_store)
    assert unknown.exit_code == 1 and "no campaign named 'nope' (known: lab-1)" in unknown.output
    no_report = _run("report", "lab-1", "--url", sqlite_store)
    assert no_report.exit_code == 1 and "run `alloyloop campaign run lab-1`" in no_report.output
    no_model = _run("campaign", "screen", "lab-1", "--url", sqlite_store)
    assert no_model.exit_code == 1 and "has no completed round, so no model to screen with" in no_model.output
    bad_acq = _run("campaign", "screen", "lab-1", "--acquisition", "best", "--url", sqlite_store)
    assert bad_acq.exit_code == 1 and "unknown acquisition 'best': use 'greedy' or 'uncertainty'" in bad_acq.output

    # the quick commands never import Prefect (whose temporary server costs 10-30 s) or torch
    probe = ("import sys; from typer.testing import CliRunner; from alloyloop.cli.app import app; "
             "runs = [CliRunner().invoke(app, a.split()) for a in sys.argv[1:]]; "
             "print([r.exit_code for r in runs], 'prefect' in sys.modules, 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe, f"campaign status lab-1 --url {sqlite_store}",
                           f"campaign suggestions lab-1 --export csv --url {sqlite_store}",
                           f"report lab-1 --url {sqlite_store}"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[0, 0, 1] False False", done.stderr

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    bad_cron = _run("schedule", "lab-1", "--cron", "0 25 * * *", "--url", sqlite_store)
    assert bad_cron.exit_code == 1 and "hour value '25'" in bad_cron.output
    no_server = _run("schedule", "lab-1", "--url", sqlite_store)
    assert no_server.exit_code == 1 and "prefect server start --host 127.0.0.1 --port 4200 --no-ui" in no_server.output


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_create_run_status_suggestions_report(sqlite_store: str, home: Path, tmp_path: Path,
                                              spec_dict) -> None:  # noqa: ANN001
    spec_file = tmp_path / "cli.toml"
    spec_file.write_text(parse_spec(spec_dict("cli")).to_toml(), encoding="utf-8")
    assert _run("campaign", "create", str(spec_file), "--url", sqlite_store).exit_code == 0

    ran = _run("campaign", "run", "cli", "--rounds", "2", "--url", sqlite_store)
    assert ran.exit_code == 0, ran.output
    assert re.search(r"^\s*1\s+completed\s+4\s", ran.output, re.M)
    assert "finished" in ran.output and "report: " in ran.output

    status = _run("campaign", "status", "cli", "--url", sqlite_store)
    assert status.exit_code == 0, status.output
    assert len(re.findall(r"^\s*\d+\s+completed\s", status.output, re.M)) == 2
    assert "label-count trigger: fires" in status.output  # replay labels arrived after round 1

    table = _run("campaign", "suggestions", "cli", "--round", "1", "--url", sqlite_store)
    assert table.exit_code == 0 and "4 suggestion(s) of cli" in table.output
    assert "the spec's [calibration] section" in " ".join(table.output.split())  # not eaten as markup
    exported = _run("campaign", "suggestions", "cli", "--export", "csv", "--url", sqlite_store)
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    assert len(rows) == 8 and {r["round"] for r in rows} == {"0", "1"}
    assert {r["status"] for r in rows} <= {"labelled", "failed"}
    assert all(r["conformal_set"].startswith("{") and r["in_domain"] in ("True", "False") for r in rows)
    # p_single as recorded, p_model the model's: equal before any own label, then the map
    # fitted on round 0's labels moves round 1's p's, keeping their order (monotone)
    assert all(r["p_single"] == r["p_model"] for r in rows if r["round"] == "0")
    later = sorted((float(r["p_model"]), float(r["p_single"])) for r in rows if r["round"] == "1")
    assert any(abs(model - recorded) > 1e-9 for model, recorded in later), rows
    assert all(a[1] <= b[1] for a, b in zip(later, later[1:])), rows
    out_file = tmp_path / "s.csv"
    assert _run("campaign", "suggestions", "cli", "--export", "csv", "--out", str(out_file),
                "--url", sqlite_store).exit_code == 0
    assert out_file.read_text(encoding="utf-8") == exported.output
    assert _run("campaign", "suggestions", "cli", "--export", "xlsx", "--url", sqlite_store).exit_code == 1

    report = _run("report", "cli", "--round", "0", "--url", sqlite_store)
    assert report.exit_code == 0
    path = Path(report.output.strip())
    assert path.name == "index.html" and path.is_file() and "round-000-" in str(path)
    assert str(path).startswith(str(home))
    newest = _run("report", "cli", "--url", sqlite_store)
    assert "round-001-" in newest.output
    missing = _run("report", "cli", "--round", "7", "--url", sqlite_store)
    assert missing.exit_code == 1 and "has no round 7 (rounds: 0, 1)" in missing.output

    # screening on a local Dask cluster with round 1's model: a top list, nothing stored
    screened = _run("campaign", "screen", "cli", "--candidates", "3000", "--chunk-size", "1000", "--top", "5",
                    "--export", "csv", "--url", sqlite_store)
    assert screened.exit_code == 0, screened.output
    top = list(csv.DictReader(io.StringIO(screened.stdout)))
    assert [r["rank"] for r in top] == ["1", "2", "3", "4", "5"]
    p = [float(r["p_single"]) for r in top]
    assert p == sorted(p, reverse=True) and len({r["composition"] for r in top}) == 5
    palette = set(spec_dict("cli")["design_space"]["palette"])
    from alloyloop.featurize.composition import parse_composition

    assert all(set(parse_composition(r["composition"]).fractions) <= palette for r in top)
    after = _run("campaign", "suggestions", "cli", "--export", "csv", "--url", sqlite_store)
    assert after.output == exported.output
