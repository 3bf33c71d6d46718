"""Shared helpers for benchmark scripts: machine description and docs/benchmarks.md sections.

Each script owns one section of ``docs/benchmarks.md`` between marker comments
``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` and replaces only that section when
re-run, so scripts can be run in any order.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
BENCHMARKS_MD = DOCS / "benchmarks.md"
HEADER = (
    "# Benchmarks\n\n"
    "Speed, memory and accuracy figures, each section written by the script it names. "
    "Re-run a script to refresh its section; nothing here is typed by hand.\n"
)


def machine() -> str:
    """One line describing this machine: CPU model, cores, memory, Python, OS."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    return (f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def write_section(name: str, markdown: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace (or append) the section ``name`` of the benchmarks page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _m: block, text) if pattern.search(text) else \
        text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def publish(section: str, md: str, out_dir: Path, name: str) -> None:
    """Write a study's table: the docs section when the study was written to docs/, else
    file ``name`` beside its json (a partial run, merged into docs/ later); and print it."""
    if out_dir.resolve() == DOCS.resolve():
        write_section(section, md)
    else:
        (out_dir / name).write_text(md, encoding="utf-8")
    print(md)


def write_study(path: Path, results: list, *, command: str, wall: float,
                merged_from: list[str] | None = None, **settings) -> None:
    """A study's json: its results and a ``meta`` block (command, machine, time, the
    study's ``settings``; ``merged_from``: the commands of the runs a merge joined)."""
    import json
    from datetime import UTC, datetime

    meta = {"command": command, "machine": machine(), "wall_seconds_this_run": wall,
            "updated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), **settings}
    if merged_from:
        meta["merged_from"] = merged_from
    path.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n",
                    encoding="utf-8")
