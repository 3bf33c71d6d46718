"""The XRD section of the round report, from labels' stored analyses and pattern files: one
PNG per label with its pattern, a line without a plot when the file is gone, nothing when the
round has no XRD-backed label."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alloyloop.agent.report.xrd_patterns import XrdLabel, evidence_file, xrd_section
from alloyloop.agent.xrd.analysis import analyse
from alloyloop.agent.xrd.provenance import review
from alloyloop.agent.xrd.synthetic import example_pattern, write_xy

PNG = b"\x89PNG\r\n\x1a\n"


def _label(label_id: int, file: Path | None) -> XrdLabel:
    pattern = example_pattern()
    analysis = analyse(pattern, {"Al": 0.1, "Co": 0.225, "Cr": 0.225, "Fe": 0.225, "Ni": 0.225})
    decision = review(analysis, outcome="multi", phases=("FCC", "BCC"))
    return XrdLabel(label_id, "Al10Co22.5Cr22.5Fe22.5Ni22.5", "multi", ("FCC", "BCC"), datetime.now(UTC),
                    file, analysis, decision)


def test_each_label_gets_its_plot_and_a_missing_file_a_line(tmp_path: Path) -> None:
    scan = tmp_path / "scan.xy"
    write_xy(example_pattern(), scan)
    out = tmp_path / "report"
    out.mkdir()
    heading, body = xrd_section([_label(7, evidence_file(scan.resolve().as_uri() + "#scan.xy")),
                                 _label(8, evidence_file((tmp_path / "gone.xy").as_uri()))], out)
    assert heading == "XRD patterns of this round's labels"
    assert 'src="xrd_label_7.png"' in body and (out / "xrd_label_7.png").read_bytes().startswith(PNG)
    assert "label #8" in body and "pattern file not found" in body and not (out / "xrd_label_8.png").exists()
    assert "multi (FCC+BCC)" in body  # what was stored, beside what was proposed


def test_no_xrd_labels_no_section(tmp_path: Path) -> None:
    assert xrd_section([], tmp_path) is None
    assert evidence_file("https://doi.org/10.1/x") is None and evidence_file(None) is None
