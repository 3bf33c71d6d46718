"""The review's fitted baselines as scikit-learn estimator factories (``seed -> estimator``).

Settings are fixed in advance, not tuned on any benchmark fold:

- random forest: 300 trees, otherwise scikit-learn defaults (hea-bench's published
  random-forest baseline uses the same 300 trees; ``hea_bench.benchmark.baselines``).
- gradient boosting: scikit-learn ``GradientBoostingClassifier`` defaults (as hea-bench).
- SVM: RBF kernel, C = 1, ``gamma="scale"``; probabilities by Platt scaling fitted on
  5-fold cross-validated decision values of the training rows
  (``CalibratedClassifierCV(SVC(), method="sigmoid", ensemble=False)``, what scikit-learn
  >= 1.9 recommends in place of ``SVC(probability=True)``).
- k-NN: 15 neighbours, distance-weighted votes, Euclidean on standardized descriptors.
- MLP: two hidden layers of 100 (the seed paper's width), ReLU, Adam, L2 1e-4, early
  stopping on an internal 10 % split of the training rows, at most 500 epochs.

All run single-threaded (``n_jobs=1``): the development machines have two shared cores.
"""

from __future__ import annotations

from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC


def random_forest(seed: int) -> RandomForestClassifier:
    """300-tree random forest."""
    return RandomForestClassifier(n_estimators=300, random_state=seed, n_jobs=1)


def gradient_boosting(seed: int) -> GradientBoostingClassifier:
    """scikit-learn gradient boosting with default settings."""
    return GradientBoostingClassifier(random_state=seed)


def svm(seed: int) -> CalibratedClassifierCV:
    """RBF support-vector machine with Platt-scaled probabilities (deterministic; the
    unshuffled stratified 5-fold calibration split needs no ``seed``)."""
    del seed
    return CalibratedClassifierCV(
        SVC(kernel="rbf", C=1.0, gamma="scale"), method="sigmoid", cv=5, ensemble=False
    )


def knn(seed: int) -> KNeighborsClassifier:
    """Distance-weighted 15-nearest-neighbour vote (deterministic; ``seed`` is unused)."""
    del seed
    return KNeighborsClassifier(n_neighbors=15, weights="distance", n_jobs=1)


def mlp(seed: int) -> MLPClassifier:
    """Two-layer (100, 100) perceptron with early stopping."""
    return MLPClassifier(
        hidden_layer_sizes=(100, 100),
        alpha=1e-4,
        max_iter=500,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=20,
        random_state=seed,
    )
