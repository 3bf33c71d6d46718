"""Progress of long steps, reported to whoever is listening (the CLI's rich progress bar).

A flow cannot take a callback as a parameter (Prefect stores parameters as JSON), so the
listener travels in a context variable: the CLI sets one for the duration of a command
with :func:`listening`, and flow code calls :func:`step`. Without a listener, ``step`` does
nothing. Prefect runs a sync flow's tasks in the calling thread, so the variable reaches
them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Listener = Callable[[str, str], None]
"""``listener(scope, message)``: e.g. ``("round 2", "fitting the DVAE")``."""

_LISTENER: ContextVar[Listener | None] = ContextVar("alloyloop_progress", default=None)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send :func:`step` messages to ``listener`` inside the block."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def step(scope: str, message: str) -> None:
    """Announce that ``scope`` starts ``message`` (no-op without a listener)."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(scope, message)
