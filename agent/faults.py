"""Crash points for the crash-safety tests: kill this process at a chosen step of a round.

A round flow calls :func:`kill_point` at a few places where a real crash (power loss, OOM
killer, ``kill -9``) would hurt most. Nothing happens unless the environment variable
``ALLOYLOOP_TEST_KILL_AT`` names that place; then the process sends itself ``SIGKILL``,
so no ``finally`` block, Prefect state hook or database rollback runs: exactly what a hard
crash leaves behind. The variable is meant for tests only (``tests/agent/flows/test_kill_rounds.py``);
never set it in production.

Points (in the order a round reaches them):

- ``fit``: the DVAE is trained and its checkpoint written, but ``fit.json`` (which marks
  the checkpoint as complete) is not;
- ``acquisition``: the batch is composed and its notes written, no suggestion stored yet;
- ``persist``: the suggestions are inserted (flushed) inside their transaction, not committed;
- ``report``: the report files are written, not yet linked from the round.
"""

from __future__ import annotations

import os
import signal

ENV = "ALLOYLOOP_TEST_KILL_AT"
POINTS = ("fit", "acquisition", "persist", "report")


def armed(point: str) -> bool:
    """True if ``ALLOYLOOP_TEST_KILL_AT`` asks for a kill at ``point``.

    Raises:
        ValueError: the variable names no known point (a typo would otherwise make a
            crash test pass without any crash).
    """
    wanted = os.environ.get(ENV)
    if not wanted:
        return False
    if wanted not in POINTS:
        raise ValueError(f"{ENV}={wanted!r} is not a kill point: use one of {', '.join(POINTS)} "
                         f"(or unset it)")
    return wanted == point


def kill_point(point: str) -> None:
    """SIGKILL this process here if ``ALLOYLOOP_TEST_KILL_AT`` equals ``point`` (else nothing)."""
    if point not in POINTS:
        raise ValueError(f"unknown kill point {point!r}: add it to agent.faults.POINTS")
    if armed(point):
        os.kill(os.getpid(), signal.SIGKILL)
