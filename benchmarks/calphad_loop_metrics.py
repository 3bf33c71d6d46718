"""Scoring of the CALPHAD closed loop (:mod:`benchmarks.calphad_loop`): hits, distinct
compositions and each hit's distance from the nearest training alloy.

Distances are in at.% over the model palette's columns (the training alloys may hold Fe):
``max-abs`` = the largest per-element difference (L∞), ``L1/2`` = half the L1 distance
(the total-variation distance of :func:`alloyloop.agent.novelty.nearest_known`: the share
of atoms that must move). L1/2 ≥ max-abs for any two compositions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

FAR_AT_PCT = 10.0
"""A hit is *far* when it lies farther than this (at.%) from every training alloy."""


def training_alloys(session, spec) -> tuple[np.ndarray, tuple[str, ...], list[str]]:
    """``(X (m, E_model), elements, keys)``: the labelled alloys a campaign trains on
    before its first round (every labelled alloy of the model palette but the CALPHAD
    labels, which only the loop makes), also when asked after some rounds."""
    import dataclasses

    from alloyloop.agent.training_data import round_data
    from alloyloop.db.snapshot import take_snapshot

    snap = take_snapshot(session, spec.name)
    snap = dataclasses.replace(snap, labelled=snap.labelled[snap.labelled["source"] != "calphad"])
    data = round_data(snap, spec.model.palette, spec.name,
                      seed=0, val_fraction=0.0, use_unlabelled=False)
    return data.X, tuple(data.elements), list(data.keys)


def nearest_distances(x: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(max_abs (n,), half_l1 (n,))`` in at.% from each row of ``x`` to its nearest row of
    ``train`` (each metric's own nearest row)."""
    x = np.asarray(x, dtype=np.float64)
    train = np.asarray(train, dtype=np.float64)
    if x.ndim != 2 or train.ndim != 2 or x.shape[1] != train.shape[1]:
        raise ValueError(f"shapes {x.shape} and {train.shape}: give (n, E) and (m, E) fractions "
                         "over the same columns")
    if len(train) == 0:
        raise ValueError("no training alloy to measure distances from")
    diff = np.abs(x[:, None, :] - train[None, :, :])
    max_abs = 100 * diff.max(axis=2).min(axis=1)
    half_l1 = 100 * 0.5 * diff.sum(axis=2).min(axis=1)
    # rounded to 1e-6 at.%: on a 5 at.% grid 0.4 - 0.3 is 10.000000000000004 at.%, which a
    # "farther than 10 at.%" test would count as far
    return np.round(max_abs, 6), np.round(half_l1, 6)


@dataclass(frozen=True)
class SuggestionScore:
    """One suggestion of a campaign and what pycalphad said of it."""

    round: int
    key: str
    strategy: str
    filled_for: str | None
    """The strategy whose shortfall greedy screening filled with this one (None: its own)."""
    outcome: str | None
    """``single`` / ``multi``, or None where pycalphad gave no label (the reason in ``note``)."""
    max_abs: float
    half_l1: float
    note: str | None = None


def score_campaign(session, name: str, train: np.ndarray, elements: tuple[str, ...]
                   ) -> list[SuggestionScore]:
    """Every suggestion of campaign ``name``, in round order, with its CALPHAD label and
    its distances from the nearest of the ``train`` alloys."""
    from alloyloop.db.campaigns import list_suggestions, rounds
    from alloyloop.db.current_labels import suggestion_labels
    from alloyloop.featurize.composition import parse_composition

    index = {r.id: r.index for r in rounds(session, name)}
    found = list_suggestions(session, campaign=name)
    answers = suggestion_labels(session, found)  # the current label: corrections count
    out = []
    for s in sorted(found, key=lambda s: (index[s.round_id], s.id)):
        fractions = parse_composition(s.alloy_key).fractions
        unknown = set(fractions) - set(elements)
        if unknown:
            raise ValueError(f"suggestion {s.alloy_key} holds {sorted(unknown)}, outside the "
                             f"model palette {elements}")
        row = np.array([[fractions.get(el, 0.0) for el in elements]])
        max_abs, half_l1 = nearest_distances(row, train)
        outcome = answers[s.id].outcome if s.id in answers else None
        out.append(SuggestionScore(index[s.round_id], s.alloy_key, s.strategy,
                                   s.extra.get("filled_for"), outcome, float(max_abs[0]),
                                   float(half_l1[0]), None if outcome else s.status))
    return out


def summary(scores: list[SuggestionScore], far: float = FAR_AT_PCT) -> dict[str, Any]:
    """A campaign's figures: suggestions, own (not filled), distinct, labelled, hits, far
    hits under both metrics, median hit distance, element systems of the hits."""
    hits = [s for s in scores if s.outcome == "single"]
    systems = {"-".join(sorted(k for k in _elements(s.key))) for s in hits}
    return {
        "suggestions": len(scores),
        "filled": sum(s.filled_for is not None for s in scores),
        "distinct": len({s.key for s in scores}),
        "labelled": sum(s.outcome is not None for s in scores),
        "hits": len(hits),
        "far_hits_max_abs": sum(s.max_abs > far for s in hits),
        "far_hits_half_l1": sum(s.half_l1 > far for s in hits),
        "median_hit_max_abs": float(np.median([s.max_abs for s in hits])) if hits else None,
        "median_hit_half_l1": float(np.median([s.half_l1 for s in hits])) if hits else None,
        "hit_systems": sorted(systems),
        "suggested_max_abs_mean": float(np.mean([s.max_abs for s in scores])) if scores else None,
    }


def _elements(key: str) -> list[str]:
    from alloyloop.featurize.composition import parse_composition

    return list(parse_composition(key).fractions)


def to_dicts(scores: list[SuggestionScore]) -> list[dict[str, Any]]:
    return [asdict(s) for s in scores]
