"""SHAP values of the DVAE's classification head, over its named input features.

The head maps the classifier input (standardized descriptors, plus the palette fractions
when ``classifier_inputs = "descriptors+fractions"``) to p(single) = σ(logit / T), with T
the fitted temperature. It is wrapped with an ``nn.Sigmoid`` *module*, which is what
shap 0.51's DeepExplainer needs for exact additivity; if the additivity check still fails
(an architecture DeepLIFT does not cover), KernelExplainer with a k-means background is
used instead. Which one ran is recorded in the result.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.features import classifier_inputs, descriptors


class _Head(nn.Module):
    """p(single) from classifier inputs, as an ``(n, 1)`` output."""

    def __init__(self, classifier: nn.Module, temperature: float) -> None:
        super().__init__()
        self.classifier = classifier
        self.inv_temperature = 1.0 / float(temperature)
        self.sigmoid = nn.Sigmoid()

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.sigmoid(self.classifier(features) * self.inv_temperature).unsqueeze(-1)


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


def feature_names(model: DisentangledVAE) -> tuple[str, ...]:
    names = tuple(model.schema.labels)
    if model.config.classifier_inputs == "descriptors+fractions":
        names += tuple(f"x({el})" for el in model.elements)
    return names


def head_inputs(model: DisentangledVAE, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(classifier inputs, the same features in physical units) of ``(n, E)`` fractions."""
    assert model.standardizer_ is not None, "fit or load the model first"
    x = np.asarray(X, dtype=np.float64)
    x = x / x.sum(axis=1, keepdims=True)
    raw = descriptors(x, model.elements, model.schema)
    inputs = classifier_inputs(x, model.standardizer_.transform(raw), model.config.classifier_inputs)
    shown = raw if model.config.classifier_inputs == "descriptors" else np.hstack([raw, x])
    return inputs, shown


def explain(model: DisentangledVAE, X: np.ndarray, background: np.ndarray, *,
            seed: int) -> ShapResult:
    """SHAP values of p(single) for the rows of ``X`` against ``background`` rows."""
    import shap

    assert model.net_ is not None, "fit or load the model first"
    # a copy: DeepExplainer hooks into the modules it explains
    head = _Head(copy.deepcopy(model.net_.classifier), model.temperature_).eval()
    f_x, shown = head_inputs(model, X)
    f_bg, _ = head_inputs(model, background)
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
            method = "DeepExplainer (DeepLIFT, additivity checked)"
        except Exception as exc:  # noqa: BLE001 - any DeepLIFT failure: fall back, say so
            def predict(a: np.ndarray) -> np.ndarray:
                with torch.no_grad():
                    return head(torch.as_tensor(a, dtype=torch.float32)).numpy()[:, 0]

            k = min(20, len(f_bg))
            kernel = shap.KernelExplainer(predict, shap.kmeans(f_bg, k))
            values = np.asarray(kernel.shap_values(f_x, nsamples=200, silent=True),
                                dtype=np.float64).reshape(len(f_x), -1)
            base = float(np.asarray(kernel.expected_value).reshape(-1)[0])
            method = f"KernelExplainer (k-means background, k={k}; DeepExplainer failed: {type(exc).__name__})"
    return ShapResult(values=values, data=shown, names=feature_names(model), base_value=base,
                      method=method)
