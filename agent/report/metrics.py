"""The model's figures as the report names them: a name, a one-line meaning, one rounding.

``model.metrics`` keys are field names (``val_auc``, ``conformal_threshold``); a lab reads
"ranking (ROC AUC)" and what it means. Each figure has one number of decimals, used by the
table and by every plot that prints it (:func:`shown`), so the same figure never reads
0.030 in a plot and 0.02682 in the table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Metric:
    name: str
    meaning: str
    digits: int = 3
    signed: bool = False


MODEL_METRICS: dict[str, Metric] = {
    "val_auc": Metric("ranking (ROC AUC)", "chance that a single-phase alloy gets a higher p(single) than a "
                      "multi-phase one: 0.5 is a coin toss, 1 is perfect"),
    "val_balanced_accuracy": Metric("balanced accuracy", "share called right at p(single) = 0.5, averaged over "
                                    "single-phase and multi-phase alloys: 0.5 is a coin toss"),
    "val_phase4_balanced_accuracy": Metric("balanced accuracy, FCC / BCC / HCP / multi", "share of the structure "
                                           "called right, averaged over the four classes: 0.25 is chance"),
    "val_ece": Metric("calibration error (ECE)", "how far p(single) is from the share that came out single-phase, "
                      "averaged over 10 confidence bins: 0 is perfect"),
    "val_nll": Metric("log loss", "mean −ln p of the true label: lower is better, 0.693 is a coin toss"),
    "temperature": Metric("calibration temperature", "the classifier's scores are divided by it so that p(single) "
                          "matches observed shares: 1 is no correction", 2),
    "conformal_threshold": Metric("credible-set threshold", "a label is credible for an alloy when the model's p "
                                  "of it is at least 1 − this; the credible sets hold the true label for the "
                                  "coverage below"),
    "coverage": Metric("credible-set coverage", "share of alloys whose credible set should hold the true label", 2),
    "epochs": Metric("epochs trained", "passes over the training labels", 0),
    "best_epoch": Metric("epoch kept", "the epoch with the best validation loss, whose weights are used", 0),
    "fit_seconds": Metric("training time (s)", "wall-clock seconds of the fit", 1),
}
"""The classifier's figures on the validation split, in the order the report lists them."""

GENERATIVE_METRICS: dict[str, Metric] = {
    "val_recon_tv": Metric("reconstruction distance", "½Σ|x − x̂| between an alloy and its reconstruction: "
                           "0 is exact, 1 shares no element"),
    "val_recon_element_set_agreement": Metric("element sets kept", "share of alloys whose reconstruction has "
                                              "exactly their elements (≥ 2 at.%)"),
    "val_reconstruction_mae_at_pct": Metric("reconstruction error (at.%)", "mean |x − x̂| over the elements an "
                                            "alloy contains, in at.%", 1),
    "val_kl_per_dim": Metric("information per latent dimension (nats)", "KL of each latent dimension: near 0 "
                             "means the dimension is unused"),
    "val_latent_abs_corr": Metric("latent correlation", "largest |correlation| between two latent means: "
                                  "0 is disentangled"),
    "label_gap": Metric("label control gap", "p(single) of alloys decoded as single-phase minus as multi-phase, "
                        "same latent draws: > 0 means the label steers the generator", 3, signed=True),
    "val_neg_elbo": Metric("−ELBO per alloy (nats)", "the generative loss on validation alloys: lower is "
                           "better", 1),
    "vae_selection": Metric("generator weights chosen by", "the validation score that picked the "
                            "encoder/decoder weights"),
    "vae_best_epoch": Metric("generator: epoch kept", "the VAE phase's best epoch", 0),
    "vae_epochs": Metric("generator: epochs trained", "epochs of the VAE phase", 0),
}


def shown(value: Any, digits: int = 3, signed: bool = False) -> str:
    """A figure as the report prints it: fixed decimals, ``–`` for none, ``n/a`` for NaN,
    a list as its numbers joined."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(shown(v, digits, signed) for v in value)
    if isinstance(value, int):
        return f"{value:+d}" if signed else str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return str(value)


def shown_metric(key: str, value: Any) -> str:
    """``value`` of the figure ``key`` with its rounding (3 decimals for an unknown one)."""
    metric = MODEL_METRICS.get(key) or GENERATIVE_METRICS.get(key)
    return shown(value, metric.digits, metric.signed) if metric else shown(value)


def metric_rows(metrics: Mapping[str, Any], names: Mapping[str, Metric]) -> list[list[str]]:
    """(figure, value, what it means) rows of the ``names`` present in ``metrics``."""
    return [[m.name, shown(metrics[k], m.digits, m.signed), m.meaning] for k, m in names.items()
            if k in metrics]
