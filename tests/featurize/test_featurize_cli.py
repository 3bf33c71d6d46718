"""``alloyloop featurize``: every row shows its line and input beside the canonical key, a
wt.% row says it was converted, and the table reads in an 80-column terminal."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from alloyloop.cli.app import app


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    from alloyloop.cli.commands import data

    monkeypatch.setattr(data.console, "width", 80)


def test_featurize_traces_rows_back_in_80_columns(tmp_path: Path, narrow: None) -> None:  # noqa: ARG001
    src = tmp_path / "alloys.csv"
    src.write_bytes("Composition;sample\r\nAl0,5CoCrFeNi;a\r\nFe70Cr20Ni10 wt.%;b\r\nCoCrFeNiB;c\r\n;\r\n"
                    .encode("cp1252"))
    out = tmp_path / "d.csv"
    result = CliRunner().invoke(app, ["featurize", str(src), "--out", str(out)])
    assert result.exit_code == 1  # one row is not featurized
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any(line.split()[:2] == ["2", "Al0,5CoCrFeNi"] for line in lines if line.split())
    assert "* line 3: Fe70Cr20Ni10 wt.% converted from wt.%" in result.output
    assert "line 4: 'CoCrFeNiB': element B" in result.output
    table = pd.read_csv(out)
    assert list(table.columns[:4]) == ["line", "input", "read_as", "key"]
    assert list(table["line"]) == [2, 3]
    assert list(table["input"]) == ["Al0,5CoCrFeNi", "Fe70Cr20Ni10 wt.%"]
    assert table.loc[0, "key"] == "Al0.1111Co0.2222Cr0.2222Fe0.2222Ni0.2222"
