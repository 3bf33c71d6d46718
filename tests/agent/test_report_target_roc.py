"""Issue 33: an FCC campaign's report judges what it ranks by. Its ROC and calibration
figure plots p(FCC) against "labelled FCC" on the validation split, and the AUC and ECE
its table states are those of p(FCC), not of p(single). A single campaign's report on the
same model is unchanged (p(single), the fit's own figures). The small real phase4 DVAE
of test_report_target_shap.py."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from alloyloop.agent.report import plots
from alloyloop.agent.report.metrics import shown, shown_metric
from alloyloop.agent.report.target_fit import caption, fit_rows, target_fit
from alloyloop.models.calibration import expected_calibration_error
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.target import target_outcomes

from tests.agent.test_report_target_shap import _report, phase4_round  # noqa: F401 (a fixture)
from tests.fixtures.dvae import TINY


def _stated(page: str, figure: str) -> str | None:
    """The value the report's table states for ``figure`` (None: no such row)."""
    found = re.search(rf"<td>{re.escape(html.escape(figure))}</td><td[^>]*>([^<]*)</td>", page)
    return found.group(1) if found else None


@pytest.fixture
def plotted(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """What the report hands the ROC and calibration figure (the real plot is drawn)."""
    calls: list[dict] = []
    draw = plots.roc_and_calibration

    def recording(y, p, path, *args, **kwargs):  # noqa: ANN001, ANN202
        calls.append({"y": np.asarray(y), "p": np.asarray(p)} | kwargs)
        return draw(y, p, path, *args, **kwargs)

    monkeypatch.setattr(plots, "roc_and_calibration", recording)
    return calls


def test_an_fcc_campaigns_roc_and_calibration_are_of_p_fcc(phase4_round, plotted, tmp_path: Path) -> None:  # noqa: ANN001, F811
    model, data, suggestions = phase4_round
    page = _report(model, data, suggestions, tmp_path / "fcc", "FCC")
    outcome = target_outcomes(data.phase4[data.val], "FCC")
    known = ~np.isnan(outcome)
    y = outcome[known].astype(int)
    x = data.X_val[known]
    p_fcc = model.predict_phase_proba(x)[:, model.classes.index("FCC")]
    p_single = model.predict_proba(x)
    assert 0 < y.sum() < len(y)  # both outcomes among the validation alloys: an AUC exists
    auc_fcc, auc_single = roc_auc_score(y, p_fcc), roc_auc_score(y, p_single)
    ece_fcc, ece_single = expected_calibration_error(p_fcc, y), expected_calibration_error(p_single, y)
    assert shown(auc_fcc) != shown(auc_single) and shown(ece_fcc) != shown(ece_single)  # the check can tell

    # the table states p(FCC)'s figures; the fit's p(single) ones keep their own rows
    assert _stated(page, "ranking of p(FCC) (ROC AUC)") == shown(auc_fcc)
    assert _stated(page, "calibration error of p(FCC) (ECE)") == shown(ece_fcc)
    assert _stated(page, "ranking (ROC AUC)") == shown_metric("val_auc", model.metrics["val_auc"])
    # the figure is drawn from p(FCC) against labelled FCC, printing the table's numbers
    [call] = plotted
    assert np.array_equal(call["y"], y) and np.allclose(call["p"], p_fcc)
    assert call["auc"] == shown(auc_fcc) and call["ece"] == shown(ece_fcc)
    assert call["p_name"] == "p(FCC)" and call["positive"] == "labelled FCC"
    assert (tmp_path / "fcc" / "roc_calibration.png").stat().st_size > 0
    assert "ROC and calibration of p(FCC) against the alloys labelled FCC" in page
    assert "not p(FCC)" in page.split("label_control.png")[1]  # the label control says what it is about


def test_a_single_campaigns_roc_and_calibration_are_unchanged(phase4_round, plotted, tmp_path: Path) -> None:  # noqa: ANN001, F811
    model, data, suggestions = phase4_round
    page = _report(model, data, suggestions, tmp_path / "single", "single")
    [call] = plotted
    assert np.array_equal(call["y"], data.y[data.val]) and np.allclose(call["p"], model.predict_proba(data.X_val))
    assert call["auc"] == shown_metric("val_auc", model.metrics["val_auc"]) and call["p_name"] == "p(single)"
    tables = page.split("<h2>Model")[1].split("<h2>Suggestions")[0]  # (its suggestions carry an FCC p)
    assert _stated(page, "ranking of p(FCC) (ROC AUC)") is None and "p(FCC)" not in tables
    assert "p(FCC)" not in page.split("<h2>ROC and calibration")[1]
    assert "ROC and calibration of p(single) on the validation split" in page


def test_an_fcc_target_on_a_single_multi_model_says_its_roc_is_of_p_single(phase4_round) -> None:  # noqa: ANN001, F811
    _, data, _ = phase4_round
    binary = DisentangledVAE(TINY, elements=data.elements, seed=0).fit(data.X[data.train], data.y[data.train])
    fit = target_fit(binary, data, "FCC")
    assert fit.p_name == "p(single)" and not fit_rows(fit)
    assert np.allclose(fit.p, binary.predict_proba(data.X_val)) and np.array_equal(fit.y, data.y[data.val])
    assert "trained on single/multi labels" in caption(fit, "ROC of p(single).")
