"""A campaign labelled entirely by pycalphad: real Prefect flows, a real DVAE, the real store.

The acceptance test of the CALPHAD labeler: two rounds on an Al-Co-Cr-Ni palette, every
suggestion labelled (or failed, with the reason) by equilibria from the Al-Co-Cr-Ni
database pycalphad ships for its tests, labelled through the one labelling path every
labeler takes; then the CLI path (``alloyloop label calphad``, the same path) on a lab
campaign, which must not import Prefect or torch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from alloyloop.campaigns.tdb import TdbError, file_sha256, resolve_tdb
from alloyloop.agent.campaign_ops import create_from_spec
from alloyloop.agent.flows import run_campaign
from alloyloop.campaigns.spec import parse_spec
from alloyloop.db.campaigns import SuggestionInput, add_suggestions, list_suggestions, reports, rounds, start_round
from alloyloop.db.labels import add_label
from alloyloop.db.lifecycle import history
from alloyloop.db.models import Label
from alloyloop.db.resolver import resolve_alloy
from alloyloop.db.session import store_session

PALETTE = ["Al", "Co", "Cr", "Ni"]
pytestmark = pytest.mark.slow


def _alcocrni() -> Path:
    try:
        return resolve_tdb("pycalphad:alcocrni.tdb")
    except TdbError as exc:  # fail loudly: the acceptance test must not skip
        pytest.fail(f"the CALPHAD tests need pycalphad's Al-Co-Cr-Ni test database: {exc}", pytrace=False)


def _spec_dict(spec_dict, name: str, labeler: dict) -> dict:  # noqa: ANN001
    data = spec_dict(name, "lab")
    data["design_space"] = {"units": "at.%", "palette": PALETTE, "min_elements": 3, "step": 10,
                            "bounds": {"Al": [0, 30], "Co": [0, 50], "Cr": [0, 40], "Ni": [0, 60]}}
    data["model"]["palette"] = ["Al", "Co", "Cr", "Fe", "Ni"]  # the corpus has few Al-Co-Cr-Ni alloys
    data["labeler"] = labeler
    return data


@pytest.mark.usefixtures("prefect_harness")
def test_two_rounds_labelled_by_pycalphad(store_url: str, home: Path, spec_dict) -> None:  # noqa: ANN001
    tdb = _alcocrni()
    spec = parse_spec(_spec_dict(spec_dict, "calphad", {
        "kind": "calphad", "tdb": "pycalphad:alcocrni.tdb", "temperature": 1273, "timeout": 300,
        "workers": 2}))
    with store_session(store_url) as s:
        create_from_spec(s, spec)
    first = run_campaign("calphad", 1, store_url, str(home))[0]
    lab0 = first["labelling"]
    assert lab0["labeler"] == "calphad" and lab0["open"] == spec.batch_size == 4
    assert lab0["labelled"] + lab0["failed"] == 4 and lab0["labelled"] >= 3
    assert lab0["equilibria"] == 4 - lab0["skipped"] and lab0["mean_equilibrium_s"] > 0

    # an experiment on one of round 0's alloys: round 1's report compares the two sources
    with store_session(store_url) as s:
        batch0 = list_suggestions(s, round_id=rounds(s, "calphad")[0].id)
        labelled0 = [b for b in batch0 if b.status == "labelled"]
        calc = s.get(Label, labelled0[0].label_id)
        other = "multi" if calc.outcome == "single" else "single"
        add_label(s, composition=labelled0[0].alloy_key, outcome=other, source="experiment",
                  method="XRD", processing="annealed 1000C 24h")
    second = run_campaign("calphad", 1, store_url, str(home))[0]
    assert second["index"] == 1 and second["status"] == "completed"
    assert second["labelling"]["labelled"] + second["labelling"]["failed"] == 4

    with store_session(store_url) as s:
        recs = rounds(s, "calphad")
        assert [r.status for r in recs] == ["completed", "completed"]
        assert recs[0].data_hash != recs[1].data_hash  # round 1 trained on round 0's CALPHAD labels
        batches = [list_suggestions(s, round_id=r.id) for r in recs]
        suggestions = [b for batch in batches for b in batch]
        assert {b.status for b in suggestions} <= {"labelled", "failed"}
        labels = {b.id: s.get(Label, b.label_id) for b in suggestions if b.status == "labelled"}
        for b in suggestions:
            if b.status == "failed":  # the reason is in the suggestion's history
                assert history(s, b.id)[-1].note.startswith("calphad labeler: ")
        resolution = resolve_alloy(s, labelled0[-1].alloy_key)
        html = Path(reports(s, recs[1].id)[0].path).read_text(encoding="utf-8")
        html0 = Path(reports(s, recs[0].id)[0].path).read_text(encoding="utf-8")
    sha = file_sha256(tdb)
    for sid, label in labels.items():
        assert (label.source, label.method) == ("calphad", "CALPHAD")
        assert label.external_id == f"calphad/calphad/{sid}"
        assert f"database alcocrni.tdb sha256:{sha}; P=101325 Pa; single-phase threshold 0.99; 1273 K: " \
               in label.provenance
        assert label.outcome in ("single", "multi") and label.note.startswith("CALPHAD: ")
    if len(labelled0) > 1:  # CALPHAD outranks the corpus' literature labels in training
        assert resolution.source == "calphad"

    # the report of round 1 compares CALPHAD with the experiment
    assert "CALPHAD against experiment" in html
    assert "CALPHAD agrees with experiment on 0 of 1 (0 %) alloys that have both labels" in html
    assert labelled0[0].alloy_key in html and "alcocrni.tdb at 1273 K" in html
    assert "No alloy of the model palette has both a CALPHAD label and an experimental label yet" in html0


def test_cli_labels_a_campaigns_open_suggestions(sqlite_store: str, tmp_path: Path,
                                                 spec_dict) -> None:  # noqa: ANN001
    _alcocrni()
    spec = parse_spec(_spec_dict(spec_dict, "bench", {"kind": "lab"}))
    with store_session(sqlite_store) as s:
        create_from_spec(s, spec)
        rnd = start_round(s, "bench", data_hash="h0", seed=1)
        made = add_suggestions(s, rnd.id, [SuggestionInput(c, "screen") for c in
                                           ("Co20Cr20Ni60", "Al50Ni50", "Al10Co30Cr20Fe20Ni20")])
    run = [sys.executable, "-c",
           "import sys; from alloyloop.cli.app import app; from typer.testing import CliRunner; "
           "r = CliRunner().invoke(app, sys.argv[1:]); print(r.output); "
           "print('exit', r.exit_code, 'prefect' in sys.modules, 'torch' in sys.modules)"]
    env = {**os.environ, "COLUMNS": "250"}

    no_db = subprocess.run(run + ["label", "calphad", "bench", "--url", sqlite_store],
                           capture_output=True, text=True, env=env, check=True)
    assert "is labelled by 'lab', which names no database: give --tdb FILE" in no_db.stdout
    assert no_db.stdout.strip().endswith("exit 1 False False")

    done = subprocess.run(run + ["label", "calphad", "bench", "--tdb", "pycalphad:alcocrni.tdb",
                                 "--temperature", "1273", "--workers", "1", "--url", sqlite_store],
                          capture_output=True, text=True, env=env, check=True)
    out = done.stdout
    assert out.strip().endswith("exit 0 False False"), out + done.stderr  # no Prefect, no torch
    assert "pycalphad with alcocrni.tdb" in out and "at 1273 K, 1 worker(s), 120 s per calculation" in out
    assert "labelled 2, not labelled 1 (1 with elements the database does not cover); 2 equilibria" in out
    assert "single (FCC)" in out and "multi (B2)" in out and "FCC_A1 1.000" in out
    with store_session(sqlite_store) as s:
        after = {b.alloy_key: b for b in list_suggestions(s, campaign="bench")}
        fcc = after[made[0].alloy_key]
        label = s.get(Label, fcc.label_id)
        assert (fcc.status, label.source, label.outcome, label.phases) == ("labelled", "calphad", "single", ["FCC"])
        assert label.external_id == f"calphad/bench/{fcc.id}"
        assert label.entered_by.startswith("calphad labeler")
        fe = after[made[2].alloy_key]
        assert fe.status == "failed" and fe.label_id is None
        assert "alcocrni.tdb does not cover Fe" in history(s, fe.id)[-1].note
        n_labels = s.execute(select(Label.id).where(Label.source == "calphad")).all()
    assert len(n_labels) == 2

    nothing = subprocess.run(run + ["label", "calphad", "bench", "--tdb", "pycalphad:alcocrni.tdb",
                                    "-T", "1273", "--round", "4", "--url", sqlite_store],
                             capture_output=True, text=True, env=env, check=True)
    assert "campaign 'bench' has no round 4 (rounds: 0)" in nothing.stdout
