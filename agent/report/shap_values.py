"""SHAP values of the DVAE's classification head, over its named input features.

The head (``DisentangledVAE.classifier_head``) maps the classifier input (standardized
descriptors, plus the palette fractions when ``classifier_inputs =
"descriptors+fractions"``) to p(single) = σ(logit / T), with T the fitted temperature, or
for a structure campaign on a phase4 model to p(target), e.g. p(FCC): what the campaign
ranks its suggestions by is what the report explains (issue 33). It
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
from alloyloop.models.target import SINGLE, gives, target_column

log = logging.getLogger(__name__)


def exact(explains: str) -> str:
    """How the exact explainer's values were found, for the report."""
    return f"exact SHAP values of the classifier (DeepLIFT through the network, checked to add up to {explains})"


EXACT = exact("p(single)")


def estimated(k: int) -> str:
    """How the fallback's values were found, for the report."""
    return (f"SHAP values estimated by sampling the classifier's answers against {k} typical alloys "
            "(Kernel SHAP): the exact explainer did not apply to this model")


@dataclass(frozen=True)
class ShapResult:
    """SHAP values of p(single) (or p(target), :attr:`explains`) for ``n`` alloys over
    ``F`` named features.

    Attributes:
        values: ``(n, F)`` contributions to the explained probability.
        data: ``(n, F)`` feature values in physical units (descriptors) and mole fractions,
            for colouring plots.
        names: ``(F,)`` display names, e.g. ``ΔS_mix [J/(mol K)]`` or ``x(Co)``.
        base_value: expected explained probability over the background.
        method: which explainer ran.
        explains: the probability explained, ``p(single)`` or ``p(FCC)`` …
    """

    values: np.ndarray
    data: np.ndarray
    names: tuple[str, ...]
    base_value: float
    method: str
    explains: str = "p(single)"

    def mean_abs(self) -> dict[str, float]:
        """Mean |SHAP| per feature (the bar plot's numbers)."""
        return {n: float(v) for n, v in zip(self.names, np.abs(self.values).mean(axis=0))}


def explained(model: DisentangledVAE, target: str = SINGLE) -> str:
    """The probability :func:`explain` explains for a campaign of ``target``: ``p(FCC)`` on
    a model that gives it, else ``p(single)`` (a single/multi model has no structure)."""
    return f"p({target})" if target != SINGLE and gives(model, target) else "p(single)"


def explain(model: DisentangledVAE, X: np.ndarray, background: np.ndarray, *,
            seed: int, target: str = SINGLE) -> ShapResult:
    """SHAP values of p(target) (:func:`explained`) for the rows of ``X`` against
    ``background`` rows."""
    import shap

    explains = explained(model, target)
    column = target_column(model, target) if explains != "p(single)" else None
    head = model.classifier_head(column)  # a copy: DeepExplainer hooks into the modules it explains
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
            method = exact(explains)
        except Exception as exc:  # noqa: BLE001 - any DeepLIFT failure: fall back, say so
            log.info("DeepExplainer did not apply (%s: %s); estimating SHAP values with KernelExplainer",
                     type(exc).__name__, exc)
            def predict(a: np.ndarray) -> np.ndarray:
                with torch.no_grad():
                    return head(torch.as_tensor(a, dtype=torch.float32)).numpy()[:, 0]

            k = min(20, len(f_bg))
            state = np.random.get_state()  # Kernel SHAP samples with numpy's global generator:
            np.random.seed(seed)           # seeded, so a round's report is the same when made again
            try:
                kernel = shap.KernelExplainer(predict, shap.kmeans(f_bg, k))
                values = np.asarray(kernel.shap_values(f_x, nsamples=200, silent=True),
                                    dtype=np.float64).reshape(len(f_x), -1)
            finally:
                np.random.set_state(state)
            base = float(np.asarray(kernel.expected_value).reshape(-1)[0])
            method = estimated(k)
    return ShapResult(values=values, data=shown, names=model.feature_names, base_value=base,
                      method=method, explains=explains)
