"""The record a DVAE fit leaves in ``metrics``: sizes, epochs, calibration, validation
scores, label counts, and what its decoder produces (read by reports, the registry and
the benchmarks)."""

from __future__ import annotations

from typing import Any

import numpy as np

from alloyloop.models.calibration import expected_calibration_error
from alloyloop.models.label_space import BinarySpace, phase4_balanced_accuracy, single_scores
from alloyloop.models.labels import mask_class
from alloyloop.models.latent_quality import fit_quality
from alloyloop.models.priors import effective_element_count
from alloyloop.models.processing import route_counts
from alloyloop.models.trainer import TrainResult
from alloyloop.models.validation_split import Rows


def label_metrics(space: BinarySpace, t_train: np.ndarray, logits_v: np.ndarray,
                  t_val: np.ndarray) -> dict[str, Any]:
    """``label_counts`` (training labels per class; phase4 partial labels as
    ``"single (structure unknown)"``) and, for phase4, the validation balanced accuracy
    over the four classes (``val_phase4_balanced_accuracy``, exact labels only)."""
    if space.n_classes == 1:
        y = np.asarray(t_train)
        return {"label": "single", "label_counts": {"single": int((y == 1).sum()),
                                                    "multi": int((y == 0).sum())}}
    idx = mask_class(t_train)
    counts = {name: int((idx == k).sum()) for k, name in enumerate(space.classes)}
    counts["single (structure unknown)"] = int((idx < 0).sum())
    return {"label": "phase4", "label_counts": counts,
            "val_phase4_balanced_accuracy": phase4_balanced_accuracy(
                space.predicted(logits_v), t_val)}


def fit_metrics(model: Any, result: TrainResult, *, train: Rows, x_u: np.ndarray, val: Rows,
                logits_v: np.ndarray) -> dict[str, Any]:
    """The metrics of a fitted ``model`` (a :class:`~alloyloop.models.dvae.DisentangledVAE`
    whose calibration, conformal and domain components are fitted), without timing."""
    c, space = model.config, model.space
    x_l, t_l, x_v, t_v = train.x, train.t, val.x, val.t
    s_v = space.single(t_v)
    p_v = space.p_single(logits_v, model.temperature_)
    return {
        "n_train": int(x_l.shape[0]), "n_unlabelled": int(x_u.shape[0]),
        "n_validation": int(x_v.shape[0]), "epochs": result.epochs,
        "best_epoch": result.best_epoch, "vae_selection": c.vae_selection,
        "vae_epochs": result.vae_epochs, "vae_best_epoch": result.vae_best_epoch,
        "steps": result.steps,
        "temperature": model.temperature_, "conformal_threshold": model.conformal_.threshold,
        "domain_threshold": model.domain_.threshold,
        **{f"val_{k}": v for k, v in single_scores(p_v, s_v).items()},
        "val_nll_uncalibrated": space.nll(logits_v, t_v),
        "val_ece_uncalibrated": expected_calibration_error(space.p_single(logits_v, 1.0), s_v),
        **label_metrics(space, t_l, logits_v, t_v),
        "processing_input": c.processing_input,
        "processing_counts": route_counts(train.routes),
        "prior_sample_n_eff_mean": float(effective_element_count(
            model.prior_samples(256)).mean()),
        "train_n_eff_mean": float(effective_element_count(np.vstack([x_l, x_u])).mean()),
        **fit_quality(model, x_v, t_v),
    }
