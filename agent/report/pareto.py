"""The round report's Pareto section: p(target) against the campaign's objectives.

Points are the round's suggestions (p(target) as predicted when suggested) and the
labelled alloys made of the design palette (p(target) of this round's model, beside their
label). A point is on the front when no other point is at least as good in p(target) and
in every objective and better in one (objectives signed by their direction). The table
lists the front with p(target), density and cost (always, as the designer's first
questions) and any other objective.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from alloyloop.featurize.properties import get_property, property_matrix

ALWAYS = ("density", "cost")


@dataclass(frozen=True)
class ParetoPoints:
    """Every point of the section: ``source`` (suggestion / labelled), alloy key, label
    (or None), p(target), property values ``(n, k)`` for ``names``, front mask."""

    source: tuple[str, ...]
    keys: tuple[str, ...]
    labels: tuple[str | None, ...]
    p: np.ndarray
    names: tuple[str, ...]
    values: np.ndarray
    front: np.ndarray


def non_dominated(y: np.ndarray) -> np.ndarray:
    """``(n,)`` bool: rows of ``y`` ``(n, m)`` (all maximized) that no other row dominates."""
    y = np.asarray(y, dtype=np.float64)
    keep = np.ones(len(y), dtype=bool)
    for i in range(len(y)):
        better_eq = (y >= y[i]).all(axis=1)
        strictly = (y > y[i]).any(axis=1)
        keep[i] = not (better_eq & strictly).any()
    return keep


def pareto_points(p_suggested: np.ndarray, x_suggested: np.ndarray, keys_suggested: Sequence[str],
                  p_labelled: np.ndarray, x_labelled: np.ndarray, keys_labelled: Sequence[str],
                  y_labelled: np.ndarray, elements: Sequence[str],
                  objectives: Mapping[str, str], p_min: float = 0.5) -> ParetoPoints:
    """The section's points over ``elements`` (fractions ``(n, E)``); the front is taken
    among the points with ``p ≥ p_min`` (the acquisition's reference point: an alloy less
    likely than not to have the target adds nothing, however light or cheap)."""
    names = tuple(dict.fromkeys([*objectives, *ALWAYS]))
    x = np.vstack([x_suggested, x_labelled]).reshape(-1, len(elements))
    values = property_matrix(x, elements, names) if len(x) else np.empty((0, len(names)))
    p = np.concatenate([p_suggested, p_labelled]).astype(np.float64)
    signs = np.array([1.0 if objectives[n] == "maximize" else -1.0 for n in objectives])
    y = np.column_stack([p, values[:, :len(objectives)] * signs])
    return ParetoPoints(
        source=("suggestion",) * len(x_suggested) + ("labelled",) * len(x_labelled),
        keys=tuple(keys_suggested) + tuple(keys_labelled),
        labels=(None,) * len(x_suggested) + tuple("single" if v else "multi" for v in y_labelled),
        p=p, names=names, values=values, front=_front(y, p >= p_min))


def _front(y: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    front = np.zeros(len(y), dtype=bool)
    if eligible.any():
        front[np.flatnonzero(eligible)] = non_dominated(y[eligible])
    return front


def front_table(points: ParetoPoints, target: str, max_rows: int = 40
                ) -> tuple[list[str], list[list]]:
    """Header and rows of the front, best p(target) first (at most ``max_rows``; every
    suggestion on the front is kept)."""
    header = ["source", "alloy", "label", f"p({target})"] + [get_property(n).label
                                                            for n in points.names]
    idx = np.flatnonzero(points.front)
    idx = idx[np.argsort(-points.p[idx], kind="stable")]
    suggested = [i for i in idx if points.source[i] == "suggestion"]
    others = [i for i in idx if points.source[i] != "suggestion"]
    keep = set(suggested) | set(others[:max(0, max_rows - len(suggested))])
    idx = [i for i in idx if i in keep]
    rows = [[points.source[i], points.keys[i], points.labels[i], float(points.p[i]),
             *[float(v) for v in points.values[i]]] for i in idx]
    return header, rows
