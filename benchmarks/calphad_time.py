"""Time per pycalphad equilibrium, as the CALPHAD labeler runs it.

Run from the repository root:

    OMP_NUM_THREADS=1 python -m benchmarks.calphad_time

With the Al-Co-Cr-Ni database pycalphad ships for its tests, at 1273 K:

- one worker process: its start (import pycalphad, load the database), then 20 seeded
  Al-Co-Cr-Ni compositions one after the other — the first of them compiles the
  quaternary's models, the others reuse them — then the first equilibrium of each
  ternary (a new element system compiles its own models);
- ``--workers`` worker processes (default 2): the same 20 compositions from a fresh pool,
  wall time and throughput.

Times are the calculation's wall time inside the worker (:class:`alloyloop.agent.calphad.pool.CalcResult`).
Writes the ``calphad`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from datetime import date

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from alloyloop.agent.calphad.phases import classify  # noqa: E402
from alloyloop.agent.calphad.pool import CalcResult, EquilibriumPool  # noqa: E402
from alloyloop.campaigns.tdb import TdbFile  # noqa: E402
from benchmarks.report import BENCHMARKS_MD, machine, write_section  # noqa: E402

DATABASE = "pycalphad:alcocrni.tdb"
PALETTE = ("Al", "Co", "Cr", "Ni")
TERNARIES = ({"Co": 0.3, "Cr": 0.3, "Ni": 0.4}, {"Al": 0.1, "Co": 0.4, "Ni": 0.5},
             {"Al": 0.1, "Cr": 0.3, "Ni": 0.6}, {"Al": 0.1, "Co": 0.5, "Cr": 0.4})


def compositions(n: int, seed: int) -> list[dict[str, float]]:
    """``n`` distinct seeded Al-Co-Cr-Ni compositions on a 5 at.% grid (Al 5-25 at.%,
    the others 10-50 at.%)."""
    rng = np.random.default_rng(seed)
    found: dict[tuple[int, ...], dict[str, float]] = {}
    while len(found) < n:
        al = int(rng.integers(1, 6))
        rest = rng.dirichlet(np.ones(3)) * (20 - al)
        steps = np.maximum(2, np.round(rest)).astype(int)
        steps[int(np.argmax(steps))] += 20 - al - int(steps.sum())
        if steps.min() < 2 or steps.max() > 10:
            continue
        key = (al, *(int(s) for s in steps))
        found.setdefault(key, {el: s / 20 for el, s in zip(PALETTE, key)})
    return list(found.values())


def _timed(pool: EquilibriumPool, alloys: list[dict[str, float]], temperature: float,
           threads: int) -> tuple[list[CalcResult], float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as ex:
        results = list(ex.map(lambda x: pool.calculate(x, temperature), alloys))
    return results, time.perf_counter() - started


def _fmt_alloy(x: dict[str, float]) -> str:
    return "".join(f"{el}{100 * v:g}" for el, v in x.items())


def run(n: int, temperature: float, workers: int, seed: int, timeout_s: float) -> str:
    db = TdbFile.open(DATABASE)
    alloys = compositions(n, seed)
    with EquilibriumPool(db.path, workers=1, timeout_s=timeout_s) as pool:
        t = time.perf_counter()
        pool.start()
        startup_s = time.perf_counter() - t
        serial, serial_wall = _timed(pool, alloys, temperature, 1)
        ternary = [pool.calculate(x, temperature) for x in TERNARIES]
        version = pool.version
    if any(r.seconds is None for r in serial + ternary):  # a timeout or a dead worker: no figure
        raise SystemExit(next(r.error for r in serial + ternary if r.seconds is None))
    with EquilibriumPool(db.path, workers=workers, timeout_s=timeout_s) as pool:
        t = time.perf_counter()
        pool.start()
        par_start = time.perf_counter() - t
        parallel, parallel_wall = _timed(pool, alloys, temperature, workers)
    first = serial[0].seconds
    warm = [r.seconds for r in serial[1:]]
    verdicts = [classify(r.amounts).outcome if r.ok else "failed" for r in serial]
    failed = [(x, r.error) for x, r in zip(alloys, serial) if not r.ok]
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    lines = [
        "## CALPHAD labeler: time per pycalphad equilibrium (issue #8)",
        "",
        f"`OMP_NUM_THREADS={threads} python -m benchmarks.calphad_time` — pycalphad {version}, "
        f"database `{db.name}` (pycalphad's Al-Co-Cr-Ni test database, sha256 {db.sha256[:12]}…), "
        f"{temperature:g} K, 101325 Pa; {n} seeded Al-Co-Cr-Ni compositions on a 5 at.% grid "
        f"(seed {seed}; {verdicts.count('single')} single, {verdicts.count('multi')} multi at "
        f"threshold 0.99, {len(failed)} not converged). Measured {date.today().isoformat()} "
        f"on {machine()}. Times are each calculation's wall time inside its worker process.",
        "",
        "| step | time |",
        "|---|---:|",
        f"| start one worker (import pycalphad, load the database) | {startup_s:.1f} s |",
        f"| first equilibrium of the quaternary (compiles its models) | {first:.2f} s |",
        f"| later equilibria, same system: median / mean / max of {len(warm)} | "
        f"{statistics.median(warm):.2f} / {statistics.mean(warm):.2f} / {max(warm):.2f} s |",
        f"| first equilibrium of a ternary (compiles its models): median / max of {len(ternary)} | "
        f"{statistics.median(r.seconds for r in ternary):.2f} / {max(r.seconds for r in ternary):.2f} s |",
        f"| {n} equilibria, 1 worker: wall time after the start | {serial_wall:.1f} s |",
        f"| {n} equilibria, {workers} workers: start / wall time after the start | "
        f"{par_start:.1f} s / {parallel_wall:.1f} s ({n / parallel_wall:.2f} equilibria/s) |",
        "",
        "Each worker compiles the functions of a phase the first time its solver needs them "
        "in an element system (the slow 'later' equilibria met a phase for the first time), "
        "so a batch costs a few compiles per system and worker plus a fraction of a second "
        "per alloy. A second worker compiles everything again, so for batches this small "
        "it gains little or nothing on 2 cores (compare the two wall times): the labeler "
        "defaults to one worker. "
        "The labeler's default per-calculation limit (120 s) leaves room for a compile on a "
        "busy machine.",
    ]
    for x, error in failed:
        lines += ["", f"Not converged: {_fmt_alloy(x)} ({error}); "
                  "the labeler marks such a suggestion failed with this reason. Its time is "
                  "included above (pycalphad's solver gives up)."]
    lines += [
        "",
        "<details><summary>compositions and their fractions (1 worker)</summary>",
        "",
        "| alloy | seconds | phases |",
        "|---|---:|---|",
    ]
    for x, r in zip(alloys, serial):
        phases = ", ".join(f"{a.name} {a.fraction:.3f}" for a in r.amounts) or "not converged"
        lines.append(f"| {_fmt_alloy(x)} | {r.seconds:.2f} | {phases} |")
    lines += ["", "</details>"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="compositions (default 20)")
    parser.add_argument("--temperature", type=float, default=1273.0, help="kelvin (default 1273)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the parallel run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=300.0, help="per-calculation limit, s")
    parser.add_argument("--no-write", action="store_true", help="print, do not update docs/benchmarks.md")
    parser.add_argument("--out", type=Path, default=BENCHMARKS_MD,
                        help="the markdown file whose calphad section is replaced")
    args = parser.parse_args(argv)
    if args.n < 2:
        parser.error("--n: give at least 2 compositions (the first one compiles the models)")
    text = run(args.n, args.temperature, args.workers, args.seed, args.timeout)
    print(text)
    if not args.no_write:
        write_section("calphad", text, args.out)


if __name__ == "__main__":
    main()
