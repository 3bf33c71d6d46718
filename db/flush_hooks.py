"""A callback when a flush writes suggestion events: the crash tests' ``persist`` point.

The loop's crash tests (``ALLOYLOOP_TEST_KILL_AT=persist``) kill the process once a batch's
rows are flushed inside their transaction, before it commits. Hooking the ORM's flush is
the store's business, so the agent names the moment and this module listens for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from alloyloop.db.models import SuggestionEvent


def on_suggestion_events_flushed(session: Session, callback: Callable[[], None]) -> None:
    """Call ``callback()`` after each flush of ``session`` that inserts a suggestion event."""

    def after_flush(sess: Session, _context: Any) -> None:
        if any(isinstance(obj, SuggestionEvent) for obj in sess.new):
            callback()

    event.listen(session, "after_flush", after_flush)
