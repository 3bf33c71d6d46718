"""The on-disk equilibrium cache: concurrent writers lose nothing, a cached label equals the
computed one, and another criterion, temperature or database misses."""

from __future__ import annotations

import multiprocessing as mp
import shutil
from pathlib import Path

import pytest

from alloyloop.agent.calphad.cache import EquilibriumCache, composition_key, criterion
from alloyloop.agent.calphad.phases import PhaseAmount
from alloyloop.agent.labelers.calphad import CalphadLabeler
from alloyloop.campaigns.tdb import TdbFile

SHA = "ab" * 32
CRIT = criterion(0.99, 101325.0)


def _write_keys(path: str, start: int, stop: int, tag: str) -> None:
    """One writer process: keys ``start..stop-1`` (temperatures), each row in its own
    transaction, the phase named after the writer."""
    cache = EquilibriumCache(path)
    for i in range(start, stop):
        cache.put(SHA, {"Co": 0.5, "Ni": 0.5}, 1000.0 + i, CRIT,
                  (PhaseAmount(f"FCC_A1_{tag}", 1.0),), float(i))


def test_two_processes_writing_the_same_keys_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "cache.sqlite3")
    EquilibriumCache(path)  # the schema exists before the writers race
    ctx = mp.get_context("spawn")
    writers = [ctx.Process(target=_write_keys, args=(path, 0, 120, "a")),
               ctx.Process(target=_write_keys, args=(path, 60, 180, "b"))]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
    assert [w.exitcode for w in writers] == [0, 0]
    cache = EquilibriumCache(path)
    assert len(cache) == 180  # 0..179 once each: the 60 shared keys were not stored twice
    for i in range(180):
        found = cache.get(SHA, {"Co": 0.5, "Ni": 0.5}, 1000.0 + i, CRIT)
        (phase,) = found.phases
        assert found.seconds == float(i) and found.error is None
        expected = {"FCC_A1_a"} if i < 60 else {"FCC_A1_b"} if i >= 120 else {"FCC_A1_a", "FCC_A1_b"}
        assert phase.name in expected and phase.fraction == 1.0
    # the first row of a key stays: writing it again changes nothing
    assert not cache.put(SHA, {"Co": 1, "Ni": 1}, 1000.0, CRIT, (PhaseAmount("LIQUID", 1.0),), 0.0)
    assert cache.get(SHA, {"Co": 1, "Ni": 1}, 1000.0, CRIT).phases[0].name == "FCC_A1_a"


def test_keys_are_canonical_compositions(tmp_path: Path) -> None:
    cache = EquilibriumCache(tmp_path / "c.sqlite3")
    assert composition_key({"Ni": 0.5, "Co": 0.5, "Cr": 0.0}) == composition_key({"Co": 2, "Ni": 2})
    cache.put(SHA, {"Ni": 0.5, "Co": 0.5}, 1273, CRIT, [PhaseAmount("FCC_A1", 1.0)], 1.0)
    assert cache.get(SHA, {"Co": 0.5, "Ni": 0.5, "Al": 0.0}, 1273.0, CRIT) is not None
    with pytest.raises(ValueError, match="no element with a positive fraction"):
        cache.get(SHA, {"Co": 0.0}, 1273.0, CRIT)
    with pytest.raises(ValueError, match="no phase to store"):
        cache.put(SHA, {"Co": 1.0}, 1273.0, CRIT, [], 1.0)
    assert cache.put(SHA, {"Co": 1.0}, 1273.0, CRIT, [], 1.0, error="did not converge")
    assert cache.get(SHA, {"Co": 1.0}, 1273.0, CRIT).error == "did not converge"


def _labeler(cache: EquilibriumCache, tdb: str | Path = "pycalphad:alcocrni.tdb",
             temperatures: tuple[float, ...] = (1273.0,), threshold: float = 0.99) -> CalphadLabeler:
    return CalphadLabeler(campaign="c", database=TdbFile.open(tdb), temperatures=temperatures,
                          threshold=threshold, cache=cache)


def test_a_cached_label_equals_the_computed_one(tmp_path: Path, alcocrni_tdb: Path) -> None:
    cache = EquilibriumCache(tmp_path / "cache.sqlite3")
    alloys = [{"Co": 0.2, "Cr": 0.2, "Ni": 0.6}, {"Al": 0.1, "Co": 0.3, "Cr": 0.3, "Ni": 0.3}]
    first = _labeler(cache)
    computed, version = first.evaluate_many([1, 2], alloys)
    assert version is not None and len(cache) == 2
    assert all(not c.cached and c.seconds is not None for e in computed for _, c in e.calculations)
    assert [e.verdict.outcome for e in computed] == ["single", "multi"]

    again = _labeler(EquilibriumCache(tmp_path / "cache.sqlite3"))  # a fresh reader of the file
    assert all(again.fully_cached(a) for a in alloys)
    cached, version2 = again.evaluate_many([1, 2], alloys)  # no worker process starts
    assert version2 == version
    assert all(c.cached for e in cached for _, c in e.calculations)
    for a, b in zip(computed, cached):
        assert b.verdict == a.verdict
        assert [c.amounts for _, c in b.calculations] == [c.amounts for _, c in a.calculations]
        la, lb = first.result(a, version), again.result(b, version2)
        assert (lb.outcome, lb.phases, lb.note, lb.provenance) == (la.outcome, la.phases, la.note,
                                                                  la.provenance)
    facts = again.describe([again.result(e, version2) for e in cached])
    assert facts["equilibria"] == 0 and facts["cached_equilibria"] == 2


def test_another_criterion_temperature_or_database_misses(tmp_path: Path,
                                                          alcocrni_tdb: Path) -> None:
    cache = EquilibriumCache(tmp_path / "cache.sqlite3")
    alloy = {"Co": 0.2, "Cr": 0.2, "Ni": 0.6}
    base = _labeler(cache)
    base.evaluate_many([1], [alloy])
    assert base.fully_cached(alloy)
    assert not _labeler(cache, threshold=0.95).fully_cached(alloy)
    assert not _labeler(cache, temperatures=(1273.0, 1073.0)).fully_cached(alloy)
    assert not _labeler(cache, temperatures=(1073.0,)).fully_cached(alloy)
    edited = tmp_path / "alcocrni-edited.tdb"  # one more byte: another database
    shutil.copyfile(alcocrni_tdb, edited)
    with edited.open("a", encoding="utf-8") as fh:
        fh.write("\n$ edited\n")
    assert not _labeler(cache, tdb=edited).fully_cached(alloy)
    assert len(cache) == 1


def test_solver_failures_are_kept_time_limits_are_not(tmp_path: Path, alcocrni_tdb: Path) -> None:
    cache = EquilibriumCache(tmp_path / "cache.sqlite3")
    stuck = {"Al": 0.2, "Co": 0.2, "Cr": 0.3, "Ni": 0.3}  # pycalphad 0.11's solver does not converge
    (first,), _ = _labeler(cache).evaluate_many([1], [stuck])
    assert first.verdict is None and "did not converge" in first.failed
    again = _labeler(cache)
    assert again.fully_cached(stuck)
    (second,), _ = again.evaluate_many([1], [stuck])  # read back: no worker, the same reason
    assert second.failed == first.failed and second.calculations[0][1].cached

    hurried = CalphadLabeler(campaign="c", database=TdbFile.open("pycalphad:alcocrni.tdb"),
                             temperatures=(1273.0,), timeout_s=0.01, cache=cache)
    fresh = {"Al": 0.1, "Co": 0.3, "Cr": 0.3, "Ni": 0.3}  # compiling its models alone takes seconds
    (timed_out,), _ = hurried.evaluate_many([2], [fresh])
    assert "timed out" in timed_out.failed
    assert not hurried.fully_cached(fresh) and len(cache) == 1
