"""Other own-record estimators than the product's, replayed on the same record, so the
choice of :mod:`alloyloop.agent.campaign_calibration` is judged against them
(``python -m benchmarks.campaign_calibration`` prints their table).

Each is an :data:`benchmarks.campaign_calibration.Estimator`: the earlier rounds'
labelled suggestions in, this round's recorded p's out; all keep the ranking of a round.

- offset, recent rounds weighted: pairs of a round ``k`` rounds before the last one weigh
  ``decay^k``;
- offset only (``a = 1``): the first version of the product's map;
- offset + slope with other priors than the product's default;
- the product's map without round 0: only suggestions made once the campaign had own labels (the
  first batch's model had seen none of them);
- local offset: each candidate's own offset, its pairs weighted ``exp(-d / h)`` by the
  max-abs distance ``d`` to it (at.% / 100), prior centred on 0.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from benchmarks.campaign_calibration import Estimator, product, raw_p

EPS = 1e-6


def _z(items: list[dict]) -> np.ndarray:
    p = np.clip([raw_p(s) for s in items], EPS, 1 - EPS)
    return np.log(p / (1 - p))


def _map(z: np.ndarray, y: np.ndarray, w: np.ndarray, sd: float, slope_sd: float | None,
         centre: float = 0.0) -> tuple[float, float]:
    """MAP ``(a, b)`` of weighted ``y ~ Bernoulli(sigmoid(a z + b))`` (``a`` = 1 unless
    ``slope_sd``)."""
    def loss(t: np.ndarray) -> float:
        a = 1.0 if slope_sd is None else float(np.exp(t[1]))
        s = a * z + t[0]
        pen = (t[0] - centre) ** 2 / (2 * sd ** 2) + (0 if slope_sd is None else t[1] ** 2 / (2 * slope_sd ** 2))
        return float(-np.sum(w * (y * s - np.logaddexp(0, s))) + pen)
    t = minimize(loss, np.zeros(1 if slope_sd is None else 2), method="L-BFGS-B").x
    return (1.0 if slope_sd is None else float(np.exp(t[1]))), float(t[0])


def _pairs(earlier: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    return _z(earlier), np.array([float(s["hit"]) for s in earlier])


def recent(sd: float, decay: float) -> Estimator:
    def estimate(earlier: list[dict], now: list[dict]) -> np.ndarray:
        if not earlier:
            return np.array([raw_p(s) for s in now])
        z, y = _pairs(earlier)
        last = max(s["round"] for s in earlier)
        a, b = _map(z, y, np.array([decay ** (last - s["round"]) for s in earlier]), sd, None)
        return expit(a * _z(now) + b)
    return estimate


def with_slope(sd: float, slope_sd: float = 0.5) -> Estimator:
    def estimate(earlier: list[dict], now: list[dict]) -> np.ndarray:
        if not earlier:
            return np.array([raw_p(s) for s in now])
        z, y = _pairs(earlier)
        a, b = _map(z, y, np.ones(len(y)), sd, slope_sd)
        return expit(a * _z(now) + b)
    return estimate


def without_first_round(sd: float) -> Estimator:
    inner = product(sd)
    return lambda earlier, now: inner([s for s in earlier if s["round"] >= 1], now)


def local(sd: float, h: float) -> Estimator:
    def estimate(earlier: list[dict], now: list[dict]) -> np.ndarray:
        if not earlier:
            return np.array([raw_p(s) for s in now])
        z, y = _pairs(earlier)
        els = sorted({e for s in earlier + now for e in s["fractions"]})
        x = np.array([[s["fractions"].get(e, 0.0) for e in els] for s in earlier])
        out = []
        for s, zc in zip(now, _z(now)):
            d = np.abs(x - np.array([s["fractions"].get(e, 0.0) for e in els])).max(axis=1)
            out.append(expit(zc + _map(z, y, np.exp(-d / h), sd, None)[1]))
        return np.array(out)
    return estimate


ALTERNATIVES: dict[str, Estimator] = {
    "offset only, sd 0.5 (slope fixed at 1: the first version)": recent(0.5, 1.0),
    "offset only, sd 1": recent(1.0, 1.0),
    "offset, sd 0.5, recent rounds (decay 0.5)": recent(0.5, 0.5),
    "offset + slope, sd 1 / slope sd 0.5": with_slope(1.0),
    "offset + slope, sd 0.5, without round 0": without_first_round(0.5),
    "local offset, sd 1, h 0.10": local(1.0, 0.10),
    "local offset, sd 1, h 0.05": local(1.0, 0.05),
}
