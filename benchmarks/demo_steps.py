"""CPU seconds of each step of each round of the demo campaign: ``python -m benchmarks.demo_steps``.

Issue #32's target: a round of the demo spec in <= 20 s after the first. ``alloyloop demo``
(:mod:`benchmarks.demo_time`) gives a round's wall time, which on the shared cores is
mostly the other engineers' load; this runs the same rounds in this process, without
Prefect (the plain round runner, :mod:`alloyloop.agent.rounds.runner`, the same services
in the same order), on a new SQLite store in a temporary folder, and times every step
with ``time.process_time`` (this process's CPU; torch threads by ``OMP_NUM_THREADS``).
Prints a table of steps by round; writes nothing to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from alloyloop.agent.demo import prepare_demo  # noqa: E402
from alloyloop.agent.rounds.runner import SERVICES, Steps, run_rounds  # noqa: E402
from alloyloop.db.session import store_sessions  # noqa: E402

ROUND_STEPS = ("begin", "data", "fit", "register", "suggest", "report", "finish")


def timed_steps(cpu: dict[str, list[float]], wall: dict[str, list[float]]) -> Steps:
    """:data:`SERVICES` with every step's CPU and wall seconds appended to ``cpu[name]`` /
    ``wall[name]`` (one entry per call)."""

    def timed(name: str, step: Callable) -> Callable:
        def run(*args, **kwargs):
            c, w = time.process_time(), time.perf_counter()
            try:
                return step(*args, **kwargs)
            finally:
                cpu[name].append(time.process_time() - c)
                wall[name].append(time.perf_counter() - w)
        return run

    return replace(SERVICES, **{f.name: timed(f.name, getattr(SERVICES, f.name))
                                for f in fields(Steps)})


def run(rounds: int, folder: Path) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    cpu: dict[str, list[float]] = defaultdict(list)
    wall: dict[str, list[float]] = defaultdict(list)
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    with store_sessions(url) as sessions:
        with sessions() as session:
            campaign = prepare_demo(session).campaign
        run_rounds(sessions, campaign, rounds, home=str(folder / "home"),
                   steps=timed_steps(cpu, wall))
    return cpu, wall


def table(cpu: dict[str, list[float]], wall: dict[str, list[float]], rounds: int) -> str:
    head = "| step | " + " | ".join(f"round {k} CPU [s]" for k in range(rounds)) + " |"
    lines = [head, "|---|" + "---:|" * rounds]
    for name in ROUND_STEPS:
        lines.append(f"| {name} | " + " | ".join(f"{c:.1f}" for c in cpu[name]) + " |")
    per_round = [sum(cpu[name][k] for name in ROUND_STEPS) for k in range(rounds)]
    per_wall = [sum(wall[name][k] for name in ROUND_STEPS) for k in range(rounds)]
    lines.append("| **round (CPU)** | " + " | ".join(f"**{c:.1f}**" for c in per_round) + " |")
    lines.append("| round (wall) | " + " | ".join(f"{w:.1f}" for w in per_wall) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="alloyloop-demo-steps-") as tmp:
        cpu, wall = run(args.rounds, Path(tmp))
    print(table(cpu, wall, args.rounds))
    print(f"load average before {load}, after {os.getloadavg()}")


if __name__ == "__main__":
    main()
