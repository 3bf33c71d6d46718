"""Issue 33: an FCC campaign's report explains what the campaign ranks by, p(FCC), not
p(single): the SHAP figures, each suggestion's own strongest features (the queue reads
them from ``suggestion_shap.json``) and the page's words. A small real phase4 DVAE (as in
test_structure_target_strategies.py) and the report writer the round flow calls."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import torch

from alloyloop.agent.report import shap_values
from alloyloop.agent.report.round_report import write_round_report
from alloyloop.agent.report.suggestion_shap import read_explanations
from alloyloop.db.records import SuggestionRecord
from alloyloop.featurize.composition import parse_composition
from alloyloop.featurize.matrix import fraction_matrix
from alloyloop.models.dvae import DisentangledVAE

from tests.fixtures.dvae import TINY, fast, phase4_round_data

torch.set_num_threads(1)

PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni", "Ti", "V", "Nb", "Mo")
FAST4 = fast(label="phase4", max_epochs=20, min_epochs=5, patience=5, classifier_hidden=(32, 32),
             vae_max_epochs=3)
SUGGESTED = ("Co25Cr25Fe25Ni25", "Al20Co20Cr20Fe20Ni20", "Cr30Mo10Nb20Ti20V20", "Al8Co23Cr23Fe23Ni23")
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def phase4_round():
    """A phase4 DVAE on up to 60 corpus alloys of each class, its round data, and four
    suggestions of an FCC campaign."""
    model, data = phase4_round_data(PALETTE, FAST4, 60)
    suggestions = [SuggestionRecord(id=i + 1, round_id=1, alloy_id=i + 1, alloy_key=parse_composition(a).key,
                                    strategy="botorch", p_single=0.5, interval_low=None, interval_high=None,
                                    prediction_set=["single"], in_domain=True, acquisition=0.1,
                                    status="suggested", label_id=None, extra={"target": "FCC", "p_target": 0.4},
                                    created_at=NOW, updated_at=NOW) for i, a in enumerate(SUGGESTED)]
    return model, data, suggestions


def _report(model, data, suggestions, out: Path, target: str) -> str:  # noqa: ANN001
    files = write_round_report(model, data, suggestions, out, info={"campaign": "fcc", "round": 0},
                               previous_importance=None, shap_rows=24, shap_background=16, seed=0, target=target)
    return files.html.read_text(encoding="utf-8")


def test_an_fcc_campaigns_report_explains_p_fcc(phase4_round, tmp_path: Path) -> None:  # noqa: ANN001
    model, data, suggestions = phase4_round
    page = _report(model, data, suggestions, tmp_path / "fcc", "FCC")
    body = json.loads((tmp_path / "fcc" / "suggestion_shap.json").read_text(encoding="utf-8"))
    assert body["explains"] == "p(FCC)" and "add up to p(FCC)" in body["method"] or "Kernel" in body["method"]
    assert "What drives p(FCC)" in page and "What drives p(single)" not in page
    assert "contribution to p(FCC)" in page
    drivers = read_explanations(tmp_path / "fcc")
    assert sorted(drivers) == [1, 2, 3, 4] and all(d.explains == "p(FCC)" for ds in drivers.values() for d in ds)

    # the values are p(FCC)'s: they add up to each suggestion's p(FCC), not to its p(single)
    x = fraction_matrix([parse_composition(s.alloy_key).fractions for s in suggestions], PALETTE)
    bg = data.X[data.train[:16]]
    result = shap_values.explain(model, x, bg, seed=0, target="FCC")
    p_fcc = model.predict_phase_proba(x)[:, model.classes.index("FCC")]
    p_single = model.predict_proba(x)
    total = result.base_value + result.values.sum(axis=1)
    assert np.allclose(total, p_fcc, atol=0.02), (total, p_fcc)
    assert np.abs(p_single - p_fcc).max() > 0.1  # the two differ here: the check can tell them apart
    assert not np.allclose(total, p_single, atol=0.02)
    # the report's drivers are the suggestion's own largest |SHAP of p(FCC)| features, with their signs
    rng = np.random.default_rng(0)  # the report's draws: its 24 explained rows, then its 16 background rows
    rng.choice(len(data.X), 24, replace=False)
    report_bg = shap_values.explain(model, x, data.X[np.sort(rng.choice(data.train, 16, replace=False))], seed=0,
                                    target="FCC")
    for k, s in enumerate(suggestions):
        top = np.argsort(-np.abs(report_bg.values[k]), kind="stable")[:3]
        assert [d.feature for d in drivers[s.id]] == [report_bg.names[j] for j in top]
        assert [d.shap for d in drivers[s.id]] == pytest.approx([report_bg.values[k][j] for j in top], abs=1e-6)


def test_a_single_campaign_on_the_same_model_explains_p_single(phase4_round, tmp_path: Path) -> None:  # noqa: ANN001
    model, data, suggestions = phase4_round
    page = _report(model, data, suggestions, tmp_path / "single", "single")
    assert json.loads((tmp_path / "single" / "suggestion_shap.json").read_text(encoding="utf-8"))["explains"] \
        == "p(single)"
    assert "What drives p(single)" in page and "p(FCC)" not in page.split("What drives")[1]
    x = fraction_matrix([parse_composition(s.alloy_key).fractions for s in suggestions], PALETTE)
    result = shap_values.explain(model, x, data.X[data.train[:16]], seed=0)
    assert np.allclose(result.base_value + result.values.sum(axis=1), model.predict_proba(x), atol=0.02)


def test_an_fcc_target_on_a_single_multi_model_says_why_it_explains_p_single(phase4_round) -> None:  # noqa: ANN001
    _, data, _ = phase4_round
    binary = DisentangledVAE(TINY, elements=PALETTE, seed=0).fit(data.X, data.y)
    assert shap_values.explained(binary, "FCC") == "p(single)"
    from alloyloop.agent.report.round_report import _shap_target_note

    assert "trained on single/multi labels" in _shap_target_note("FCC", "p(single)")
    assert _shap_target_note("FCC", "p(FCC)") == "" and _shap_target_note("single", "p(single)") == ""
