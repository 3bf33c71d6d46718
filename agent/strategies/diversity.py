"""Batch diversity over element systems.

An alloy's element system is the set of elements it contains (Co-Cr-Fe-Mn-Ni for every
Cantor-like variant). A batch, or a top list, of forty variants of one system teaches a
lab less than one spread over many: :func:`diverse_order` picks greedily, each time the
candidate with the best score after a penalty for every alloy already chosen (or already
in the lab) in its element system, optionally with a hard cap per system.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np


def element_systems(x: np.ndarray, elements: Sequence[str], tol: float = 1e-6) -> list[str]:
    """``(n, E)`` fractions → the element system of every row, e.g. ``'Co-Cr-Fe-Ni'``
    (elements in alphabetical order; fractions ≤ ``tol`` count as absent)."""
    names = np.asarray(elements)
    return ["-".join(sorted(names[row > tol])) for row in np.asarray(x)]


def system_rank(systems: Sequence) -> np.ndarray:
    """``(m,)`` int: how many earlier rows share each row's element system (0 for the
    first of its system). On rows sorted best first, ``rank < k`` keeps each system's best k."""
    seen: dict = {}
    rank = np.empty(len(systems), dtype=np.int64)
    for i, s in enumerate(systems):
        rank[i] = seen.get(s, 0)
        seen[s] = rank[i] + 1
    return rank


def diverse_order(score: np.ndarray | Callable[[list[int]], np.ndarray],
                  systems: Sequence[str], n: int, *, penalty: float,
                  max_per_system: int = 0, taken: Iterable[str] = ()) -> np.ndarray:
    """Indices of ``n`` candidates chosen greedily for score and spread.

    Args:
        score: ``(m,)`` higher is better; or a function of the indices chosen so far
            returning the ``(m,)`` scores of the next pick (a sequential greedy batch
            whose acquisition sees the earlier picks as pending).
        systems: ``(m,)`` element system of each candidate.
        n: how many to choose (fewer if there are fewer candidates, or the cap binds).
        penalty: subtracted from a candidate's score for every chosen or ``taken`` alloy
            in its system, in units of the standard deviation of the pick's finite scores
            over the candidates (0 = rank by score alone).
        max_per_system: at most this many chosen alloys (``taken`` ones included) per
            system; 0 = no cap.
        taken: element systems already in the lab or earlier in the batch.

    Returns:
        ``(≤ n,)`` int indices in the order chosen.
    """
    if penalty < 0:
        raise ValueError(f"penalty={penalty} must be ≥ 0 (0 turns the spread off)")
    if max_per_system < 0:
        raise ValueError(f"max_per_system={max_per_system} must be ≥ 0 (0 = no cap)")
    m = len(systems)
    if m == 0 or n <= 0:
        return np.empty(0, dtype=np.int64)
    fixed = None if callable(score) else np.asarray(score, dtype=np.float64)
    counts = Counter(taken)
    codes, inverse = np.unique(np.asarray(systems, dtype=object).astype(str), return_inverse=True)
    count = np.array([counts.get(c, 0) for c in codes], dtype=np.float64)
    free = np.ones(m, dtype=bool)
    chosen: list[int] = []
    while len(chosen) < n:
        ok = free.copy()
        if max_per_system:
            ok &= count[inverse] < max_per_system
        if not ok.any():
            break
        s = fixed if fixed is not None else np.asarray(score(list(chosen)), dtype=np.float64)
        finite = s[ok & np.isfinite(s)]
        scale = float(np.std(finite)) if len(finite) > 1 else 0.0
        value = s - penalty * (scale or 1.0) * count[inverse]
        open_rows = np.flatnonzero(ok)
        i = int(open_rows[np.argmax(value[open_rows])])  # first of equals: input order
        chosen.append(i)
        free[i] = False
        count[inverse[i]] += 1
    return np.asarray(chosen, dtype=np.int64)
