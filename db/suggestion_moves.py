"""The one primitive that changes a suggestion's status: check the move, write its event.

Both the lifecycle services (:mod:`alloyloop.db.lifecycle`, a person or the loop moving a
suggestion) and the store's label linking (:mod:`alloyloop.db.suggestion_links`, a label
closing the suggestions of its alloy) move suggestions through :func:`move`, so the rules
of the status machine (:mod:`alloyloop.db.status`) hold whatever moved it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from alloyloop.db.errors import IllegalTransition, InvalidValue
from alloyloop.db.models import Label, Suggestion, SuggestionEvent
from alloyloop.db.status import TRANSITIONS, SuggestionStatus, allowed_next
from alloyloop.db.types import utcnow
from alloyloop.db.vocab import Source


def move(session: Session, row: Suggestion, to: SuggestionStatus, *, by: str | None,
         note: str | None, label_id: int | None = None) -> None:
    """Move ``row`` (locked by the caller) to ``to`` and record a SuggestionEvent.

    Raises:
        IllegalTransition: the machine does not allow the move.
        InvalidValue: ``labelled`` without a label of the suggested alloy, or with an
            experiment label on a suggestion that was never marked synthesized (an
            experiment label means the alloy was made: record that first).
    """
    current = SuggestionStatus(row.status)
    if to not in TRANSITIONS[current]:
        raise IllegalTransition(row.id, current.value, to.value, [s.value for s in allowed_next(current)])
    if to is SuggestionStatus.LABELLED:
        _check_label(session, row, current, label_id)
        row.label_id = label_id
    now = utcnow()
    row.status = to.value
    row.updated_at = now
    session.add(SuggestionEvent(suggestion_id=row.id, from_status=current.value, to_status=to.value,
                                at=now, by=by, note=note))
    session.flush()


def _check_label(session: Session, row: Suggestion, current: SuggestionStatus, label_id: int | None) -> None:
    if label_id is None:
        raise InvalidValue(
            "label_id", None,
            fix="a labelled suggestion cites its label: pass label_id, or use label_suggestion()",
        )
    label = session.get(Label, label_id)
    if label is None or label.alloy_id != row.alloy_id:
        raise InvalidValue("label_id", label_id,
                           fix=f"give the id of a label of the suggested alloy (alloy {row.alloy_id})")
    if label.source == Source.EXPERIMENT.value and current is not SuggestionStatus.SYNTHESIZED:
        raise InvalidValue(
            "label_id", label_id,
            fix=f"label {label_id} is an experiment label, so the alloy was made: mark suggestion "
                f"{row.id} synthesized first, or enter the label for the suggestion (which records it)",
        )
