"""Concurrency: ten threads add labels while another transaction reads; nothing is lost,
no error reaches the caller, and the conflict flag stays right."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from alloyloop.db.alloys import ensure_alloys, parse_alloy
from alloyloop.db.engine import make_engine, open_session
from alloyloop.db.labels import LabelInput, add_label, insert_labels
from alloyloop.db.models import Alloy, Label
from alloyloop.db.tx import run_write

THREADS, ROUNDS = 10, 6


def _alloy(pair: int, rnd: int) -> str:
    """A distinct alloy per thread pair and round (Ni fixed at 7 keeps the ratios apart)."""
    return f"Co{1 + pair}Fe{1 + rnd}Ni7"


@pytest.mark.timeout(300)
def test_ten_writers_and_a_long_reader(engine) -> None:  # noqa: ANN001
    """Each round, the two threads of a pair give one alloy disagreeing labels at the same
    moment: both labels must be stored and the alloy flagged, whatever the interleaving,
    while a reader keeps one transaction open throughout. Half the alloys exist before
    (labels race on an existing row), half are created by the racing pair itself."""
    with open_session(engine) as session:
        run_write(session, lambda: ensure_alloys(
            session, [parse_alloy(_alloy(p, r)) for p in range(THREADS // 2) for r in range(0, ROUNDS, 2)]))
    start = threading.Barrier(THREADS + 1, timeout=60)
    in_step = threading.Barrier(THREADS, timeout=60)
    writers_done = threading.Event()

    def writer(i: int) -> list[int]:
        ids = []
        with open_session(engine) as session:
            start.wait()
            for rnd in range(ROUNDS):
                in_step.wait()
                ids.append(add_label(session, composition=_alloy(i // 2, rnd),
                                     outcome="single" if i % 2 else "multi", source="experiment",
                                     method="XRD", entered_by=f"writer-{i}", note=f"{i}/{rnd}").id)
        return ids

    def reader() -> list[int]:
        seen = []
        with open_session(engine) as session, session.begin():  # one transaction, open throughout
            start.wait()
            while not writers_done.is_set():
                seen.append(session.execute(select(func.count()).select_from(Label)).scalar_one())
                session.execute(select(Label.note).order_by(Label.id)).all()
                writers_done.wait(0.02)
        return seen

    with ThreadPoolExecutor(THREADS + 1) as pool:
        read = pool.submit(reader)
        writes = [pool.submit(writer, i) for i in range(THREADS)]
        try:
            ids = [label_id for w in writes for label_id in w.result()]  # re-raises any writer error
        finally:
            writers_done.set()  # stop the reader even when a writer failed
        counts = read.result()

    assert len(ids) == len(set(ids)) == THREADS * ROUNDS
    assert counts and counts == sorted(counts)  # the reader never saw rows vanish
    with open_session(engine) as session:
        notes = set(session.execute(select(Label.note)).scalars())
        assert notes == {f"{i}/{r}" for i in range(THREADS) for r in range(ROUNDS)}  # no lost row
        flags = dict(session.execute(select(Alloy.key, Alloy.has_conflict)).tuples().all())
    assert len(flags) == THREADS // 2 * ROUNDS  # concurrent creation made no duplicates
    assert all(flags.values()), [k for k, v in flags.items() if not v]  # every pair disagrees


def test_sqlite_write_retries_when_the_lock_outlasts_the_busy_timeout(sqlite_template: Path,
                                                                       tmp_path: Path) -> None:
    path = tmp_path / "busy.sqlite3"
    shutil.copyfile(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}", sqlite_busy_timeout_ms=50)
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        label = LabelInput.build(composition="CoCrFeNi", outcome="single", source="literature")
        with open_session(eng) as session:
            blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            # without retries, the busy timeout (50 ms) runs out and the error surfaces
            with pytest.raises(OperationalError, match="database is locked"):
                run_write(session, lambda: insert_labels(session, [label]), attempts=1)
            release = threading.Timer(0.4, blocker.rollback)
            release.start()
            stored = add_label(session, composition="CoCrFeNi", outcome="single", source="literature")
            release.join()
            assert stored.id is not None
            assert session.execute(select(func.count()).select_from(Label)).scalar_one() == 1
    finally:
        blocker.close()
        eng.dispose()
