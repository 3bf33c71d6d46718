"""Composition dicts <-> fraction matrices over an ordered element list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from alloyloop.featurize.composition import canonical_key


def fraction_matrix(fractions: Iterable[Mapping[str, float]], elements: Sequence[str]
                    ) -> np.ndarray:
    """Stack composition dicts into an ``(n, E)`` float64 matrix over ``elements``.

    Raises:
        KeyError: a composition has an element outside ``elements``.
    """
    pos = {el: i for i, el in enumerate(elements)}
    rows = list(fractions)
    out = np.zeros((len(rows), len(elements)), dtype=np.float64)
    for r, comp in enumerate(rows):
        for el, x in comp.items():
            try:
                out[r, pos[el]] = x
            except KeyError:
                raise KeyError(
                    f"row {r}: element {el} is outside the columns "
                    f"({', '.join(elements)}): widen the element list or drop the row"
                ) from None
    return out


def elements_in(fractions: Iterable[Mapping[str, float]]) -> tuple[str, ...]:
    """Sorted union of the elements used by a set of compositions."""
    seen: set[str] = set()
    for comp in fractions:
        seen.update(comp)
    return tuple(sorted(seen))


def matrix_keys(x: np.ndarray, elements: Sequence[str]) -> list[str]:
    """Canonical keys of the rows of an ``(n, E)`` fraction matrix."""
    return [canonical_key({el: v for el, v in zip(elements, row) if v > 0}) for row in x]
