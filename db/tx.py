"""Write transactions that survive concurrent writers.

Every service function that writes runs its work through :func:`run_write`:

- On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (the write lock is taken
  before anything is read, so it cannot fail half-way), each connection waits up to its
  busy timeout for another writer, and if the database still reports "database is
  locked" the whole unit of work is rolled back and run again after a short backoff.
- On PostgreSQL, deadlocks and serialization failures are retried the same way; plain
  READ COMMITTED with row locks (``SELECT … FOR UPDATE``) does the rest.

The caller never sees a lock error unless the database stays busy for the whole retry
budget, and a failed attempt leaves nothing behind (it is rolled back).

Calls nest: a service function called from inside another one's unit of work joins that
transaction (the outer call commits, and retries the whole unit), so that a caller can
combine services atomically, e.g. a label and its audit-log entry (:mod:`alloyloop.db.audit`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransactionOrigin

from alloyloop.db.engine import WRITE_OPTION

T = TypeVar("T")

_IN_WRITE = "alloyloop_in_write"
"""``session.info`` key set while a :func:`run_write` unit of work runs (nested calls join it)."""

RETRY_ATTEMPTS = 8
RETRY_BASE_DELAY_S = 0.05
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected


def is_retryable(exc: BaseException) -> bool:
    """True for transient lock errors: SQLite busy/locked, PostgreSQL deadlock/serialization."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if "database is locked" in str(orig).lower() or "database table is locked" in str(orig).lower():
        return True
    return getattr(orig, "sqlstate", None) in _RETRYABLE_SQLSTATES


def run_write(
    session: Session,
    work: Callable[[], T],
    *,
    commit: bool = True,
    attempts: int = RETRY_ATTEMPTS,
) -> T:
    """Run ``work`` in a write transaction on ``session``, then commit (or roll back).

    Args:
        session: the session. If it is inside a transaction that its caller began
            explicitly (``with session.begin():``), ``work`` joins it and the caller
            commits (and owns any retry). A transaction the session began on its own
            for earlier reads is committed first, so that this call owns a fresh one.
        work: the unit of work; it may run more than once, so it must not have side
            effects outside the session.
        commit: False rolls the work back after running it (dry runs).
        attempts: how many times to try before a lock error is raised.

    Returns:
        What ``work`` returned on the attempt that committed.

    Raises:
        RuntimeError: a dry run (``commit=False``) inside another unit of work, which
            could not roll back its part alone.
    """
    if session.info.get(_IN_WRITE):
        # called from inside another unit of work: join it; the outer call commits, and
        # on a lock error rolls back and reruns everything, this part included
        if not commit:
            raise RuntimeError("a dry run (commit=False) cannot join an enclosing write: "
                               "run it outside the other unit of work")
        return work()
    current = session.get_transaction()
    if current is not None:
        if current.origin is not SessionTransactionOrigin.AUTOBEGIN:
            return work()
        # an implicit transaction from earlier reads: end it (keeping anything the
        # caller flushed), so the write can take the lock up front and be retried
        session.commit()
    for attempt in range(1, attempts + 1):
        try:
            session.connection(execution_options={WRITE_OPTION: True})
            session.info[_IN_WRITE] = True
            try:
                result = work()
            finally:
                session.info.pop(_IN_WRITE, None)
            if commit:
                session.commit()
            else:
                session.rollback()
            return result
        except BaseException as exc:
            session.rollback()
            if attempt == attempts or not is_retryable(exc):
                raise
            # jittered exponential backoff, so that retrying writers do not collide again
            time.sleep(RETRY_BASE_DELAY_S * 2 ** (attempt - 1) * (1 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover
