"""What a replay's strategies picked, seed by seed (:mod:`benchmarks.replay`'s json with the
per-suggestion rows of :mod:`benchmarks.replay_metrics`).

Usage (from the repository root)::

    python -m benchmarks.replay_picks docs/replay.json --starts 10% 5%

Per start and seed: ``dvae-botorch`` − ``dvae-greedy`` and − ``rf-ei`` in hits, the ratio
of element systems among the hits, and each strategy's calibration (mean p of its picks,
their hit rate). Then ``dvae-botorch``'s picks beside its own model's greedy batch of the
same round (``top_by_p``: the hidden pool alloys of highest p(single) before the round):
the hits each would have found, and why each of those top alloys was passed over, by the
spread rules of :mod:`alloyloop.agent.strategies.ensemble_bo` replayed on the batch's pick
order:

- ``failed``: at least ``MISSES`` of the campaign's own labelled alloys lie within
  ``RADIUS`` of it, all misses (the failed-region rule: p × 0.1);
- ``system``: its element system was already in the batch (``new_system_margin``: a new
  system replaces the acquisition's pick when its p is ≥ 0.9 × the best open p);
- ``probe``: at least ``PROBE`` picks of the batch lie within ``RADIUS`` (max-abs) of it
  and the campaign has no hit within ``RADIUS`` yet (the probe cap);
- ``acq``: neither, the acquisition (qUCB: the members' mean logit + their spread) ranked
  other alloys higher.

Last, the picks whose acquisition value (qUCB: mean + β·spread of the members' logits)
is above the logit of the best p(single) still open (by more than ``OVER``): only the members' disagreement can
put an alloy there, above every alloy all members agree on at the soft cap of the logits
(``probability_floor``).

Round 0 is a clean comparison: every DVAE strategy of a seed trains the same first model,
so ``dvae-greedy``'s first batch is ``dvae-botorch``'s top-by-p batch of round 0.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from alloyloop.featurize.composition import parse_composition

RADIUS = 0.1
PROBE = 2
MISSES = 3
"""The ``botorch`` defaults of ``avoid_radius``, ``probe_count`` and ``avoid_misses``."""
OVER = 0.25
"""A pick 'tops the cap' when its acquisition value exceeds the best open p's logit by
more than this (logit units: the members' mean logit and the deterministic model's differ
by a few hundredths)."""


def _x(keys: list[str]) -> list[dict[str, float]]:
    return [parse_composition(k).fractions for k in keys]


def _near(a: dict[str, float], b: dict[str, float]) -> bool:
    return max(abs(a.get(e, 0.0) - b.get(e, 0.0)) for e in set(a) | set(b)) <= RADIUS + 1e-9


def _final(run: dict[str, Any], key: str) -> float:
    return run["rounds"][-1][key]


def calibration(run: dict[str, Any]) -> tuple[float, float] | None:
    """(mean p, hit rate) of the run's picks (the strategy's own p, as the report's)."""
    from benchmarks.replay_report import calibration as report_calibration

    return report_calibration(run, len(run["rounds"]))


def passed_over(run: dict[str, Any]) -> dict[str, Any]:
    """``dvae-botorch``'s picks beside its model's top-by-p batch, over all its rounds."""
    why: Counter[str] = Counter()
    top_hits = pick_hits = 0
    first = None  # round 0: (picks' hits, top-by-p hits), the same model for every DVAE strategy
    skipped_hits: Counter[str] = Counter()
    extra = []  # picks outside the top-by-p batch: (p, hit)
    over = []  # (acquisition above the best open p's logit, hit) per pick
    own_hits: list[dict[str, float]] = []
    own_misses: list[dict[str, float]] = []
    for rnd in run["rounds"]:
        picks, top = rnd.get("suggestions", ()), rnd.get("top_by_p", ())
        if not picks or not top:
            continue
        picked = {s["key"] for s in picks}
        top_hits += sum(t["hit"] for t in top)
        pick_hits += sum(s["hit"] for s in picks)
        if first is None:
            first = (sum(s["hit"] for s in picks), sum(t["hit"] for t in top))
        extra += [(s["p_single"], s["hit"]) for s in picks if s["key"] not in {t["key"] for t in top}]
        x_picks = _x([s["key"] for s in picks])
        cap = float(np.log(top[0]["p"] / (1.0 - top[0]["p"])))
        over += [(s["acquisition"] > cap + OVER, s["hit"]) for s in picks]
        for t in top:
            if t["key"] in picked:
                continue
            x = _x([t["key"]])[0]
            unproven = not any(_near(x, h) for h in own_hits)
            if unproven and sum(_near(x, m) for m in own_misses) >= MISSES:
                reason = "failed"
            elif t["system"] in {s["system"] for s in picks}:
                reason = "system"
            elif unproven and sum(_near(x, p) for p in x_picks) >= PROBE:
                reason = "probe"
            else:
                reason = "acq"
            why[reason] += 1
            skipped_hits[reason] += t["hit"]
        own_hits += [x for x, s in zip(x_picks, picks) if s["hit"]]
        own_misses += [x for x, s in zip(x_picks, picks) if not s["hit"]]
    above = [h for o, h in over if o]
    below = [h for o, h in over if not o]
    return {"above": (len(above), float(np.mean(above)) if above else None,
                      float(np.mean(below)) if below else None),
            "top_hits": top_hits, "pick_hits": pick_hits, "first": first, "why": dict(why),
            "why_hits": dict(skipped_hits), "extra_n": len(extra),
            "extra_p": float(np.mean([p for p, _ in extra])) if extra else None,
            "extra_hit": float(np.mean([h for _, h in extra])) if extra else None}


def _above(a: tuple[int, float | None, float | None]) -> str:
    n, hit, rest = a
    fmt = lambda v: "–" if v is None else f"{v:.2f}"  # noqa: E731
    return f"{n}, {fmt(hit)} ({fmt(rest)})"


def report(results: list[dict[str, Any]], starts: list[str]) -> str:
    """Markdown lines: per start, per seed, the paired figures and the passed-over picks."""
    runs = defaultdict(dict)
    for r in results:
        runs[(r["start"], r["seed"])][r["strategy"]] = r
    lines = []
    for start in starts:
        lines += [f"start {start}:", "",
                  "| seed | bo − greedy | bo − rf-ei | systems bo / greedy / rf-ei | p / hit: bo, "
                  "greedy, rf-ei | hits, bo's picks vs its model's top-by-p: round 0, all rounds "
                  "| top-by-p passed over, by rule (hits among them) | bo picks outside top-by-p: "
                  "n, mean p, hit rate | bo picks whose qUCB tops the best p's logit by > 0.25: "
                  "n, hit rate (other picks') |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for seed in sorted(s for st, s in runs if st == start):
            by = runs[(start, seed)]
            bo, gr, ei = (by.get(k) for k in ("dvae-botorch", "dvae-greedy", "rf-ei"))
            if bo is None:
                continue
            diff = [f"{_final(bo, 'cumulative_hits') - _final(o, 'cumulative_hits'):+d}"
                    if o else "–" for o in (gr, ei)]
            systems = " / ".join(str(_final(o, "hit_systems")) if o else "–" for o in (bo, gr, ei))
            cal = ", ".join(f"{c[0]:.2f}/{c[1]:.2f}" if (c := calibration(o) if o else None)
                            else "–" for o in (bo, gr, ei))
            po = passed_over(bo)
            if po["first"] is None:  # recorded before the per-suggestion rows
                continue
            why = ", ".join(f"{k} {v} ({po['why_hits'].get(k, 0)})" for k, v in sorted(po["why"].items()))
            extra = (f"{po['extra_n']}, {po['extra_p']:.2f}, {po['extra_hit']:.2f}"
                     if po["extra_n"] else "0")
            lines.append(f"| {seed} | {diff[0]} | {diff[1]} | {systems} | {cal} "
                         f"| {po['first'][0]} vs {po['first'][1]}, {po['pick_hits']} vs {po['top_hits']} "
                         f"| {why or '–'} | {extra} | {_above(po['above'])} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("json", type=Path)
    ap.add_argument("--starts", nargs="+", default=["full", "10%", "5%", "rare"])
    args = ap.parse_args(argv)
    print(report(json.loads(args.json.read_text())["results"], args.starts))


if __name__ == "__main__":
    main()
