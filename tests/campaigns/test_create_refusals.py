"""``alloyloop campaign create`` refuses a bad option naming key, value and fix, and
stores nothing; what a strategy would refuse at suggest time is refused here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from alloyloop.cli.app import app
from alloyloop.db.campaigns import list_campaigns
from alloyloop.db.session import store_session

SPEC = """name = "opts"
batch_size = 4
[design_space]
units = "at.%"
palette = ["Co", "Cr", "Fe", "Ni"]
step = 10
min_elements = 3
[strategies]
screen = 2
botorch = {{ count = 2{botorch} }}
[report]
{report}
"""


def _create(tmp_path: Path, url: str, botorch: str = "", report: str = ""):  # noqa: ANN202
    from alloyloop.cli.commands import campaign

    campaign.console.width = 220  # rich wraps at 80 columns without a terminal
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(botorch=botorch, report=report))
    return CliRunner().invoke(app, ["campaign", "create", str(spec), "--url", url])


@pytest.mark.parametrize(("botorch", "report", "expected"), [
    (", diversity = -1", "", "strategies.botorch.diversity: -1 is too small: give a number of at least 0"),
    (", beta = -3", "", "strategies.botorch.beta: -3 is too small: give a number of at least 0"),
    (", dropout_members = 1", "",
     "strategies.botorch.dropout_members: 1 is not valid: give a whole number of at least 2"),
    ("", "shap_rows = -5",
     "report.shap_rows: -5 is not valid: give a whole number of at least 10 and at most 5000"),
])
def test_create_refuses_a_bad_option_naming_key_value_and_fix(tmp_path: Path, fresh_store,  # noqa: ANN001
                                                              botorch: str, report: str,
                                                              expected: str) -> None:
    url = fresh_store("sqlite")
    out = _create(tmp_path, url, botorch, report)
    assert out.exit_code == 1 and expected in out.output, out.output
    with store_session(url) as session:
        assert list_campaigns(session) == []  # nothing stored


def test_create_accepts_max_per_system_zero_meaning_no_cap(tmp_path: Path, fresh_store) -> None:  # noqa: ANN001
    from alloyloop.agent.batch import build_strategy
    from alloyloop.agent.campaign_ops import spec_of
    from alloyloop.agent.strategies.diversity import diverse_order

    url = fresh_store("sqlite")
    out = _create(tmp_path, url, ", max_per_system = 0, diversity = 0")
    assert out.exit_code == 0, out.output
    with store_session(url) as session:
        spec = spec_of(session, "opts")
    botorch = build_strategy(spec.strategies[1], spec.goal)
    assert botorch.max_per_system == 0 and botorch.diversity == 0
    chosen = diverse_order(np.arange(5.0)[::-1], ["Co-Cr"] * 5, 5, penalty=botorch.diversity,
                           max_per_system=botorch.max_per_system)
    assert list(chosen) == [0, 1, 2, 3, 4]  # 0: no cap, five alloys of one system
    assert spec.batch_size == 4 == sum(s.count for s in spec.strategies)
