"""Equilibria kept on disk, so a repeated study or campaign pays for each calculation once.

A pycalphad equilibrium of the same database, composition, temperature and criterion
always gives the same phase fractions, and costs seconds (minutes for a new element
system of a large database). :class:`EquilibriumCache` is one SQLite file holding one row
per (database SHA-256, canonical composition key, temperature, criterion): the phase
fractions and the seconds the calculation took. The criterion names what the fractions
are read for (the single-phase threshold and the pressure), so changing it, the
temperature or a byte of the database misses.

Several processes may share the file (two studies, the labeler's callers): the database
runs in WAL mode with a busy timeout, and a row is written with ``INSERT OR IGNORE`` in
its own transaction, so concurrent writers of the same key keep the first row and no
writer's other rows are lost. A calculation pycalphad could not do (its solver did not
converge, it raised) is stored with its reason, since it fails again on the same input;
one stopped by the time limit or by a dying worker is not: that depends on the machine's
load, not on the alloy.

The CALPHAD labeler uses the file that ``$ALLOYLOOP_CALPHAD_CACHE`` names (none if unset);
``python -m benchmarks.discovery`` sets it beside its store.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from alloyloop.agent.calphad.phases import PhaseAmount
from alloyloop.featurize.composition import canonical_key

ENV_VAR = "ALLOYLOOP_CALPHAD_CACHE"
BUSY_TIMEOUT_MS = 60_000
SCHEMA = """
CREATE TABLE IF NOT EXISTS equilibria (
    database_sha256 TEXT NOT NULL,
    composition TEXT NOT NULL,
    temperature REAL NOT NULL,
    criterion TEXT NOT NULL,
    phases TEXT NOT NULL,
    error TEXT,
    seconds REAL,
    created REAL NOT NULL,
    PRIMARY KEY (database_sha256, composition, temperature, criterion)
)
"""


@dataclass(frozen=True)
class CachedEquilibrium:
    """A stored equilibrium: its phases, or ``error`` (why pycalphad gave none)."""

    phases: tuple[PhaseAmount, ...]
    error: str | None
    seconds: float | None


def criterion(threshold: float, pressure: float) -> str:
    """The criterion part of a key: what the fractions are read for."""
    return f"single>={threshold:g};P={pressure:g}Pa"


def composition_key(fractions: Mapping[str, float]) -> str:
    """The canonical key of the alloy (elements sorted, fractions normalised, zeros dropped)."""
    present = {el: float(x) for el, x in fractions.items() if x > 0}
    if not present:
        raise ValueError(f"composition {dict(fractions)!r} has no element with a positive "
                         "fraction: give at least one")
    return canonical_key(present)


class EquilibriumCache:
    """Phase fractions of computed equilibria in one SQLite file (module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(SCHEMA)
            columns = {r[1] for r in conn.execute("PRAGMA table_info(equilibria)")}
            if "error" not in columns:  # a file written before failures were kept
                conn.execute("ALTER TABLE equilibria ADD COLUMN error TEXT")
            conn.commit()

    @classmethod
    def from_env(cls) -> EquilibriumCache | None:
        """The cache ``$ALLOYLOOP_CALPHAD_CACHE`` names, or None when it is unset or empty."""
        path = os.environ.get(ENV_VAR, "").strip()
        return cls(path) if path else None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return conn

    @staticmethod
    def _key(sha256: str, fractions: Mapping[str, float], temperature: float,
             criterion_text: str) -> tuple[str, str, float, str]:
        return (sha256, composition_key(fractions), round(float(temperature), 6), criterion_text)

    def get(self, sha256: str, fractions: Mapping[str, float], temperature: float,
            criterion_text: str) -> CachedEquilibrium | None:
        """The stored equilibrium (its phases, or the reason pycalphad gave none), or None
        if it was never computed."""
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT phases, error, seconds FROM equilibria WHERE database_sha256=? AND "
                "composition=? AND temperature=? AND criterion=?",
                self._key(sha256, fractions, temperature, criterion_text)).fetchone()
        if row is None:
            return None
        phases = tuple(PhaseAmount(n, f) for n, f in json.loads(row[0]))
        return CachedEquilibrium(phases, row[1], row[2])

    def put(self, sha256: str, fractions: Mapping[str, float], temperature: float,
            criterion_text: str, phases: tuple[PhaseAmount, ...] | list[PhaseAmount],
            seconds: float | None, error: str | None = None) -> bool:
        """Store one equilibrium: its phases, or (``error``) why pycalphad gave none; False
        if the key was there already (the first row stays)."""
        if not phases and not error:
            raise ValueError("no phase to store: store only equilibria that gave phases, or "
                             "give the error pycalphad raised")
        payload = json.dumps([[p.name, p.fraction] for p in phases])
        with closing(self._connect()) as conn, conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO equilibria (database_sha256, composition, temperature, "
                "criterion, phases, error, seconds, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*self._key(sha256, fractions, temperature, criterion_text), payload,
                 None if phases else error, seconds, time.time()))
            return cur.rowcount == 1

    def __len__(self) -> int:
        with closing(self._connect()) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM equilibria").fetchone()[0])
