"""The round report of a real round, read as the lab reads it (issue 33).

One tiny campaign runs one real round after a label was stored by ``alloyloop label from-xrd``
(the pattern as evidence, the analysis as provenance). Its report:

- shows that label's pattern plot and a row in the XRD section (a label from another source
  gets none);
- names the model's figures ("ranking (ROC AUC)"), never its field names (``val_auc``), each
  with its meaning and the fit's own value at its one rounding;
- writes alloys in their short notation (the key only on hover), shows no server path;
- explains each suggestion by its own strongest SHAP features (which differ between them),
  in the page and in ``suggestion_shap.json``.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alloyloop.agent.campaign_ops import create_from_spec
from alloyloop.agent.flows import run_round
from alloyloop.agent.report.suggestion_shap import read_explanations
from alloyloop.agent.report.xrd_patterns import round_xrd_labels
from alloyloop.agent.xrd.synthetic import example_pattern, write_xy
from alloyloop.campaigns.spec import parse_spec
from alloyloop.cli.app import app
from alloyloop.db.campaigns import get_model_version, list_suggestions, reports, rounds
from alloyloop.db.labels import labels_for
from alloyloop.db.session import store_session
from alloyloop.featurize.alloy_names import alloy_text

PNG = b"\x89PNG\r\n\x1a\n"
ALLOY = "Co25Cr25Fe25Ni25"
FIELD_NAMES = ("val_auc", "val_balanced_accuracy", "val_ece", "conformal_threshold", "p_single",
               "conformal_set", "domain_score", "repair_distance", "in_domain", "best_epoch")
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def _text(page: str) -> str:
    """What a reader sees: the page without its style, tags and attributes."""
    body = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_round_report_in_the_labs_words(sqlite_store: str, home: Path, spec_dict,  # noqa: ANN001
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
        metrics = get_model_version(s, rnd.model_version_id).metrics
        suggestions = list_suggestions(s, round_id=rnd.id)
    folder = Path(report.path).parent
    page = Path(report.path).read_text(encoding="utf-8")
    text = _text(page)

    # the XRD pattern of the round's XRD-backed label (the corpus' literature labels have none)
    assert [x.label_id for x in found] == [label.id]
    assert "XRD patterns of this round's labels" in text
    assert f'src="xrd_label_{label.id}.png"' in page
    assert f"label #{label.id} {alloy_text(found[0].alloy_key).notation}" in text
    assert (folder / f"xrd_label_{label.id}.png").read_bytes().startswith(PNG)

    # figures by name and meaning, at one rounding (the fit's own values)
    for name in ("ranking (ROC AUC)", "balanced accuracy", "calibration error (ECE)", "credible-set threshold",
                 "0.5 is a coin toss", "reconstruction distance", "label control gap"):
        assert name in text, name
    ece = re.search(r"calibration error \(ECE\)</td><td class=\"num\">([^<]+)</td>", page).group(1)
    assert ece == f"{metrics['val_ece']:.3f}"
    gap = re.search(r"label control gap</td><td class=\"num\">([^<]+)</td>", page).group(1)
    assert gap == f"{metrics['label_gap']:+.3f}"
    for field in FIELD_NAMES:
        assert field not in text, field

    # alloys in the short notation, the key only on hover; no server path
    assert len(suggestions) == 4
    for s in suggestions:
        shown = alloy_text(s.alloy_key)
        assert shown.notation != s.alloy_key and shown.notation in text.replace(" ", "").replace("\u200b", "")
        assert s.alloy_key not in text and f'title="key {s.alloy_key}' in page
    assert str(tmp_path) not in page and str(home) not in page

    # each suggestion's own explanation: in the page, in the JSON the queue reads, not all alike
    drivers = read_explanations(folder)
    assert sorted(drivers) == sorted(s.id for s in suggestions)
    assert all(len(d) == 3 for d in drivers.values())
    assert len({tuple((d.feature, round(d.shap, 6)) for d in found) for found in drivers.values()}) > 1
    for found in drivers.values():
        assert found[0].text in text
        assert abs(found[0].shap) >= abs(found[1].shap) >= abs(found[2].shap)
    assert json.loads((folder / "suggestion_shap.json").read_text(encoding="utf-8"))["explains"] == "p(single)"
