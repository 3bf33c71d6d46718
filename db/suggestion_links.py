"""Labels find their suggestions: a label stored for an alloy closes its open suggestions.

:func:`alloyloop.db.labels.insert_labels` calls :func:`close_open_suggestions` in the same
transaction, so every route that stores a label (CLI ``label add``, CSV import, web form,
JSON API, XRD page, CALPHAD import, the labelers, a correction) closes the suggestions
waiting for that alloy; no route has to remember to.

Rules:

- **Which suggestions**: every suggestion of the alloy in an :data:`~alloyloop.db.status.OPEN`
  status (suggested, queued, synthesized, failed), in **every campaign**: one alloy made
  answers every campaign that asked for it, and each campaign's hits count it. Stale and
  abandoned suggestions stay as they are (nobody is waiting for them).
- **Simulated labels** (a replay oracle's, external id ``replay/CAMPAIGN/…``) close the
  suggestions of their own campaign only: other campaigns ignore simulated labels they
  did not make (:mod:`alloyloop.agent.labelers.replay`).
- **The moves**: an experiment label means the alloy was made: the suggestion first takes
  the moves :data:`~alloyloop.db.status.MADE` lists (to ``synthesized``), each citing the
  label; a calphad or literature label was computed or copied, so the suggestion goes
  straight to ``labelled`` and no ``synthesized`` is recorded. Every event names the
  label that closed it, its source, method and outcome, and how it was entered when the
  route says so (:func:`entered_as`).
- Several labels of one alloy stored at once: the last of them closes the suggestion.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from alloyloop.db.models import Campaign, Label, Round, Suggestion
from alloyloop.db.status import MADE, OPEN, SuggestionStatus
from alloyloop.db.suggestion_moves import move
from alloyloop.db.vocab import Source

SIMULATED_PREFIX = "replay/"
"""External ids of simulated (replayed) labels: ``replay/CAMPAIGN/SUGGESTION_ID``."""

_HOW = "alloyloop_label_route"
_CHUNK = 900


def simulated_for(external_id: str | None) -> str | None:
    """The campaign a simulated (replayed) label was made for; None for a real label."""
    if not external_id or not external_id.startswith(SIMULATED_PREFIX):
        return None
    return external_id[len(SIMULATED_PREFIX):].rsplit("/", 1)[0]


def simulated_label_owners(session: Session) -> dict[int, str]:
    """Label id -> campaign of every simulated (replayed) label in the store: a campaign
    trains on its own simulated labels only (:func:`alloyloop.agent.training_data.campaign_labels`)."""
    rows = session.execute(select(Label.id, Label.external_id)
                           .where(Label.external_id.like(f"{SIMULATED_PREFIX}%"))).tuples()
    return {label_id: owner for label_id, ext in rows if (owner := simulated_for(ext)) is not None}


@contextmanager
def entered_as(session: Session, how: str) -> Iterator[None]:
    """Name the route of the labels stored inside the block (``entered for suggestion #4``,
    ``imported from runs.csv``), for the notes of the suggestion events they cause."""
    before = session.info.get(_HOW)
    session.info[_HOW] = how
    try:
        yield
    finally:
        if before is None:
            session.info.pop(_HOW, None)
        else:
            session.info[_HOW] = before


def close_open_suggestions(session: Session, labels: Sequence[Label]) -> list[int]:
    """Close the open suggestions of the alloys of ``labels`` (flushed rows, inside the
    caller's transaction); returns the ids of the suggestions closed."""
    by_alloy: dict[int, list[Label]] = {}
    for label in labels:
        by_alloy.setdefault(label.alloy_id, []).append(label)
    ids = sorted(by_alloy)
    found: list[tuple[Suggestion, str]] = []
    for start in range(0, len(ids), _CHUNK):
        found += session.execute(
            select(Suggestion, Campaign.name).join(Round, Round.id == Suggestion.round_id)
            .join(Campaign, Campaign.id == Round.campaign_id)
            .where(Suggestion.alloy_id.in_(ids[start:start + _CHUNK]),
                   Suggestion.status.in_(sorted(s.value for s in OPEN)))
            .order_by(Suggestion.id).with_for_update(of=Suggestion)
            .execution_options(populate_existing=True)).tuples().all()  # fresh rows, not cached ones
    closed = []
    for row, campaign in sorted(found, key=lambda pair: pair[0].id):  # one lock order for every writer
        answers = [lb for lb in by_alloy[row.alloy_id] if simulated_for(lb.external_id) in (None, campaign)]
        if answers:
            _close(session, row, answers[-1])
            closed.append(row.id)
    return closed


def _close(session: Session, row: Suggestion, label: Label) -> None:
    how = session.info.get(_HOW)
    phases = f" {'+'.join(label.phases)}" if label.phases else ""
    what = f"label #{label.id} ({label.source}, {label.method}: {label.outcome}{phases})"
    if how:
        what += f", {how}"
    if label.source == Source.EXPERIMENT.value:
        for step in MADE[SuggestionStatus(row.status)]:
            move(session, row, step, by=label.entered_by,
                 note=f"implied by {what}: an experiment label, so the alloy was made")
        note = f"closed by {what}"
    else:
        note = f"closed by {what}: {label.source}, not made in the lab"
    move(session, row, SuggestionStatus.LABELLED, by=label.entered_by, note=note, label_id=label.id)


def closed_by(session: Session, label_id: int) -> list[tuple[str, int, int]]:
    """The suggestions label ``label_id`` closed, as ``(campaign, round index, suggestion id)``
    (for the CLI to say what a label answered)."""
    rows = session.execute(
        select(Campaign.name, Round.index, Suggestion.id)
        .join(Round, Round.id == Suggestion.round_id).join(Campaign, Campaign.id == Round.campaign_id)
        .where(Suggestion.label_id == label_id).order_by(Campaign.name, Suggestion.id)).tuples()
    return [(name, int(index), int(sid)) for name, index, sid in rows]
