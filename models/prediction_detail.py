"""What :meth:`DisentangledVAE.predict_detail` returns for each alloy: the calibrated
probability with the two uncertainty signals a lab reads beside it (the conformal set and
the domain of applicability)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PredictionDetail:
    """Per-row predictions; every array has length n.

    Attributes:
        p_single: calibrated probability of single-phase, float64.
        set_single / set_multi: conformal set membership, bool.
        sets: the set as text, "{single}", "{multi}", "{single,multi}" or "{}".
        in_domain: inside the domain of applicability, bool.
        domain_score: nearest-labelled-neighbour distance / threshold (≤ 1 inside).
    """

    p_single: np.ndarray
    set_single: np.ndarray
    set_multi: np.ndarray
    sets: list[str]
    in_domain: np.ndarray
    domain_score: np.ndarray

    def to_frame(self):
        """A pandas DataFrame with one column per attribute."""
        import pandas as pd

        return pd.DataFrame({
            "p_single": self.p_single, "set": self.sets, "set_single": self.set_single,
            "set_multi": self.set_multi, "in_domain": self.in_domain,
            "domain_score": self.domain_score,
        })
