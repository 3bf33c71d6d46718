"""The recorded p(single) of a campaign's suggestions, calibrated on its own record.

After a hit the model is sure of the hit's neighbours, and the validation-set temperature
(:mod:`alloyloop.models.calibration`) cannot see it: the campaign's suggestions are not
like the validation rows. The campaign's own labelled suggestions are: each was recorded
with the model's p when it was suggested, and the lab has answered. A slope ``a`` and an
offset ``b`` of the logit (Platt scaling), the MAP of ``y ~ Bernoulli(sigmoid(a logit p +
b))`` over those pairs under the priors ``b ~ N(0, prior_sd^2)`` and ``log a ~ N(0,
slope_prior_sd^2)`` (both centred on the model's own p), move the next round's p:
``p' = sigmoid(a logit p + b)``. The slope is what tempers a model that says 0.999 where
three in four alloys are hits (the replay's rare start); an offset alone barely moves p
near 1.

- A monotone map (``a > 0``): the batch's ranking is unchanged, and the strategies (with
  their ratio rules ``min_p_ratio``, ``new_system_margin``) keep seeing the model's raw
  p — only what the store records is calibrated.
- Raw p's only: the fit reads each suggestion's ``extra["p_model"]`` (its ``p_single`` for
  suggestions stored before this calibration existed), so fits never compound.
- No labelled suggestion yet: ``a = 1, b = 0`` and the p's are returned untouched.
- p = 0 or 1 stays 0 or 1 (the map moves logits; it does not clip them).

The benchmark ``python -m benchmarks.campaign_calibration`` evaluates exactly
:func:`fit_calibration` and :meth:`OwnRecordCalibration.apply` on the studies' records.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, logit

from alloyloop.agent.discovery import LabelledSuggestion
from alloyloop.db.campaigns import SuggestionInput
from alloyloop.db.records import SuggestionRecord
from alloyloop.models.target import SINGLE

METHOD = "logit slope and offset, MAP on the campaign's own labelled suggestions"
LOGIT_CAP = 30.0
"""Raw logits are clipped to ±this for the fit only (p within 1e-13 of 0 or 1)."""


@dataclass(frozen=True)
class OwnRecordCalibration:
    """A fitted slope and offset and what they were fitted on (``pairs`` labelled
    suggestions, ``hits`` of them hits, their mean raw p ``mean_p``) under which priors."""

    offset: float
    pairs: int
    hits: int
    mean_p: float | None
    prior_sd: float
    slope: float = 1.0
    slope_prior_sd: float = 0.5

    def apply(self, p: np.ndarray) -> np.ndarray:
        """``(n,)`` probabilities moved by the map (unchanged when nothing was fitted)."""
        p = np.asarray(p, dtype=np.float64)
        if self.pairs == 0 or (self.offset == 0.0 and self.slope == 1.0):
            return p.copy()
        with np.errstate(divide="ignore"):
            return expit(self.slope * logit(p) + self.offset)

    def to_extra(self) -> dict:
        """What a suggestion's ``extra["calibration"]`` records (JSON-able)."""
        return {"method": METHOD, "offset": self.offset, "slope": self.slope,
                "pairs": self.pairs, "hits": self.hits, "mean_p_model": self.mean_p,
                "prior_sd": self.prior_sd, "slope_prior_sd": self.slope_prior_sd}


def fit_calibration(p_raw: np.ndarray, y: np.ndarray, prior_sd: float,
                    slope_prior_sd: float = 0.5) -> OwnRecordCalibration:
    """The MAP slope and offset of ``(n,)`` raw p's against ``(n,)`` 0/1 outcomes
    (module docstring; L-BFGS on ``(log a, b)``; ``n = 0`` gives ``a = 1, b = 0``)."""
    p = np.asarray(p_raw, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if len(p) != len(y):
        raise ValueError(f"{len(p)} p's for {len(y)} outcomes: give one outcome per p")
    for name, sd in (("prior_sd", prior_sd), ("slope_prior_sd", slope_prior_sd)):
        if not sd > 0:
            raise ValueError(f"{name} {sd!r}: give a positive prior standard deviation")
    if len(p) == 0:
        return OwnRecordCalibration(0.0, 0, 0, None, prior_sd, 1.0, slope_prior_sd)
    with np.errstate(divide="ignore"):
        z = np.clip(logit(np.clip(p, 0.0, 1.0)), -LOGIT_CAP, LOGIT_CAP)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        t, b = theta
        u = np.exp(t) * z + b
        r = expit(u) - y
        value = np.sum(np.logaddexp(0.0, u) - y * u) + 0.5 * (b / prior_sd) ** 2 \
            + 0.5 * (t / slope_prior_sd) ** 2
        grad = np.array([np.sum(r * np.exp(t) * z) + t / slope_prior_sd ** 2,
                         np.sum(r) + b / prior_sd ** 2])
        return float(value), grad

    t, b = minimize(loss, np.zeros(2), jac=True, method="L-BFGS-B").x
    return OwnRecordCalibration(float(b), len(p), int(y.sum()), float(p.mean()), prior_sd,
                                float(np.exp(t)), slope_prior_sd)


def raw_p(s: SuggestionRecord, target: str = SINGLE) -> float | None:
    """The model's p of a stored suggestion: for ``single``, ``extra["p_model"]``, else
    (stored before the calibration, or uncalibrated) its ``p_single``; for a phase target
    (``FCC`` …), ``extra["p_target_model"]``, else its ``extra["p_target"]`` when the
    suggestion was ranked for that target."""
    extra = s.extra or {}
    if target == SINGLE:
        value = extra.get("p_model")
        return s.p_single if value is None else float(value)
    value = extra.get("p_target_model")
    if value is None and extra.get("target") == target:
        value = extra.get("p_target")
    return None if value is None else float(value)


def own_record(labelled: Sequence[LabelledSuggestion], target: str = SINGLE
               ) -> tuple[np.ndarray, np.ndarray]:
    """``(n,)`` raw p's and ``(n,)`` outcomes (1 = a hit for ``target``) of the campaign's
    suggestions that came back labelled (:func:`alloyloop.agent.discovery.labelled_suggestions`
    with the same target: each suggestion's current label, the one the dashboard's hit
    curves and reliability diagram count); suggestions stored without a p are left out."""
    pairs = [(p, float(ls.hit)) for ls in labelled
             if (p := raw_p(ls.suggestion, target)) is not None]
    if not pairs:
        return np.empty(0), np.empty(0)
    p, y = zip(*pairs)
    return np.array(p, dtype=np.float64), np.array(y, dtype=np.float64)


def calibrated_inputs(items: Sequence[SuggestionInput], calibration: OwnRecordCalibration,
                      target: OwnRecordCalibration | None = None) -> list[SuggestionInput]:
    """The batch as stored: ``p_single`` (and the interval, by the same map) calibrated,
    the model's p in ``extra["p_model"]``, the fit in ``extra["calibration"]``; with a
    ``target`` fit (a phase campaign, fitted on its hits for that phase), the p the
    strategies ranked by, ``extra["p_target"]``, likewise (``p_target_model``,
    ``target_calibration``). Items without a p pass unchanged."""
    out = []
    for item in items:
        extra = dict(item.extra)
        if target is not None and extra.get("p_target") is not None:
            raw = float(extra["p_target"])
            extra.update(p_target_model=raw, p_target=float(target.apply(np.array([raw]))[0]),
                         target_calibration=target.to_extra())
        if item.p_single is None:
            out.append(dataclasses.replace(item, extra=extra))
            continue
        p, *bounds = calibration.apply(np.array(
            [item.p_single, *(item.interval or ())], dtype=np.float64))
        extra.update(p_model=float(item.p_single), calibration=calibration.to_extra())
        out.append(dataclasses.replace(
            item, p_single=float(p), extra=extra,
            interval=(float(bounds[0]), float(bounds[1])) if item.interval else None))
    return out
