"""Join runs written to other out-dirs into a study's json (``--merge DIR ...``).

A study is often run in parts: a new oracle, a re-run of one strategy after a fix, the
peers in their own process (so that two processes never share a store dir). Each part
writes its own ``discovery.json``; merging puts their runs into the target json, a run of
the same oracle, strategy and seed from a later DIR replacing the earlier one, and keeps
what each part measured alongside: its base rates (unless the target's was measured on
a larger sample) and start labels per oracle, and per
oracle the commands, machine and load averages of the parts that ran it (the section
prints them in the oracle's own subsection, since they differ from the target's).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _key(run: dict[str, Any]) -> tuple[str, str, int]:
    return run["oracle"], run["strategy"], run["seed"]


def merge(target: Path, parts: Sequence[Path]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``(results, meta)`` of ``target`` (a json, may not exist yet) with every part's
    runs merged in, in the order given."""
    if target.exists():
        data = json.loads(target.read_text(encoding="utf-8"))
        results, meta = data["results"], data["meta"]
    else:
        results, meta = [], {}
    meta.setdefault("training", {})
    meta.setdefault("base_rate", {})
    per_oracle = meta.setdefault("per_oracle", {})
    for part in parts:
        path = part / "discovery.json" if part.is_dir() else part
        if not path.exists():
            raise SystemExit(f"--merge {part}: no discovery.json there: give a study's out-dir")
        data = json.loads(path.read_text(encoding="utf-8"))
        runs, other = data["results"], data["meta"]
        replaced = {_key(r) for r in runs}
        results = [r for r in results if _key(r) not in replaced] + runs
        for oracle in sorted({r["oracle"] for r in runs}):
            rate = other.get("base_rate", {}).get(oracle)
            # a part run with a small --base-rate-n (1: skip it) keeps the larger sample's
            if rate and rate.get("n", 0) >= meta["base_rate"].get(oracle, {}).get("n", 0):
                meta["base_rate"][oracle] = rate
            meta["training"].update({k: v for k, v in other.get("training", {}).items()
                                     if k.startswith(f"{oracle}/")})
            seen = per_oracle.setdefault(oracle, {"commands": [], "parts": []})
            seen["commands"] += [c for c in other.get("commands", [other.get("command")])
                                 if c and c not in seen["commands"]]
            seen["parts"].append({
                "dir": str(part), "machine": other.get("machine"),
                "load_before": other.get("load_before"), "load_after": other.get("load_after"),
                "updated": other.get("updated"),
                "runs": sorted(f"{r['strategy']}/s{r['seed']}" for r in runs
                               if r["oracle"] == oracle)})
        for k in ("rounds", "batch", "n_start", "dvae", "warm_epochs"):
            if k in meta and k in other and meta[k] != other[k]:
                raise SystemExit(f"--merge {part}: its {k} is {other[k]!r}, the study's "
                                 f"{meta[k]!r}: merge only runs of the same settings")
            meta.setdefault(k, other.get(k))
    meta.setdefault("commands", [])
    meta.setdefault("command", "")
    meta.setdefault("load_before", "not recorded")
    meta["machine"] = merged_machines(meta.get("machine"), per_oracle)
    return results, meta


def merged_machines(earlier: str | None, per_oracle: dict) -> str:
    """The machines a merged study's rows ran on: the earlier study's (one or several,
    `` / ``-joined) and every part's, each once in order of first use — not the machine
    that happens to run the merge."""
    seen = [m for m in (earlier or "").split(" / ") if m]
    for entry in per_oracle.values():
        seen += [p["machine"] for p in entry["parts"] if p.get("machine")]
    return " / ".join(dict.fromkeys(seen)) or "not recorded"
