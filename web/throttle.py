"""Login back-off: after a few failed logins, a person at one address must wait.

Counted per (account name, client address): one person's typos lock out only that person
at that address, not everyone behind the same proxy or at the same shared PC, and not the
same account used from the office next door. Two ceilings sit above the pairs, each
counted over all of its attempts:

- per account (``ACCOUNT_FREE`` failures from any address): an attacker spraying one
  account from many addresses still meets the back-off;
- per address (``ADDRESS_FREE`` failures for any account): one address guessing many
  names does too. It is high, so that a proxy's users' ordinary typos never reach it.

For each counter the first ``free`` failures within ``WINDOW`` cost nothing; then the next
attempt must wait ``BASE_DELAY * 2 ** (failures - free)`` seconds after the last failure
(30 s, 60 s, 120 s …, at most ``MAX_DELAY``); attempts refused meanwhile are not checked at
all. A successful login clears its own pair only: the account's and the address's totals
run out with the window, so a right password does not reset an attack's ceiling.

Kept in the process's memory (one uvicorn worker, as ``alloyloop serve`` runs): a restart
forgets it; the audit log keeps every failed login regardless.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

FREE_FAILURES = 5
"""Failures of one account from one address before the back-off starts."""
ACCOUNT_FREE = 20
"""Failures of one account from all addresses together before every address waits."""
ADDRESS_FREE = 100
"""Failures from one address for all accounts together before that address waits."""
BASE_DELAY = 30.0
WINDOW = 15 * 60.0
MAX_DELAY = 15 * 60.0
MAX_KEYS = 50_000
"""Entries kept at most (oldest dropped): a flood of names cannot fill the memory."""

Key = tuple[str, ...]


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


def _keys(name: str, address: str) -> tuple[tuple[Key, int], ...]:
    """The counters an attempt touches, with the failures each lets through free."""
    account = name.strip().lower()
    return ((("pair", account, address), FREE_FAILURES), (("name", account), ACCOUNT_FREE),
            (("addr", address), ADDRESS_FREE))


@dataclass
class LoginThrottle:
    """Failed-login counts per (account, address), per account and per address, and the
    wait they impose."""

    clock: Callable[[], float] = time.monotonic
    _seen: dict[Key, _Failures] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, name: str, address: str) -> float:
        """Seconds until this account may try again from this address (0: now)."""
        now = self.clock()
        with self._lock:
            return max(self._wait(key, free, now) for key, free in _keys(name, address))

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key, _ in _keys(name, address):
                entry = self._seen.pop(key, None) or _Failures()
                if now - entry.last > WINDOW:
                    entry = _Failures()
                entry.count, entry.last = entry.count + 1, now
                self._seen[key] = entry  # re-inserted last: the dict stays ordered by age
            while len(self._seen) > MAX_KEYS:
                self._seen.pop(next(iter(self._seen)))

    def succeeded(self, name: str, address: str) -> None:
        """Clear the pair's count (the account's and address's totals stay)."""
        with self._lock:
            self._seen.pop(_keys(name, address)[0][0], None)

    def _wait(self, key: Key, free: int, now: float) -> float:
        entry = self._seen.get(key)
        if entry is None or now - entry.last > WINDOW or entry.count < free:
            return 0.0
        delay = min(BASE_DELAY * 2.0 ** (entry.count - free), MAX_DELAY)
        return max(0.0, entry.last + delay - now)


def too_many(seconds: float) -> str:
    """The message for a login refused by the back-off."""
    return (f"too many failed logins for this account: wait {max(1, round(seconds))} s "
            "and try again (ask an admin to reset the password if it is lost: alloyloop user passwd)")
