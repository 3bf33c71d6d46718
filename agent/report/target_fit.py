"""How well p(target) fits the validation split: what the report's ROC and calibration
figure plots and its table states.

A single-target campaign is judged on p(single) against single-phase labels, with the
fit's own figures (``val_auc``, ``val_ece``). A structure campaign (``target = "FCC"``,
a phase4 model) ranks by p(FCC), so its ROC and reliability diagram are of p(FCC) against
"labelled FCC" (:func:`alloyloop.models.target.target_outcomes`: a single-phase alloy of
unknown structure cannot say, and is left out), with AUC and ECE computed here. A
structure target on a model without that output (or a round without structure labels)
falls back to p(single) and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alloyloop.agent.report.metrics import Metric, shown, shown_metric
from alloyloop.agent.training_data import RoundData
from alloyloop.models.calibration import expected_calibration_error
from alloyloop.models.target import SINGLE, gives, target_outcomes, target_proba


@dataclass(frozen=True)
class TargetFit:
    """``y`` ``(n,)`` 0/1 outcomes and ``p`` ``(n,)`` probabilities of the validation
    alloys that can say; ``auc`` / ``ece`` as the report prints them (None: not defined)."""

    p_name: str
    positive: str
    y: np.ndarray
    p: np.ndarray
    auc: str | None
    ece: str | None
    note: str = ""

    @property
    def by_structure(self) -> bool:
        return self.p_name != "p(single)"


def target_fit(model, data: RoundData, target: str = SINGLE) -> TargetFit:
    """p(target) against its outcomes on the validation split (see the module docstring)."""
    if target != SINGLE and gives(model, target) and data.phase4 is not None:
        outcome = target_outcomes(data.phase4[data.val], target)
        known = ~np.isnan(outcome)
        y = outcome[known].astype(np.int64)
        p = target_proba(model, target)(data.X_val[known])
        auc = None
        if np.unique(y).size == 2:
            from sklearn.metrics import roc_auc_score

            auc = shown(float(roc_auc_score(y, p)))
        ece = shown(expected_calibration_error(p, y)) if len(y) else None
        return TargetFit(f"p({target})", f"labelled {target}", y, p, auc, ece)
    metrics = model.metrics
    note = "" if target == SINGLE else (
        f" Target {target}: this is p(single), as the round's labels name no structures." if gives(model, target)
        else f" Target {target}: this is p(single), as the model was trained on single/multi labels "
        "(set [model.dvae] label = \"phase4\" for p(target)).")
    return TargetFit("p(single)", "single-phase", np.asarray(data.y[data.val]), model.predict_proba(data.X_val),
                     shown_metric("val_auc", metrics["val_auc"]) if "val_auc" in metrics else None,
                     shown_metric("val_ece", metrics["val_ece"]) if "val_ece" in metrics else None, note)


def fit_rows(fit: TargetFit) -> list[list[str]]:
    """The table rows of a structure target's AUC and ECE (none for p(single): the fit's
    own rows already state them)."""
    if not fit.by_structure:
        return []
    n = len(fit.y)
    rows = (Metric(f"ranking of {fit.p_name} (ROC AUC)",
                   f"chance that an alloy {fit.positive} gets a higher {fit.p_name} than one labelled otherwise "
                   f"({n} validation alloys of known structure): 0.5 is a coin toss, 1 is perfect"),
            Metric(f"calibration error of {fit.p_name} (ECE)",
                   f"how far {fit.p_name} is from the share {fit.positive}, averaged over 10 confidence bins: "
                   "0 is perfect"))
    return [[m.name, value or "–", m.meaning] for m, value in zip(rows, (fit.auc, fit.ece))]


def caption(fit: TargetFit, single: str) -> str:
    """The ROC and calibration figure's caption (``single``: the one of p(single))."""
    if fit.by_structure:
        return (f"ROC and calibration of {fit.p_name} against the alloys {fit.positive} on the validation "
                "split (single-phase alloys of unknown structure left out; the AUC and ECE are the table's)")
    return single + fit.note
