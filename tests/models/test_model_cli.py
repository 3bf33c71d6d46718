"""``alloyloop model fit`` / ``alloyloop model predict`` on small CSV files, including bad
ones: every problem is reported with row, column and fix, and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from alloyloop.cli.app import app
from alloyloop.featurize.composition import canonical_key
from alloyloop.models.tabular import parse_phase, read_table

torch.set_num_threads(1)
runner = CliRunner()
PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni", "Ti")
PHASE_SPELLINGS = ("single", "Multi", "1", "0", "SP", "mp", "SINGLE", "multi", "SS", "ms", "Single-Phase",
                   "multi-phase", "single phase", "Multi_Phase")


def _formulas(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    out, labels = [], []
    for _ in range(n):
        k = rng.integers(2, 6)
        cols = rng.choice(len(PALETTE), size=k, replace=False)
        x = rng.dirichlet(np.full(k, 3.0))
        comp = {PALETTE[c]: float(v) for c, v in zip(cols, x)}
        out.append(canonical_key(comp))
        labels.append(int(sum(comp.get(e, 0.0) for e in ("Al", "Cu", "Ti")) <= 0.12))
    return out, np.array(labels)


def _labelled_csv(path: Path, n: int = 120, seed: int = 0) -> Path:
    comps, y = _formulas(n, seed)
    # Mix every accepted spelling of the phase label.
    phase = [("single", "1", "SP", "SINGLE")[i % 4] if v else ("multi", "0", "mp", "Multi")[i % 4]
             for i, v in enumerate(y)]
    pd.DataFrame({"composition": comps, "phase": phase}).to_csv(path, index=False)
    return path


def _fit_args(lab: Path, out: Path, *extra: str) -> list[str]:
    return ["model", "fit", "--labelled", str(lab), "--out", str(out), "--max-epochs", "3",
            "--vae-max-epochs", "3", *extra]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    lab = _labelled_csv(tmp / "lab.csv")
    comps, _ = _formulas(60, seed=1)
    pd.DataFrame({"composition": comps}).to_csv(tmp / "pool.csv", index=False)
    out = tmp / "model"
    result = runner.invoke(app, _fit_args(lab, out, "--unlabelled", str(tmp / "pool.csv"),
                                          "--seed", "4"))
    assert result.exit_code == 0, result.output
    assert "model written to" in result.output
    return out


def test_phase_spellings():
    assert [parse_phase(v) for v in PHASE_SPELLINGS] == [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]
    assert parse_phase(" Single ") == 1 and parse_phase("fcc") is None


def test_fit_writes_a_loadable_checkpoint(model_dir):
    meta = json.loads((model_dir / "meta.json").read_text())
    assert meta["seed"] == 4 and meta["metrics"]["n_unlabelled"] == 60
    assert set(meta["elements"]) == set(PALETTE)


def test_predict_adds_probability_set_and_domain(model_dir, tmp_path):
    src = tmp_path / "query.csv"
    pd.DataFrame({"composition": ["CoCrFeMnNi", "Al0.5CoCrFeNi", "Co20Cr20Fe20Ni20Mn20",
                                  "(FeCoNi)90Al10", "Cr"],
                  "note": ["cantor", "alu", "cantor at.%", "groups", "pure"]}).to_csv(
        src, index=False)
    out = tmp_path / "pred.csv"
    result = runner.invoke(app, ["model", "predict", "--model", str(model_dir),
                                 "--input", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(out)
    assert list(pred.columns) == ["line", "composition", "key", "note", "p_single", "set", "in_domain",
                                  "domain_score"]
    assert list(pred["line"]) == [2, 3, 4, 5, 6]  # file lines: each prediction traces back to its row
    assert pred.loc[0, "key"] == pred.loc[2, "key"] == "Co0.2Cr0.2Fe0.2Mn0.2Ni0.2"
    assert pred["p_single"].between(0, 1).all()
    assert set(pred["set"]) <= {"{single}", "{multi}", "{single,multi}", "{}"}
    # The same alloy written two ways gets the same prediction.
    assert pred.loc[0, "p_single"] == pred.loc[2, "p_single"]
    assert not pred.loc[4, "in_domain"]  # a pure element: far from 2–5-element alloys


def test_fit_with_validation_file(tmp_path):
    lab = _labelled_csv(tmp_path / "lab.csv", n=80)
    val = _labelled_csv(tmp_path / "val.csv", n=40, seed=5)
    out = tmp_path / "m"
    result = runner.invoke(app, _fit_args(lab, out, "--validation", str(val),
                                          "--latent-dim", "3", "--prior", "flat"))
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "meta.json").read_text())
    assert meta["metrics"]["n_validation"] == 40 and meta["config"]["latent_dim"] == 3
    assert meta["config"]["prior"] == "flat"


@pytest.mark.parametrize(("rows", "column", "row", "hint"), [
    ([("CoCrFeNi", "single"), ("Xx2Fe", "multi")], "composition", 3, "unknown element"),
    ([("CoCrFeNi", "single"), ("FeC0.2", "multi")], "composition", 3, "property table"),
    ([("CoCrFeNi", "single"), ("AlCoCrFeNi", "bcc")], "phase", 3, "single or multi"),
    ([("CoCrFeNi", "single"), ("", "multi")], "composition", 3, "empty"),
    ([("CoCrFeNi", ""), ("AlCoCrFeNi", "multi")], "phase", 2, "single or multi"),
])
def test_fit_rejects_a_bad_row_and_writes_nothing(tmp_path, rows, column, row, hint):
    lab = _labelled_csv(tmp_path / "lab.csv", n=40)
    frame = pd.read_csv(lab, dtype=str, keep_default_na=False)
    bad = pd.DataFrame(rows, columns=["composition", "phase"])
    pd.concat([bad, frame]).to_csv(lab, index=False)
    out = tmp_path / "model"
    result = runner.invoke(app, _fit_args(lab, out))
    assert result.exit_code == 1
    assert f"row {row}, column '{column}'" in result.output
    assert hint in result.output
    assert "nothing was written" in result.output
    assert not out.exists()


def test_fit_reports_every_bad_row_and_missing_columns(tmp_path):
    lab = tmp_path / "lab.csv"
    lab.write_text("composition,phase\nCoCrFeNi,single\nFeQq,multi\nAlCoCrFeNi,maybe\n")
    pool = tmp_path / "pool.csv"
    pool.write_text("sample\nCoCrFeNi\n")  # (formula and alloy are read as composition)
    out = tmp_path / "model"
    result = runner.invoke(app, _fit_args(lab, out, "--unlabelled", str(pool)))
    assert result.exit_code == 1
    assert "lab.csv, row 3, column 'composition'" in result.output
    assert "lab.csv, row 4, column 'phase'" in result.output
    assert "pool.csv, column 'composition'" in result.output
    assert "add a header line with a column named composition" in result.output
    assert not out.exists()

    nophase = tmp_path / "nophase.csv"
    nophase.write_text("composition\nCoCrFeNi\n")
    result = runner.invoke(app, _fit_args(nophase, out))
    assert result.exit_code == 1 and "column named phase" in result.output
    assert not out.exists()


def test_fit_refuses_bad_options_and_foreign_out_dir(tmp_path):
    lab = _labelled_csv(tmp_path / "lab.csv", n=40)
    result = runner.invoke(app, _fit_args(lab, tmp_path / "m", "--latent-dim", "0"))
    assert result.exit_code == 1 and "latent_dim=0" in result.output
    assert not (tmp_path / "m").exists()
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep")
    result = runner.invoke(app, _fit_args(lab, foreign))
    assert result.exit_code == 1 and "not a model checkpoint" in result.output
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.tex"]


def test_predict_rejects_elements_outside_the_palette_and_writes_nothing(model_dir, tmp_path):
    src = tmp_path / "query.csv"
    src.write_text("composition\nCoCrFeNi\nNbMoTaW\nnot-an-alloy\n")
    out = tmp_path / "pred.csv"
    result = runner.invoke(app, ["model", "predict", "--model", str(model_dir),
                                 "--input", str(src), "--out", str(out)])
    assert result.exit_code == 1
    assert "row 3, column 'composition'" in result.output
    assert "outside the model's palette" in result.output
    assert "row 4, column 'composition'" in result.output
    assert not out.exists()


def test_predict_rejects_a_directory_that_is_not_a_model(tmp_path):
    src = tmp_path / "query.csv"
    src.write_text("composition\nCoCrFeNi\n")
    out = tmp_path / "pred.csv"
    result = runner.invoke(app, ["model", "predict", "--model", str(tmp_path),
                                 "--input", str(src), "--out", str(out)])
    assert result.exit_code == 1 and "not a model checkpoint" in result.output
    assert not out.exists()


def test_read_table_row_numbers_are_file_lines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("composition,phase\nCoCrFeNi,1\nCoCrFeNi,2\n")
    table, errors = read_table(path, labelled=True)
    assert [(e.row, e.column, e.value) for e in errors] == [(3, "phase", "2")]
