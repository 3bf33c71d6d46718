"""A discovery run's figures, from its suggestions as the study stored them.

A *run* is one strategy or peer on one oracle and seed. Each of its suggestions is a row
``{"round", "key", "fractions", "hit", "p"}``: ``hit`` True / False, or None where the
oracle gave no label (it counts as an experiment, as a sample a lab could not make);
``p`` the p(single) the suggesting model gave it (None for a peer that gives none).

- hits, experiments, cumulative hits after each experiment (the plot's curve);
- distinct element systems among the hits;
- *far* hits: farther than :data:`FAR_AT_PCT` at.% (max-abs, the largest per-element
  difference) from every training alloy (the start labels and corpus alloys the run
  began with), measured over the model palette's columns;
- calibration: mean p over the suggestions that have one, beside the observed hit rate
  of the labelled suggestions, and their gap;
- wall and CPU seconds per round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from benchmarks.calphad_loop_metrics import nearest_distances

FAR_AT_PCT = 10.0


def system(fractions: Mapping[str, float]) -> str:
    """``Co-Cr-Ni``: the elements present, sorted."""
    return "-".join(sorted(el for el, x in fractions.items() if x > 0))


def cumulative_hits(rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Hits so far after each experiment, in suggestion order."""
    return [int(v) for v in np.cumsum([bool(r["hit"]) for r in rows])] if rows else []


def with_distances(rows: Sequence[Mapping[str, Any]], train: np.ndarray,
                   elements: Sequence[str]) -> list[dict[str, Any]]:
    """The rows with ``max_abs``: at.% (largest per-element difference) to the nearest of
    the ``(m, E)`` training alloys over ``elements`` (the model palette). The study stores
    this, not the training alloys (corpus data stays out of its json)."""
    if not rows:
        return []
    unknown = {el for r in rows for el, x in r["fractions"].items() if x > 0} - set(elements)
    if unknown:
        raise ValueError(f"suggestions hold {sorted(unknown)}, outside the model palette "
                         f"{list(elements)}")
    x = np.array([[r["fractions"].get(el, 0.0) for el in elements] for r in rows])
    max_abs, _ = nearest_distances(x, train)
    return [{**r, "max_abs": float(d)} for r, d in zip(rows, max_abs)]


def run_metrics(rows: Sequence[Mapping[str, Any]], far: float = FAR_AT_PCT) -> dict[str, Any]:
    """The figures of one run (module docstring), from rows :func:`with_distances` gave."""
    hits = [r for r in rows if r["hit"]]
    labelled = [r for r in rows if r["hit"] is not None]
    ps = [float(r["p"]) for r in rows if r.get("p") is not None]
    rate = len(hits) / len(labelled) if labelled else None
    mean_p = float(np.mean(ps)) if ps else None
    return {
        "experiments": len(rows),
        "labelled": len(labelled),
        "hits": len(hits),
        "hit_systems": sorted({system(r["fractions"]) for r in hits}),
        "far_hits": sum(r["max_abs"] > far for r in hits),
        "mean_p": mean_p,
        "hit_rate": rate,
        "calibration_gap": (None if mean_p is None or rate is None or len(ps) != len(rows)
                            else mean_p - rate),
        "cumulative_hits": cumulative_hits(rows),
    }


def round_seconds(rounds: Sequence[Mapping[str, Any]]) -> tuple[float | None, float | None]:
    """Mean wall and CPU seconds per round."""
    if not rounds:
        return None, None
    return (float(np.mean([r["wall_s"] for r in rounds])),
            float(np.mean([r["cpu_s"] for r in rounds])))
