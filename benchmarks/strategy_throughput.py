"""Strategy speed: lattice screening throughput and BoTorch batch time.

Run from the repository root:

    OMP_NUM_THREADS=1 python -m benchmarks.strategy_throughput

A DVAE is fitted on the corpus alloys of the Al-Co-Cr-Cu-Fe-Mn-Ni family (its fit time is
not part of the figures). Then:
- screening streams the 1,221,168-point lattice of {Al, Co, Cr, Cu, Fe, Ni} at 2.5 at.%
  with 3-6 elements through the classifier in 100k chunks (issue #5 target: 1M
  candidates in <= 30 s on 2 cores), with peak traced memory;
- the ``botorch`` strategy (BoTorch on the DVAE's ensemble posterior, latent search,
  qUCB and qLogNEI; issue #19 target: a batch of 8 in <= 10 s on one core) and the
  ``botorch-gp`` baseline (GP fit + qLogNEI ``optimize_acqf``) each propose a batch of 8.
Writes its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
import tracemalloc

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from alloyloop.campaigns.design_space import DesignSpace  # noqa: E402
from alloyloop.agent.strategies.ensemble_bo import EnsembleBO  # noqa: E402
from alloyloop.agent.strategies.latent_bo import LatentBO  # noqa: E402
from alloyloop.agent.strategies.screening import Screening  # noqa: E402
from alloyloop.agent.suggestion import Observations  # noqa: E402
from benchmarks.report import machine, write_section  # noqa: E402
from alloyloop.featurize.corpus import load_labelled  # noqa: E402
from alloyloop.featurize.lattice import lattice_size  # noqa: E402
from alloyloop.featurize.matrix import fraction_matrix  # noqa: E402

PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni")


def _fit_model(seed: int):
    from alloyloop.models.config import DVAEConfig
    from alloyloop.models.dvae import DisentangledVAE

    lab = load_labelled()
    lab = lab[lab["single_phase"].notna() & lab["fractions"].map(lambda f: set(f) <= set(PALETTE))]
    x = fraction_matrix(lab["fractions"], PALETTE)
    y = lab["single_phase"].astype(int).to_numpy()
    config = dataclasses.replace(DVAEConfig(), max_epochs=60)
    model = DisentangledVAE(config, elements=PALETTE, seed=seed).fit(x, y)
    obs = Observations(elements=PALETTE, X=x, y=y, keys=tuple(lab["key"]),
                       X_pending=np.empty((0, len(PALETTE))))
    return model, obs


def run(seed: int, threads: int) -> str:
    torch.set_num_threads(threads)
    t = time.perf_counter()
    model, obs = _fit_model(seed)
    fit_s = time.perf_counter() - t

    space = DesignSpace(palette=("Al", "Co", "Cr", "Cu", "Fe", "Ni"), min_elements=3,
                        max_elements=6, step=0.025, batch_size=8)
    size = lattice_size(6, 0.025, 3, 6)
    screening = Screening(max_candidates=size, chunk_size=100_000)
    tracemalloc.start()
    t = time.perf_counter()
    batch = screening.suggest(model, obs, space, 8, seed)
    screen_s = time.perf_counter() - t
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    bo_rows = []
    for label, strategy in (("botorch (ensemble posterior, qUCB)", EnsembleBO()),
                            ("botorch (ensemble posterior, qLogNEI)", EnsembleBO(acquisition="qLogNEI")),
                            ("botorch-gp: GP fit + qLogNEI", LatentBO())):
        times, made = [], []
        for s in range(3):
            t = time.perf_counter()
            made.append(len(strategy.suggest(model, obs, space, 8, seed + s)))
            times.append(time.perf_counter() - t)
        bo_rows.append(f"| {label}: optimize_acqf + decode-repair, batch of 8 (3 seeds) "
                       f"| {min(made)}–{max(made)} suggestions | {np.mean(times):.1f} ± "
                       f"{np.std(times):.1f} | | |")

    lines = [
        "## Strategy throughput (issues #5, #19)",
        "",
        "Command: `OMP_NUM_THREADS=1 python -m benchmarks.strategy_throughput`  ",
        f"Machine: {machine()}; torch threads: {threads}  ",
        f"Model: DVAE (default config, 60 epochs) fitted in {fit_s:.0f} s on the "
        f"{len(obs.y):,} labelled corpus alloys of Al-Co-Cr-Cu-Fe-Mn-Ni (not timed below).",
        "",
        "| step | size | wall time [s] | rate | peak memory [MiB] |",
        "|---|---:|---:|---:|---:|",
        f"| screening: enumerate, filter, score, keep top, de-duplicate | {size:,} candidates "
        f"| {screen_s:.1f} | {size / screen_s:,.0f} candidates/s | {peak / 2**20:.0f} |",
        *bo_rows,
        "",
        f"- Screening of 1M candidates: **{screen_s * 1e6 / size:.1f} s** (target <= 30 s). "
        f"Top pick {batch[0].key}, p(single) {batch[0].p_single:.3f}.",
        "- Peak memory is Python-traced allocation (tracemalloc): one 100k chunk, its "
        "descriptors and the running top list, independent of the lattice size.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    section = run(args.seed, args.threads)
    print(section)
    if not args.no_write:
        write_section("strategy_throughput", section)


if __name__ == "__main__":
    main()
