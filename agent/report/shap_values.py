"""SHAP values of the DVAE's classification head, over its named input features.

The head (``DisentangledVAE.classifier_head``) maps the classifier input (standardized
descriptors, plus the palette fractions when ``classifier_inputs =
"descriptors+fractions"``) to p(single) = σ(logit / T), with T the fitted temperature. It
ends in an ``nn.Sigmoid`` *module*, which is what shap 0.51's DeepExplainer needs for
exact additivity; if the additivity check still fails
(an architecture DeepLIFT does not cover), KernelExplainer with a k-means background is
used instead. Which one ran is recorded in the result, in words a reader of the report
needs (the exception that made DeepLIFT fail goes to the log, not into the report).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from alloyloop.models.dvae import DisentangledVAE

log = logging.getLogger(__name__)
EXACT = "exact SHAP values of the classifier (DeepLIFT through the network, checked to add up to p(single))"


def estimated(k: int) -> str:
    """How the fallback's values were found, for the report."""
    return (f"SHAP values estimated by sampling the classifier's answers against {k} typical alloys "
            "(Kernel SHAP): the exact explainer did not apply to this model")


@dataclass(frozen=True)
class ShapResult:
    """SHAP values of p(single) for ``n`` alloys over ``F`` named features.

    Attributes:
        values: ``(n, F)`` contributions to p(single).
        data: ``(n, F)`` feature values in physical units (descriptors) and mole fractions,
            for colouring plots.
        names: ``(F,)`` display names, e.g. ``ΔS_mix [J/(mol K)]`` or ``x(Co)``.
        base_value: expected p(single) over the background.
        method: which explainer ran.
    """

    values: np.ndarray
    data: np.ndarray
    names: tuple[str, ...]
    base_value: float
    method: str

    def mean_abs(self) -> dict[str, float]:
        """Mean |SHAP| per feature (the bar plot's numbers)."""
        return {n: float(v) for n, v in zip(self.names, np.abs(self.values).mean(axis=0))}


def explain(model: DisentangledVAE, X: np.ndarray, background: np.ndarray, *,
            seed: int) -> ShapResult:
    """SHAP values of p(single) for the rows of ``X`` against ``background`` rows."""
    import shap

    head = model.classifier_head()  # a copy: DeepExplainer hooks into the modules it explains
    f_x, shown = model.transform(X), model.describe(X)
    f_bg = model.transform(background)
    t_x = torch.as_tensor(f_x, dtype=torch.float32)
    t_bg = torch.as_tensor(f_bg, dtype=torch.float32)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        try:
            explainer = shap.DeepExplainer(head, t_bg)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values = explainer.shap_values(t_x, check_additivity=True)
            values = np.asarray(values, dtype=np.float64).reshape(len(f_x), -1)
            base = float(np.asarray(explainer.expected_value).reshape(-1)[0])
            method = EXACT
        except Exception as exc:  # noqa: BLE001 - any DeepLIFT failure: fall back, say so
            log.info("DeepExplainer did not apply (%s: %s); estimating SHAP values with KernelExplainer",
                     type(exc).__name__, exc)
            def predict(a: np.ndarray) -> np.ndarray:
                with torch.no_grad():
                    return head(torch.as_tensor(a, dtype=torch.float32)).numpy()[:, 0]

            k = min(20, len(f_bg))
            kernel = shap.KernelExplainer(predict, shap.kmeans(f_bg, k))
            values = np.asarray(kernel.shap_values(f_x, nsamples=200, silent=True),
                                dtype=np.float64).reshape(len(f_x), -1)
            base = float(np.asarray(kernel.expected_value).reshape(-1)[0])
            method = estimated(k)
    return ShapResult(values=values, data=shown, names=model.feature_names, base_value=base,
                      method=method)
