"""Worker processes for pycalphad equilibria, with a hard time limit per calculation.

Why processes: pycalphad's solver holds the GIL, so threads would not run calculations in
parallel, and a thread cannot be stopped when a calculation hangs. Each worker is a
``spawn``-ed process that imports pycalphad and loads the database once, then computes
one equilibrium per request and keeps its compiled models (see
:class:`alloyloop.agent.calphad.equilibrium.Calculator`). A calculation that runs past the limit
is stopped by killing its worker; the next request on that slot starts a fresh one.

:meth:`EquilibriumPool.calculate` is thread-safe: callers (threads, Prefect tasks) wait
for an idle worker, so at most ``workers`` calculations run at once. The time limit
counts from the moment a request reaches an idle worker: waiting for a worker and a
worker's start (import + database load, bounded by ``startup_timeout_s``) do not count;
compiling the models of an element system the worker has not seen yet does.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from alloyloop.agent.calphad.phases import PhaseAmount

STARTUP_TIMEOUT_S = 300.0


class PoolError(RuntimeError):
    """A worker could not start (bad database, pycalphad missing): nothing can be computed."""


@dataclass(frozen=True)
class CalcResult:
    """One calculation: the phases, or why there are none.

    Attributes:
        amounts: phases and mole fractions (empty when ``error`` is set).
        error: why the calculation gave nothing (timeout, pycalphad error, worker died).
        seconds: wall time of the calculation in the worker (None if it never answered).
        timed_out: the time limit stopped it.
    """

    amounts: tuple[PhaseAmount, ...] = ()
    error: str | None = None
    seconds: float | None = None
    timed_out: bool = False
    cached: bool = False
    """Read from the equilibrium cache (:mod:`alloyloop.agent.calphad.cache`), not computed now."""

    @property
    def ok(self) -> bool:
        return self.error is None


def _serve(conn: Connection, tdb_path: str) -> None:
    """Worker main loop: load the database, then answer (fractions, T, P) requests."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core per worker
    try:
        from alloyloop.agent.calphad.equilibrium import Calculator, EquilibriumFailed

        calc = Calculator(tdb_path)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which decides
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", calc.version))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        fractions, temperature, pressure = request
        started = time.perf_counter()
        try:
            amounts = calc.phase_amounts(fractions, temperature, pressure)
            conn.send(("ok", [(a.name, a.fraction) for a in amounts], time.perf_counter() - started))
        except EquilibriumFailed as exc:  # pycalphad ran but gave no usable result
            conn.send(("error", str(exc), time.perf_counter() - started))
        except Exception as exc:  # noqa: BLE001 - one failed calculation, the worker goes on
            last = traceback.extract_tb(exc.__traceback__)[-1:]
            where = f" in {last[0].name}" if last else ""
            conn.send(("error", f"pycalphad raised {type(exc).__name__}{where}: {exc}",
                       time.perf_counter() - started))


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, tdb_path: Path, startup_timeout_s: float) -> None:
        ctx = mp.get_context("spawn")  # a clean interpreter: no inherited threads or locks
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, str(tdb_path)), daemon=True,
                                   name="alloyloop-calphad")
        self.process.start()
        child.close()
        if not self.conn.poll(startup_timeout_s):
            self.kill()
            raise PoolError(f"a pycalphad worker did not load {tdb_path.name} within "
                            f"{startup_timeout_s:g} s: raise the startup limit or check the machine's load")
        try:
            message = self.conn.recv()
        except EOFError:
            code = self.process.exitcode
            self.kill()
            raise PoolError(f"a pycalphad worker exited while loading {tdb_path.name} "
                            f"(exit code {code})") from None
        if message[0] != "ready":
            self.kill()
            raise PoolError(f"pycalphad cannot load {tdb_path}: {message[1]}; check that it is "
                            "a valid TDB file")
        self.version: str = message[1]

    def run(self, request: tuple[Any, ...], timeout_s: float) -> CalcResult:
        """Send one request and wait at most ``timeout_s`` for the answer."""
        try:
            self.conn.send(request)
            if not self.conn.poll(timeout_s):
                self.kill()
                return CalcResult(error=f"timed out after {timeout_s:g} s (per-calculation limit)",
                                  timed_out=True)
            message = self.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            code = self.process.exitcode
            self.kill()
            return CalcResult(error=f"the pycalphad worker died (exit code {code})")
        if message[0] == "ok":
            return CalcResult(amounts=tuple(PhaseAmount(n, f) for n, f in message[1]),
                              seconds=message[2])
        return CalcResult(error=message[1], seconds=message[2])

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def stop(self) -> None:
        """Ask the worker to leave, then make sure it has."""
        try:
            self.conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        self.process.join(5)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class EquilibriumPool:
    """Up to ``workers`` pycalphad worker processes for one database (module docstring).

    Use it as a context manager (workers are stopped on exit), or call :meth:`close`.
    """

    def __init__(self, tdb_path: str | Path, *, workers: int = 1, timeout_s: float = 120.0,
                 startup_timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        if workers < 1:
            raise ValueError(f"workers={workers}: give at least 1")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s={timeout_s}: give a positive number of seconds")
        self.tdb_path = Path(tdb_path)
        self.workers = workers
        self.timeout_s = float(timeout_s)
        self.startup_timeout_s = float(startup_timeout_s)
        self._slots: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(workers):
            self._slots.put(None)  # None: a slot whose worker has not started (or was killed)
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        self.version: str | None = None

    def __enter__(self) -> EquilibriumPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, n: int | None = None) -> None:
        """Start ``n`` workers now (default: all), in parallel; raise :class:`PoolError` if
        one cannot load the database (so a bad database fails at once, not per alloy)."""
        n = self.workers if n is None else max(1, min(n, self.workers))
        taken = [self._slots.get() for _ in range(n)]
        errors: list[BaseException] = []

        def boot(i: int) -> None:
            if taken[i] is None or not taken[i].alive:
                try:
                    taken[i] = self._new_worker()
                except BaseException as exc:  # noqa: BLE001 - re-raised below
                    errors.append(exc)

        threads = [threading.Thread(target=boot, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for worker in taken:
            self._slots.put(worker)
        if errors:
            raise errors[0]

    def _new_worker(self) -> _Worker:
        if self._closed:
            raise PoolError("the pool is closed")
        worker = _Worker(self.tdb_path, self.startup_timeout_s)
        with self._lock:
            self._all.append(worker)
            self.version = worker.version
        return worker

    def calculate(self, fractions: Mapping[str, float], temperature: float,
                  pressure: float = 101325.0) -> CalcResult:
        """Phase fractions of one alloy at one temperature (K), within the time limit.

        Raises:
            PoolError: no worker could be started.
        """
        worker = self._slots.get()
        try:
            if worker is None or not worker.alive:
                worker = self._new_worker()
            result = worker.run((dict(fractions), float(temperature), float(pressure)), self.timeout_s)
            if not worker.alive:
                worker = None
            return result
        finally:
            self._slots.put(worker)

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.stop()
