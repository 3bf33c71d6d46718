"""Batch diversity over element systems.

An alloy's element system is the set of elements it contains (Co-Cr-Fe-Mn-Ni for every
Cantor-like variant). A batch, or a top list, of forty variants of one system teaches a
lab less than one spread over many: :func:`diverse_order` picks greedily, each time the
candidate with the best score after a penalty for every alloy already chosen (or already
in the lab) in its element system, optionally with a hard cap per system.

A penalty in units of the scores' spread is hard to read and, where most candidates are
hopeless, large: the issue-32 study saw batches filled with alloys of p(single) 1e-46
because they opened a new system. The **margin rule** (``p`` and ``margin``) says it in
the lab's own unit instead: the score's pick stands, unless its system is already in the
batch or the lab and an alloy of a *new* system has p(target) at least ``1 − margin``
times the best p(target) still open; then the best-scoring such alloy is taken. The
margin is relative to the best p, not an absolute distance from it: where needles are
rare the best open p may be 0.07, and an absolute margin of 0.1 then let an alloy of
p = 0.0015 open a system (the ``cocrfenbti-hea`` study, seed 0, round 3). Near p = 1 the
two readings agree (0.9 × 0.99 ≈ 0.99 − 0.1).

The **floor** (``p`` and ``floor``) keeps a pick from being negligible beside what is
left: no row whose p(target) is below ``floor`` times the best p(target) still open is
chosen, whatever its score (an optimistic acquisition can rank an uncertain alloy of
p = 0.002 above one of p = 0.3). Where every open alloy is unlikely the floor is low too,
and the score (the model's uncertainty) decides.

The **novelty rule** (``p``, ``novel`` and ``novel_margin``) prefers new alloys to
neighbours of known ones, in the same reading as the margin rule: the pick (after the
margin rule) stands when it is ``novel`` (farther than a distance from every alloy known
before the campaign, :func:`~alloyloop.agent.novelty.far_from`), else the best-scoring
novel open alloy is taken if its p(target) is at least ``1 − novel_margin`` times the best
p(target) still open. Pick by pick: once no novel alloy is within the margin, the score's
nearer picks fill the batch, so a batch can hold both. Where the model is sure of much of
the space (the ``alcocrni`` and ``cocrfenbti`` studies: hit rates 0.93–1.00) near hits
cost nothing and only a rule like this one moves the loop to new compositions.
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
                  max_per_system: int = 0, taken: Iterable[str] = (),
                  p: np.ndarray | None = None, margin: float | None = None,
                  floor: float | None = None,
                  closed: Callable[[list[int]], np.ndarray] | None = None,
                  novel: np.ndarray | None = None, novel_margin: float | None = None
                  ) -> np.ndarray:
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
        p: ``(m,)`` p(target) of each candidate, for the margin rule.
        margin: the margin rule (module docstring): a new element system replaces the
            score's pick only when its p is at least ``1 − margin`` times the best open p
            (None: off; 0: only a new system as likely as the best).
        floor: the floor (module docstring): no pick whose p is below ``floor`` times
            the best open p (None or 0: off).
        closed: a function of the rows chosen so far returning the ``(m,)`` mask of rows
            passed over while any other row is open (the probe cap,
            :class:`~alloyloop.agent.strategies.failed_regions.ProbeLimit`); None: off.
        novel, novel_margin: the novelty rule (module docstring): ``(m,)`` bool, far from
            every alloy known before the campaign; a novel alloy replaces a nearer pick only at p ≥
            ``1 − novel_margin`` × the best open p (None: off).

    Returns:
        ``(≤ n,)`` int indices in the order chosen.
    """
    _check(penalty, max_per_system, len(systems), p, margin=margin, floor=floor,
           novel_margin=novel_margin)
    _check_novel(novel, novel_margin, len(systems))
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
        ok = _open(free, count[inverse], max_per_system, closed, chosen, p, floor)
        if ok is None:
            break
        s = fixed if fixed is not None else np.asarray(score(list(chosen)), dtype=np.float64)
        i = _choose(s, ok, penalty, count[inverse], p, margin, novel, novel_margin)
        chosen.append(i)
        free[i] = False
        count[inverse[i]] += 1
    return np.asarray(chosen, dtype=np.int64)


def _choose(s: np.ndarray, ok: np.ndarray, penalty: float, per_row: np.ndarray,
            p: np.ndarray | None, margin: float | None, novel: np.ndarray | None,
            novel_margin: float | None) -> int:
    """The next pick among the open rows ``ok`` of scores ``s`` ``(m,)``: the best after
    the spread penalty (``per_row``: chosen or taken alloys in each row's system), then
    the margin rule, then the novelty rule on the margin rule's pick."""
    finite = s[ok & np.isfinite(s)]
    scale = float(np.std(finite)) if len(finite) > 1 else 0.0
    value = s - penalty * (scale or 1.0) * per_row
    open_rows = np.flatnonzero(ok)
    i = int(open_rows[np.argmax(value[open_rows])])  # first of equals: input order
    if margin is not None and per_row[i] > 0:
        i = _new_system_pick(i, open_rows, value, np.asarray(p), per_row == 0, margin)
    if novel_margin is not None and not novel[i]:
        i = _new_system_pick(i, open_rows, value, np.asarray(p), np.asarray(novel, bool),
                             novel_margin)
    return i


def _open(free: np.ndarray, count: np.ndarray, max_per_system: int,
          closed: Callable[[list[int]], np.ndarray] | None, chosen: list[int],
          p: np.ndarray | None, floor: float | None) -> np.ndarray | None:
    """``(m,)`` rows the next pick may take (free, under the cap, not closed by the probe
    cap unless nothing else is open, above the floor), or None when the cap leaves none."""
    ok = free.copy()
    if max_per_system:
        ok &= count < max_per_system
    if not ok.any():
        return None
    if closed is not None:
        left = ok & ~np.asarray(closed(list(chosen)), dtype=bool)
        ok = left if left.any() else ok
    if floor:
        ok &= np.asarray(p) >= floor * float(np.max(np.asarray(p)[ok]))
    return ok


def _check(penalty: float, max_per_system: int, m: int, p: np.ndarray | None, **rules: float | None) -> None:
    """:func:`diverse_order`'s options, each error naming the value and what it must be."""
    if penalty < 0:
        raise ValueError(f"penalty={penalty} must be ≥ 0 (0 turns the spread off)")
    for name, value in rules.items():
        if value is not None and (p is None or len(p) != m or not 0 <= value <= 1):
            raise ValueError(f"{name}={value} needs p for every candidate and must lie in [0, 1]")
    if max_per_system < 0:
        raise ValueError(f"max_per_system={max_per_system} must be ≥ 0 (0 = no cap)")


def _check_novel(novel: np.ndarray | None, novel_margin: float | None, m: int) -> None:
    """The novelty rule needs the novel mask of every candidate."""
    if novel_margin is not None and (novel is None or len(novel) != m):
        raise ValueError(f"novel_margin={novel_margin} needs the novel mask of every candidate "
                         "(pass novel=far_from(...), or novel_margin=None for off)")


def _new_system_pick(i: int, open_rows: np.ndarray, value: np.ndarray, p: np.ndarray,
                     new: np.ndarray, margin: float) -> int:
    """The margin rule: the best-valued open row of a new system (``new``; for the novelty
    rule, a novel alloy) whose p is at least ``1 − margin`` times the best open p, else
    ``i`` (the score's pick)."""
    best_p = float(np.max(p[open_rows]))
    ok = open_rows[new[open_rows] & (p[open_rows] >= (1.0 - margin) * best_p)]
    return int(ok[np.argmax(value[ok])]) if len(ok) else i
