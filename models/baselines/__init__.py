"""The review's baseline phase classifiers, each a seeded :class:`~models.base.PhaseClassifier`.

Fitted baselines (random forest, gradient boosting, SVM, k-NN, MLP, gpytorch GP) all use
the same inputs: the ``MODEL_SCHEMA`` descriptors of the composition, standardized inside
a scikit-learn Pipeline. The empirical rules read descriptors directly and learn nothing.

>>> from featurize.elements import element_table
>>> model = make_baseline("random-forest", element_table().symbols, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from alloyloop.models.base import PhaseClassifier
from alloyloop.models.baselines.descriptor_model import DescriptorClassifier, EstimatorFactory
from alloyloop.models.baselines.gp import VariationalGPClassifier, gp_classifier
from alloyloop.models.baselines.rules import RULES, MajorityClassifier, RuleClassifier
from alloyloop.models.baselines.sklearn_models import gradient_boosting, knn, mlp, random_forest, svm

FITTED: dict[str, EstimatorFactory] = {
    "random-forest": random_forest,
    "gradient-boosting": gradient_boosting,
    "svm": svm,
    "knn": knn,
    "mlp": mlp,
    "gp": gp_classifier,
}
"""Fitted baselines: table name → ``seed -> sklearn estimator``."""

BASELINE_NAMES: tuple[str, ...] = ("majority", *RULES, *FITTED)
"""Every baseline :func:`make_baseline` builds, in table order."""


def make_baseline(name: str, elements: Sequence[str], seed: int) -> PhaseClassifier:
    """Build one baseline by its table name.

    Args:
        name: one of :data:`BASELINE_NAMES`.
        elements: the palette (columns of every ``X`` the model will see).
        seed: the model's seed (fitting is deterministic given it).

    Raises:
        ValueError: unknown name.
    """
    builders: dict[str, Callable[[], PhaseClassifier]] = {
        "majority": lambda: MajorityClassifier(elements, seed),
        **{rule: (lambda rule=rule: RuleClassifier(elements, seed, rule=rule)) for rule in RULES},
        **{
            fitted: (
                lambda fitted=fitted: DescriptorClassifier(
                    elements, seed, estimator_factory=FITTED[fitted], name=fitted
                )
            )
            for fitted in FITTED
        },
    }
    if name not in builders:
        raise ValueError(f"unknown baseline {name!r}; expected one of {', '.join(BASELINE_NAMES)}")
    return builders[name]()


__all__ = [
    "BASELINE_NAMES",
    "FITTED",
    "DescriptorClassifier",
    "MajorityClassifier",
    "RuleClassifier",
    "VariationalGPClassifier",
    "make_baseline",
]
