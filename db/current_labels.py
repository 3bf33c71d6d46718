"""A suggestion's answer is its label's *current* version: corrections count everywhere.

A labelled suggestion keeps the id of the label that closed it (``Suggestion.label_id``);
a correction never edits that label but supersedes it (``Label.superseded_by``), maybe
several times. Every figure about suggestions — a round's hits in ``campaign status``, the
dashboard, the round report, replay and benchmark metrics, the web label search's campaign
filter — reads the answer through :func:`suggestion_labels`, which follows the chain to
its newest label at read time (so stores written before this rule read right too).

A correction to another alloy (the sample was not the suggested alloy) leaves the
suggestion without an answer: it is no hit and no miss.

If the alloy has several current labels (a conflict), the suggestion still shows its own
chain's current label: the label entered for it, as corrected; the conflict stays
flagged on the alloy (``Alloy.has_conflict``) and the training label follows
:mod:`alloyloop.db.resolver`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from alloyloop.db.models import Alloy, Label
from alloyloop.db.records import LabelRecord

_CHUNK = 900


class Linked(Protocol):
    """Anything with a suggestion's ``id``, ``alloy_id`` and ``label_id`` (a record or a row)."""

    id: int
    alloy_id: int
    label_id: int | None


def label_chains(session: Session, label_ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    """Label id → its correction chain, from that label to the newest (current) one."""
    start = sorted({int(i) for i in label_ids})
    nxt: dict[int, int | None] = {}
    todo = start
    while todo:
        for i in range(0, len(todo), _CHUNK):
            nxt.update(session.execute(select(Label.id, Label.superseded_by)
                                       .where(Label.id.in_(todo[i:i + _CHUNK]))).tuples().all())
        todo = sorted({n for n in nxt.values() if n is not None and n not in nxt})
    chains = {}
    for first in start:
        if first not in nxt:
            continue
        chain = [first]
        while nxt.get(chain[-1]) is not None and len(chain) <= len(nxt):
            chain.append(nxt[chain[-1]])  # type: ignore[arg-type]
        chains[first] = tuple(chain)
    return chains


def suggestion_labels(session: Session, suggestions: Iterable[Linked]) -> dict[int, LabelRecord]:
    """Suggestion id → the current label of the label that closed it (its newest
    correction); suggestions without a label are left out, and so are those whose label
    was corrected to another alloy (the measurement was not of the suggested alloy)."""
    suggestions = list(suggestions)
    alloy = {s.id: s.alloy_id for s in suggestions}
    linked = {s.id: int(s.label_id) for s in suggestions if s.label_id is not None}
    chains = label_chains(session, linked.values())
    newest = sorted({c[-1] for c in chains.values()})
    rows: dict[int, LabelRecord] = {}
    for i in range(0, len(newest), _CHUNK):
        stmt = (select(Label, Alloy.key).join(Alloy, Alloy.id == Label.alloy_id)
                .where(Label.id.in_(newest[i:i + _CHUNK])))
        rows.update({lb.id: LabelRecord.from_row(lb, alloy_key=key) for lb, key in session.execute(stmt).tuples()})
    current = {sid: rows[chains[lid][-1]] for sid, lid in linked.items() if lid in chains}
    return {sid: label for sid, label in current.items() if label.alloy_id == alloy[sid]}
