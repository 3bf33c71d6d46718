"""The study's composition grid, enumerated once, so that every peer adapter agrees on what
a valid proposal is (on the step grid, sums to 1, bounds of present elements, element count)
and so that a peer that proposes off the grid (Ax's continuous search) is rounded onto it by
one rule that can be measured: the nearest feasible, unused grid point.

Compositions are held as integer grid units (fraction / step) to keep keys exact."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from benchmarks.peer_protocol import StudySpace


def grid_units(space: StudySpace) -> int:
    """How many grid steps make 1 (20 for a 0.05 step); a step that does not divide 1 is an
    error, since no grid point could then sum to exactly 1."""
    units = round(1.0 / space.step)
    if units < 1 or abs(units * space.step - 1.0) > 1e-9:
        raise ValueError(f"step {space.step!r} does not divide 1; use e.g. 0.05, 0.1, 0.25")
    return units


def allowed_units(space: StudySpace, element: str) -> list[int]:
    """The grid values an element may take: absent (0) or a multiple of the step inside its
    bounds. Bounds apply only when the element is present (StudySpace's convention)."""
    units = grid_units(space)
    low, high = space.bounds.get(element, (0.0, 1.0))
    first = max(1, math.ceil(low * units - 1e-9))
    last = min(units, math.floor(high * units + 1e-9))
    return [0, *range(first, last + 1)]


def max_elements(space: StudySpace) -> int:
    return len(space.elements) if space.max_elements is None else space.max_elements


def enumerate_grid(space: StudySpace) -> np.ndarray:
    """Every feasible composition as a (n, len(elements)) int array of grid units, in a
    fixed order (lexicographic over ``space.elements``)."""
    units = grid_units(space)
    top = max_elements(space)
    rows = np.zeros((1, 0), dtype=np.int16)
    for position, element in enumerate(space.elements):
        remaining = units - rows.sum(axis=1)
        present = (rows > 0).sum(axis=1)
        values = allowed_units(space, element)
        if position == len(space.elements) - 1:
            values_set = set(values)
            keep = np.array([int(r) in values_set for r in remaining], dtype=bool)
            keep &= present + (remaining > 0) <= top
            rows = np.column_stack([rows[keep], remaining[keep]]).astype(np.int16)
            break
        parts = []
        for value in values:
            keep = remaining >= value
            if value > 0:
                keep &= present < top
            if keep.any():
                parts.append(np.column_stack(
                    [rows[keep], np.full(int(keep.sum()), value, dtype=np.int16)]))
        rows = np.vstack(parts) if parts else np.zeros((0, position + 1), dtype=np.int16)
    count = (rows > 0).sum(axis=1)
    return rows[count >= space.min_elements]


def to_units(space: StudySpace, fractions: Mapping[str, float]) -> tuple[int, ...]:
    """A composition's grid key (fractions rounded to the nearest grid step); an element
    outside the palette is an error, never silently dropped."""
    unknown = set(fractions) - set(space.elements)
    if unknown:
        raise ValueError(f"elements {sorted(unknown)} are not in the study's palette "
                         f"{list(space.elements)}")
    units = grid_units(space)
    return tuple(int(round(float(fractions.get(el, 0.0)) * units)) for el in space.elements)


def to_fractions(space: StudySpace, row: Iterable[int]) -> dict[str, float]:
    """Grid units back to a fractions dict holding the present elements only."""
    units = grid_units(space)
    return {el: int(n) / units for el, n in zip(space.elements, row) if int(n) > 0}


def is_feasible(space: StudySpace, fractions: Mapping[str, float]) -> bool:
    """On the grid, sums to 1, present elements inside their bounds, element count in range."""
    units = grid_units(space)
    if set(fractions) - set(space.elements):
        return False
    key = to_units(space, fractions)
    on_grid = all(abs(float(fractions.get(el, 0.0)) * units - n) < 1e-6
                  for el, n in zip(space.elements, key))
    allowed = all(n in allowed_units(space, el) for el, n in zip(space.elements, key))
    count = sum(1 for n in key if n > 0)
    return (on_grid and allowed and sum(key) == units
            and space.min_elements <= count <= max_elements(space))


def taken_keys(space: StudySpace, compositions: Iterable[Mapping[str, float]]) -> set[tuple[int, ...]]:
    return {to_units(space, comp) for comp in compositions}


def nearest_free(space: StudySpace, grid: np.ndarray, point: Mapping[str, float],
                 taken: set[tuple[int, ...]]) -> tuple[tuple[int, ...], float]:
    """The feasible grid point nearest (Euclidean, in fractions) to ``point`` that is not in
    ``taken``, and how far rounding moved it: the fraction of atoms moved,
    0.5 * sum |x_rounded - x| (0 = unchanged, 1 = a different alloy altogether)."""
    units = grid_units(space)
    target = np.array([float(point.get(el, 0.0)) for el in space.elements])
    fractions = grid.astype(float) / units
    distance = np.linalg.norm(fractions - target, axis=1)
    for index in np.argsort(distance, kind="stable"):
        key = tuple(int(n) for n in grid[index])
        if key not in taken:
            moved = 0.5 * float(np.abs(fractions[index] - target).sum())
            return key, moved
    raise ValueError("every feasible grid point is already observed or pending")
