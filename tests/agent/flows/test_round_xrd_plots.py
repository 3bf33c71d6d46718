"""The round report shows the pattern plot of each XRD-backed label of the round: a label
stored by ``alloyloop label from-xrd`` (the pattern as evidence, the analysis as provenance)
before the round gets its plot and a row in the report's XRD section; a label from another
source does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from alloyloop.agent.campaign_ops import create_from_spec
from alloyloop.agent.flows import run_round
from alloyloop.agent.report.xrd_patterns import round_xrd_labels
from alloyloop.agent.xrd.synthetic import example_pattern, write_xy
from alloyloop.campaigns.spec import parse_spec
from alloyloop.cli.app import app
from alloyloop.db.campaigns import reports, rounds
from alloyloop.db.labels import labels_for
from alloyloop.db.session import store_session

PNG = b"\x89PNG\r\n\x1a\n"
ALLOY = "Co25Cr25Fe25Ni25"
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def test_round_report_plots_the_rounds_xrd_labels(sqlite_store: str, home: Path, spec_dict,  # noqa: ANN001
                                                  tmp_path: Path) -> None:
    spec = parse_spec(spec_dict("xrdround"))
    with store_session(sqlite_store) as s:
        create_from_spec(s, spec)
    scan = tmp_path / "CoCrFeNi_cast.xy"
    write_xy(example_pattern(), scan)
    done = CliRunner().invoke(app, ["label", "from-xrd", str(scan), "-c", ALLOY, "--accept", "--by", "lee",
                                    "--url", sqlite_store])
    assert done.exit_code == 0, done.output
    with store_session(sqlite_store) as s:
        (label,) = [lab for lab in labels_for(s, ALLOY) if lab.method == "XRD"]
    run_round("xrdround", sqlite_store, str(home))
    with store_session(sqlite_store) as s:
        rnd = rounds(s, "xrdround")[0]
        (report,) = reports(s, rnd.id)
        found = round_xrd_labels(s, "xrdround", rnd.index)
    assert [x.label_id for x in found] == [label.id]  # the corpus' literature labels are not XRD-backed
    page = Path(report.path).read_text(encoding="utf-8")
    assert "XRD patterns of this round&#x27;s labels" in page or "XRD patterns of this round's labels" in page
    assert f'src="xrd_label_{label.id}.png"' in page
    assert f"label #{label.id} {found[0].alloy_key}" in page
    assert (Path(report.path).parent / f"xrd_label_{label.id}.png").read_bytes().startswith(PNG)
