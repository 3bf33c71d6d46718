"""The data a round starts from: training labels, pending suggestions, and their hash.

The hash covers the content (canonical key, training outcome and its source of every
included alloy, plus the pending alloys), not row ids or timestamps, so equal data gives
an equal hash on any backend and a round can be checked for replay against it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.orm import Session

from alloyloop.db.campaigns import pending_suggestions
from alloyloop.db.records import SuggestionRecord
from alloyloop.db.resolver import training_frame
from alloyloop.db.suggestion_links import simulated_label_owners


@dataclass(frozen=True)
class Snapshot:
    labelled: pd.DataFrame
    """One row per alloy with a training label (see :func:`alloyloop.db.resolver.training_frame`)."""
    pending: list[SuggestionRecord]
    """The campaign's suggestions in the lab (queued or synthesized)."""
    data_hash: str
    """SHA-256 (hex) of the content above."""
    simulated_owner: Mapping[int, str] = field(default_factory=dict)
    """Label id -> campaign of the simulated (replayed) labels: each counts for its own
    campaign only (not hashed: a label's owner never changes)."""


def data_hash(labelled: pd.DataFrame, pending: Sequence[SuggestionRecord] = ()) -> str:
    """Content hash of training labels and pending alloys (order-independent)."""
    lines = sorted(f"L\t{k}\t{o}\t{s}" for k, o, s in
                   zip(labelled["key"], labelled["outcome"], labelled["source"]))
    lines += sorted(f"P\t{p.alloy_key}" for p in pending)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def take_snapshot(session: Session, campaign: str | None = None) -> Snapshot:
    """Read the training labels and (for a campaign) its pending suggestions, and hash them."""
    labelled = training_frame(session)
    pending = pending_suggestions(session, campaign) if campaign is not None else []
    return Snapshot(labelled=labelled, pending=pending, data_hash=data_hash(labelled, pending),
                    simulated_owner=simulated_label_owners(session))
