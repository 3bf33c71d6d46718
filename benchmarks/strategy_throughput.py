"""Strategy speed: lattice screening throughput and BoTorch batch time.

Run from the repository root:

    OMP_NUM_THREADS=1 python -m benchmarks.strategy_throughput

A DVAE is fitted on the corpus alloys of the Al-Co-Cr-Cu-Fe-Mn-Ni family (its fit time is
not part of the figures). Then:
- screening streams the 1,221,168-point lattice of {Al, Co, Cr, Cu, Fe, Ni} at 2.5 at.%
  with 3-6 elements through the classifier in 100k chunks, scored through the DVAE's
  torch path (issue #5 target: 1M candidates in <= 30 s on 2 cores; issue #19: <= 10 s on
  one core), with peak traced memory and CPU time;
- the screening's stages are profiled one by one (:mod:`benchmarks.screening_profile`):
  enumeration, descriptors (numpy and torch), classifier, both scoring paths end to end;
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
from datetime import date

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from alloyloop.campaigns.design_space import DesignSpace  # noqa: E402
from alloyloop.agent.strategies.ensemble_bo import EnsembleBO  # noqa: E402
from alloyloop.agent.strategies.latent_bo import LatentBO  # noqa: E402
from alloyloop.agent.strategies.screening import Screening  # noqa: E402
from alloyloop.agent.suggestion import Observations  # noqa: E402
from benchmarks.report import BENCHMARKS_MD, machine, write_section  # noqa: E402
from benchmarks.screening_profile import classifier_macs, profile  # noqa: E402
from alloyloop.featurize.corpus import load_labelled  # noqa: E402
from alloyloop.featurize.lattice import lattice_size  # noqa: E402
from alloyloop.featurize.matrix import fraction_matrix  # noqa: E402

PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni")


def _fit_model(seed: int, vae_max_epochs: int | None = None):
    from alloyloop.models.config import DVAEConfig
    from alloyloop.models.dvae import DisentangledVAE

    lab = load_labelled()
    lab = lab[lab["single_phase"].notna() & lab["fractions"].map(lambda f: set(f) <= set(PALETTE))]
    x = fraction_matrix(lab["fractions"], PALETTE)
    y = lab["single_phase"].astype(int).to_numpy()
    config = dataclasses.replace(DVAEConfig(), max_epochs=60)
    if vae_max_epochs is not None:  # the networks' sizes, and so the timed work, stay the same
        config = dataclasses.replace(config, vae_max_epochs=vae_max_epochs)
    model = DisentangledVAE(config, elements=PALETTE, seed=seed).fit(x, y)
    obs = Observations(elements=PALETTE, X=x, y=y, keys=tuple(lab["key"]),
                       X_pending=np.empty((0, len(PALETTE))))
    return model, obs


def run(seed: int, threads: int, screening_only: bool = False) -> str:
    torch.set_num_threads(threads)
    load_start = os.getloadavg()[0]
    t = time.perf_counter()
    model, obs = _fit_model(seed, vae_max_epochs=20 if screening_only else None)
    fit_s = time.perf_counter() - t

    space = DesignSpace(palette=("Al", "Co", "Cr", "Cu", "Fe", "Ni"), min_elements=3,
                        max_elements=6, step=0.025)
    size = lattice_size(6, 0.025, 3, 6)
    screening = Screening(max_candidates=size, chunk_size=100_000)
    t, cpu = time.perf_counter(), time.process_time()
    batch = screening.suggest(model, obs, space, 8, seed)
    screen_s, screen_cpu = time.perf_counter() - t, time.process_time() - cpu
    tracemalloc.start()
    screening.suggest(model, obs, space, 8, seed)  # again, traced (tracing slows it down)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    stages = profile(model, screening, space, PALETTE, seed)
    macs = classifier_macs(model)
    clf = next(st for st in stages if st.name.startswith("classifier"))

    bo_rows = carried_bo_rows() if screening_only else []
    for label, strategy in () if screening_only else (("botorch (ensemble posterior, qUCB)", EnsembleBO()),
                            ("botorch (ensemble posterior, qLogNEI)", EnsembleBO(acquisition="qLogNEI")),
                            ("botorch-gp: GP fit + qLogNEI", LatentBO())):
        times, cpus, made = [], [], []
        for s in range(3):
            t, c = time.perf_counter(), time.process_time()
            made.append(len(strategy.suggest(model, obs, space, 8, seed + s)))
            times.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        bo_rows.append(f"| {label}: optimize_acqf + decode-repair, batch of 8 (3 seeds) "
                       f"| {min(made)}–{max(made)} suggestions | {np.mean(times):.1f} ± "
                       f"{np.std(times):.1f} (CPU {np.mean(cpus):.1f}) | | |")

    lines = [
        "## Strategy throughput (issues #5, #19)",
        "",
        "Command: `OMP_NUM_THREADS=1 python -m benchmarks.strategy_throughput"
        f"{' --screening-only' if screening_only else ''}`  ",
        f"Machine: {machine()}; torch threads: {threads}  ",
        f"Model: DVAE (default config, 60 epochs{', VAE phase 20' if screening_only else ''}) fitted in {fit_s:.0f} s on the "
        f"{len(obs.y):,} labelled corpus alloys of Al-Co-Cr-Cu-Fe-Mn-Ni (not timed below).",
        "",
        "| step | size | wall time [s] | rate | peak memory [MiB] |",
        "|---|---:|---:|---:|---:|",
        f"| screening (torch path): enumerate, filter, score, keep top, de-duplicate | {size:,} "
        f"candidates | {screen_s:.1f} (CPU {screen_cpu:.1f}) | {size / screen_s:,.0f} "
        f"candidates/s | {peak / 2**20:.0f} |",
        *bo_rows,
        "",
        f"- Screening of 1M candidates: **{screen_s * 1e6 / size:.1f} s** wall, "
        f"{screen_cpu * 1e6 / size:.1f} s CPU on one thread (targets: <= 30 s on 2 cores, "
        f"issue #5; <= 10 s on one core, issue #19). "
        f"Top pick {batch[0].key}, p(single) {batch[0].p_single:.3f}.",
        "",
        f"Screening profile, each stage over all {size:,} candidates (one thread; CPU = this "
        "process's CPU seconds, wall includes waiting for the shared cores):",
        "",
        "| stage | wall [s] | CPU [s] |",
        "|---|---:|---:|",
        *[f"| {st.name} | {st.wall_s:.1f} | {st.cpu_s:.1f} |" if st.wall_s else f"| {st.name} | | |"
          for st in stages],
        "",
        f"- The classifier is {macs:,} multiply-adds per candidate "
        f"({2 * macs * size / 1e9:.0f} GFLOP for the lattice): {2 * macs * size / 1e9 / clf.cpu_s:.0f} "
        "GFLOP/s per CPU second here (float32, MKL, AVX2).",
        "- Peak memory is Python-traced allocation (tracemalloc): one 100k chunk, its "
        "descriptors and the running top list, independent of the lattice size.",
        f"- Measured {date.today().isoformat()}, 1-min load average {load_start:.1f} at the "
        f"start and {os.getloadavg()[0]:.1f} at the end on these {os.cpu_count()} cores (other "
        "engineers' jobs): wall times are upper bounds, CPU times are what one core spent. "
        "`botorch` = the ensemble-posterior strategy of issue #19 (latent search; the "
        "MC-dropout members of the default one-head classifier); `botorch-gp` = the former "
        "strategy, a GP of classifier scores.",
    ]
    return "\n".join(lines)


def carried_bo_rows() -> list[str]:
    """The BoTorch rows of the section as it stands (``--screening-only`` keeps them)."""
    text = BENCHMARKS_MD.read_text(encoding="utf-8") if BENCHMARKS_MD.exists() else ""
    section = text.split("<!-- strategy_throughput:start -->")[-1].split("<!-- strategy_throughput:end -->")[0]
    rows = [line for line in section.splitlines() if line.startswith("| botorch")]
    was = next((line for line in section.splitlines() if line.startswith("Machine:")), "")
    out = [row.replace(" | | |", " | | carried over, not re-measured (`--screening-only`) |")
           if "carried over" not in row else row for row in rows]
    if rows and was and "carried over" not in section:
        out.append(f"| (the BoTorch rows above: previous run, {was.strip()}) | | | | |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--screening-only", action="store_true",
                        help="time the screening only (a DVAE of the same sizes with 20 VAE-phase "
                             "epochs) and keep the section's BoTorch rows as they are")
    args = parser.parse_args()
    section = run(args.seed, args.threads, args.screening_only)
    print(section)
    if not args.no_write:
        write_section("strategy_throughput", section)


if __name__ == "__main__":
    main()
