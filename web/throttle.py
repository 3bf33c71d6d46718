"""Login back-off: after a few failed logins, an account and an address must wait.

Counted per account name and per client address, each on its own: a guesser spreading
attempts over many names is slowed by its address, many addresses guessing one name by
the name. The first ``FREE_FAILURES`` failures within ``WINDOW`` cost nothing; then the
next attempt must wait ``BASE_DELAY * 2 ** (failures - FREE_FAILURES)`` seconds after the
last failure (30 s, 60 s, 120 s …, at most ``MAX_DELAY``); attempts refused meanwhile are
not checked at all. A successful login clears the account's count (not the address's:
one right password must not unlock guessing other names).

Kept in the process's memory (one uvicorn worker, as ``alloyloop serve`` runs): a restart
forgets it; the audit log keeps every failed login regardless.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

FREE_FAILURES = 5
BASE_DELAY = 30.0
WINDOW = 15 * 60.0
MAX_DELAY = 15 * 60.0
MAX_KEYS = 50_000
"""Entries kept at most (oldest dropped): a flood of names cannot fill the memory."""


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


@dataclass
class LoginThrottle:
    """Failed-login counts by account and by address, and the wait they impose."""

    clock: Callable[[], float] = time.monotonic
    _seen: dict[tuple[str, str], _Failures] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, name: str, address: str) -> float:
        """Seconds until this account or address may try again (0: now)."""
        now = self.clock()
        with self._lock:
            return max(self._wait(("name", name.strip().lower()), now), self._wait(("addr", address), now))

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (("name", name.strip().lower()), ("addr", address)):
                entry = self._seen.pop(key, None) or _Failures()
                if now - entry.last > WINDOW:
                    entry = _Failures()
                entry.count, entry.last = entry.count + 1, now
                self._seen[key] = entry  # re-inserted last: the dict stays ordered by age
            while len(self._seen) > MAX_KEYS:
                self._seen.pop(next(iter(self._seen)))

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._seen.pop(("name", name.strip().lower()), None)

    def _wait(self, key: tuple[str, str], now: float) -> float:
        entry = self._seen.get(key)
        if entry is None or now - entry.last > WINDOW or entry.count < FREE_FAILURES:
            return 0.0
        delay = min(BASE_DELAY * 2.0 ** (entry.count - FREE_FAILURES), MAX_DELAY)
        return max(0.0, entry.last + delay - now)


def too_many(seconds: float) -> str:
    """The message for a login refused by the back-off."""
    return (f"too many failed logins for this account or from this address: wait {max(1, round(seconds))} s "
            "and try again (ask an admin to reset the password if it is lost: alloyloop user passwd)")
