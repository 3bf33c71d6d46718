"""Screening at scale: 10M lattice candidates through Prefect tasks on a local Dask cluster.

Run from the repository root (it needs the whole machine for a few minutes):

    OMP_NUM_THREADS=1 python -m benchmarks.screening_dask            # 10M candidates, 1 and 2 workers
    OMP_NUM_THREADS=1 python -m benchmarks.screening_dask --quick    # 200k candidates, a smoke run

A DVAE (default architecture, a short fit; its fit time is not part of the figures) is
fitted on the corpus alloys of Al-Co-Cr-Cu-Fe-Mn-Ni-Ti. The design space is that palette at
1 at.% with 4-6 elements and Al <= 20 at.%: a lattice of 2.2e9 points, so the flow
(:mod:`alloyloop.agent.screen_flow`) samples ``--candidates`` of them, 100k per task, at most two
tasks per worker in flight, and keeps the top 100. For each worker count it reports
wall time (flow start to result, Dask cluster start included), throughput, and peak
resident memory (RSS) of the flow process and of the whole process tree (flow, Dask
scheduler process, workers, Prefect's temporary server), sampled every 0.2 s. The
section of docs/benchmarks.md is written unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from benchmarks.report import machine, write_section  # noqa: E402

PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni", "Ti")
SECTION = "screening_dask"


class PeakRSS:
    """Peak RSS of this process and of its whole process tree, sampled in a thread."""

    def __init__(self, interval: float = 0.2) -> None:
        import psutil

        self._me = psutil.Process()
        self.interval = interval
        self.peak_self = self.peak_tree = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        import psutil

        own = self._me.memory_info().rss
        total = own
        for child in self._me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        self.peak_self = max(self.peak_self, own)
        self.peak_tree = max(self.peak_tree, total)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def fit_model(folder: Path, epochs: int) -> Path:
    from alloyloop.featurize.corpus import load_labelled
    from alloyloop.featurize.matrix import fraction_matrix
    from alloyloop.models.config import DVAEConfig
    from alloyloop.models.dvae import DisentangledVAE

    lab = load_labelled()
    lab = lab[lab["single_phase"].notna() & lab["fractions"].map(lambda f: set(f) <= set(PALETTE))]
    x = fraction_matrix(lab["fractions"], PALETTE)
    y = lab["single_phase"].astype(int).to_numpy()
    config = dataclasses.replace(DVAEConfig(), max_epochs=epochs, min_epochs=min(epochs, 5), patience=5,
                                 vae_max_epochs=epochs)
    model = DisentangledVAE(config, elements=PALETTE, seed=0).fit(x, y)
    return model.save(folder / "model")


def space():  # noqa: ANN201
    from alloyloop.campaigns.design_space import DesignSpace

    return DesignSpace(palette=PALETTE, min_elements=4, max_elements=6, step=0.01,
                       bounds={"Al": (0.0, 0.20)})


def run(checkpoint: Path, candidates: int, workers: int, chunk_size: int, top_k: int) -> dict:
    from alloyloop.agent.screen_flow import run_screening

    with PeakRSS() as rss:
        start = time.perf_counter()
        result = run_screening(str(checkpoint), space(), candidates, top_k=top_k, seed=0,
                               chunk_size=chunk_size, workers=workers)
        wall = time.perf_counter() - start
    assert result.scored == candidates, (result.scored, candidates)
    return {"workers": workers, "candidates": result.scored, "feasible": result.feasible,
            "jobs": result.jobs, "mode": result.mode, "wall_s": wall,
            "per_s": result.scored / wall, "peak_self_mib": rss.peak_self / 2**20,
            "peak_tree_mib": rss.peak_tree / 2**20, "best": result.rows()[0]}


def section(rows: list[dict], command: str, quick: bool, lattice: int) -> str:
    lines = [
        "## Screening on Dask (issue #10)",
        "",
        f"Command: `{command}`{' (quick mode: not the reference figures)' if quick else ''}  ",
        f"Machine: {machine()}",
        "",
        f"Design space: {'-'.join(PALETTE)} at 1 at.%, 4-6 elements, Al <= 20 at.% "
        f"({lattice:.2e} lattice points, so candidates are sampled uniformly); a DVAE of the "
        "default architecture scores them. The flow `screen-lattice` "
        "(`agent/screen_flow.py`) maps `screen-chunk` tasks of 100k candidates over a "
        "`DaskTaskRunner` (local cluster, single-threaded worker processes, at most 2 tasks per "
        "worker in flight) and merges their top-100 lists. Wall time includes starting the Dask "
        "cluster; RSS is sampled every 0.2 s (tree = the flow process, Dask's workers and "
        "Prefect's temporary server).",
        "",
        "| workers | candidates | design-space feasible | tasks | wall [s] | candidates/s | "
        "peak RSS, flow process [MiB] | peak RSS, process tree [MiB] |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['workers']} | {r['candidates']:,} | {r['feasible']:,} | {r['jobs']} | "
                     f"{r['wall_s']:.1f} | {r['per_s']:,.0f} | {r['peak_self_mib']:.0f} | "
                     f"{r['peak_tree_mib']:.0f} |")
    if len(rows) == 2:
        lines += ["", f"Speed-up from 1 to 2 workers: {rows[0]['wall_s'] / rows[1]['wall_s']:.2f}×."]
    best = rows[-1]["best"]
    agree = " (every run agrees: same seed, same tasks)" if len(rows) > 1 else ""
    lines += ["", f"Best candidate{agree}: {best['composition']} (p(single) = {best['p_single']:.3f})."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200k candidates (a smoke run)")
    parser.add_argument("--candidates", type=int, default=None, help="default 10,000,000 (200,000 with --quick)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=None, help="DVAE epochs (default 40, 3 with --quick)")
    parser.add_argument("--no-write", action="store_true", help="print the section, do not write it")
    parser.add_argument("--out", type=Path, default=None, help="benchmarks page to write (default docs/benchmarks.md)")
    args = parser.parse_args(argv)
    candidates = args.candidates or (200_000 if args.quick else 10_000_000)
    epochs = args.epochs or (3 if args.quick else 40)

    import torch

    from alloyloop.featurize.lattice import lattice_size

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="screening-dask-") as tmp:
        os.environ.setdefault("PREFECT_HOME", str(Path(tmp) / "prefect"))
        checkpoint = fit_model(Path(tmp), epochs)
        rows = []
        for workers in args.workers:
            row = run(checkpoint, candidates, workers, args.chunk_size, args.top)
            print(f"{workers} worker(s): {row['candidates']:,} candidates in {row['wall_s']:.1f} s "
                  f"({row['per_s']:,.0f}/s), peak RSS {row['peak_self_mib']:.0f} MiB (flow), "
                  f"{row['peak_tree_mib']:.0f} MiB (tree)", flush=True)
            rows.append(row)
    if len({r["best"]["composition"] for r in rows}) != 1:
        raise SystemExit(f"the runs disagree on the best candidate: {[r['best'] for r in rows]}")
    command = "OMP_NUM_THREADS=1 python -m benchmarks.screening_dask " + " ".join(argv if argv is not None
                                                                                  else sys.argv[1:])
    sp = space()
    text = section(rows, command.strip(), args.quick,
                   lattice_size(len(sp.palette), sp.step, sp.min_elements, sp.max_elements))
    print(text)
    if not args.no_write:
        from benchmarks.report import BENCHMARKS_MD

        write_section(SECTION, text, args.out or BENCHMARKS_MD)


if __name__ == "__main__":
    main()
