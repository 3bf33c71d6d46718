"""Bulk p(single) of a fitted DVAE through its torch path, for screening large lattices.

Fractions → descriptors with the featurizer's own formulas in torch
(:class:`~alloyloop.models.torch_features.TorchClassifierInputs`, float64) → the fitted
classifier (float32, as :meth:`DisentangledVAE.predict_proba` runs it) → calibrated
p(single), or every class's probability (:meth:`TorchScorer.predict_phase_proba`, for a
structure target). The figures are ``predict_proba``'s (to float32 rounding of the
classifier inputs, ~1e-7; ``tests/agent/test_torch_screening.py``), without the numpy
path's per-chunk copies and checks; no autograd graph is built. A ``processing_input``
model is scored for one route (default: its design route), as
``predict_proba(X, processing=route)``.
"""

from __future__ import annotations

import numpy as np
import torch

from alloyloop.models.torch_members import route_inputs

SUB_CHUNK = 16_384
"""Rows per classifier pass: keeps the hidden activations (rows × width floats) in cache."""


class TorchScorer:
    """``predict_proba`` of a fitted DVAE, computed in torch (see the module docstring)."""

    def __init__(self, model, processing: str | None = None) -> None:
        """Args:
            model: a fitted DVAE.
            processing: the route to score for (``processing_input`` models): one route
                for every row, None = the model's design route (unknown when unset).
        """
        net = model._check_fitted()
        if model.standardizer_ is None:
            raise ValueError("the model has no fitted standardizer: fit it before scoring")
        self.elements = tuple(model.elements)
        self.inputs = route_inputs(model, processing)
        self.classifier = net.classifier
        self.space = model.space  # the label space: binary logit or K class logits
        self.temperature = float(model.temperature_)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """``(n, E)`` fractions (columns as ``model.elements``) → uncalibrated classifier
        outputs: ``(n,)`` (binary) or ``(n, K)`` (phase4)."""
        c = torch.from_numpy(_fractions(x, len(self.elements)))
        out = None
        with torch.inference_mode():
            for s in range(0, len(c), SUB_CHUNK):
                f = self.inputs(c[s:s + SUB_CHUNK])
                if not torch.isfinite(f).all():
                    bad = s + int(torch.nonzero(~torch.isfinite(f).all(dim=1))[0])
                    raise ValueError(f"row {bad} has a non-finite descriptor: drop the row or "
                                     "choose finite features (not 'omega')")
                block = self.classifier(f.float()).double()
                if out is None:
                    out = torch.empty((len(c),) + tuple(block.shape[1:]), dtype=torch.float64)
                out[s:s + len(f)] = block
        return (out if out is not None else torch.empty(0, dtype=torch.float64)).numpy()

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """``(n, E)`` fractions → ``(n,)`` float64 calibrated p(single-phase)."""
        return self.space.p_single(self.logits(x), self.temperature)

    def predict_phase_proba(self, x: np.ndarray) -> np.ndarray:
        """``(n, E)`` fractions → ``(n, len(classes))`` float64 calibrated class
        probabilities, as :meth:`DisentangledVAE.predict_phase_proba` (binary: one column,
        p(single); phase4: FCC, BCC, HCP, multi)."""
        return self.space.probs(self.logits(x), self.temperature)


def _fractions(x: np.ndarray, n_elements: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != n_elements:
        raise ValueError(f"fractions must be (n, {n_elements}) over the model's elements, got "
                         f"shape {x.shape}: order the columns as model.elements")
    if not np.isfinite(x).all() or (x < 0).any():
        raise ValueError("fractions have negative or non-finite entries: give mole fractions "
                         "(or amounts) >= 0")
    totals = x.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise ValueError(f"row {int(np.flatnonzero(totals[:, 0] <= 0)[0])} is all zero: every "
                         "alloy needs an element")
    return x / totals
