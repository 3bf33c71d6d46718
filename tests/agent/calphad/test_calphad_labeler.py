"""Real pycalphad equilibria through the worker pool and the CALPHAD labeler."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from alloyloop.agent.calphad.pool import EquilibriumPool, PoolError
from alloyloop.campaigns.tdb import TdbFile
from alloyloop.agent.labelers import Labeler
from alloyloop.agent.labelers.calphad import CalphadLabeler
from alloyloop.db.records import SuggestionRecord
from alloyloop.featurize.composition import parse_composition

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _suggestion(id_: int, composition: str) -> SuggestionRecord:
    return SuggestionRecord(id=id_, round_id=1, alloy_id=id_, alloy_key=parse_composition(composition).key,
                            strategy="screen", p_single=0.5, interval_low=None, interval_high=None,
                            prediction_set=None, in_domain=True, acquisition=0.5, status="suggested",
                            label_id=None, extra={}, created_at=NOW, updated_at=NOW)


def _labeler(**kw) -> CalphadLabeler:  # noqa: ANN003
    return CalphadLabeler(campaign="c", database=TdbFile.open("pycalphad:alcocrni.tdb"), **kw)


def test_labels_from_equilibria_at_1273_k(alcocrni_tdb: Path) -> None:
    labeler = _labeler(temperatures=(1273.0,), workers=2)
    assert isinstance(labeler, Labeler) and labeler.automatic
    batch = [_suggestion(1, "Co2Cr2Ni6"),             # Ni-rich FCC solid solution
             _suggestion(2, "AlNi"),                  # ordered B2 NiAl: one phase, not a solid solution
             _suggestion(3, "Al10Co30Cr30Ni30"),      # FCC + a little B2
             _suggestion(4, "Al15Cr5Ni80"),           # gamma + gamma': FCC + L12
             _suggestion(5, "Al10Co30Cr20Fe20Ni20"),  # Fe: not in the database
             _suggestion(6, "Al30Cr60Ni10"),          # disordered A2 + ordered B2, both "BCC_B2" to pycalphad
             _suggestion(7, "Al20Co20Cr30Ni30")]      # pycalphad 0.11.2's solver does not converge here
    started = time.perf_counter()
    pairs = labeler.evaluate_all(batch)
    wall = time.perf_counter() - started
    results = [labeler.result(e, v) for e, v in pairs]
    by_id = {r.suggestion_id: r for r in results}
    assert [r.suggestion_id for r in results] == [1, 2, 3, 4, 5, 6, 7]

    fcc = by_id[1]
    assert (fcc.outcome, fcc.phases, fcc.source, fcc.method) == ("single", ("FCC",), "calphad", "CALPHAD")
    assert fcc.external_id == "calphad/c/1" and fcc.note == "CALPHAD: FCC_A1 holds 1.0000 >= 0.99"
    sha = labeler.database.sha256
    assert fcc.provenance.startswith("pycalphad 0.11.")
    assert f"database alcocrni.tdb sha256:{sha}; P=101325 Pa; single-phase threshold 0.99; " \
           "1273 K: FCC_A1=1.0000" in fcc.provenance
    assert (by_id[2].outcome, by_id[2].phases) == ("multi", ("B2",))
    assert "BCC_B2 holds 1.0000 but is not a disordered solid solution (B2)" in by_id[2].note
    three = by_id[3]
    assert (three.outcome, three.phases) == ("multi", ("FCC", "B2"))
    assert "1273 K: FCC_A1=0.93" in three.provenance and "; BCC_B2=0.06" in three.provenance
    assert (by_id[4].outcome, by_id[4].phases) == ("multi", ("FCC", "L12"))
    gap = by_id[6]  # the disordered BCC_B2 vertex is reported as BCC_A2
    assert (gap.outcome, gap.phases) == ("multi", ("BCC", "B2"))
    assert "1273 K: BCC_A2=0.7" in gap.provenance and "; BCC_B2=0.2" in gap.provenance
    skipped = by_id[5]
    assert skipped.outcome is None and skipped.external_id is None
    assert skipped.note == ("calphad labeler: alcocrni.tdb does not cover Fe (it covers Al, Co, Cr, "
                            "Ni): not calculated")
    stuck = by_id[7]
    assert stuck.outcome is None, "pycalphad converged at Al20Co20Cr30Ni30: pick another failing alloy"
    assert stuck.note == "calphad labeler: pycalphad's solver did not converge at 1273 K"
    evaluations = {e.suggestion_id: e for e, _ in pairs}
    assert evaluations[5].calculations == () and evaluations[5].skipped
    seconds = [r.seconds for e in evaluations.values() for _, r in e.calculations]
    assert len(seconds) == 6 and all(s > 0 for s in seconds) and sum(seconds) < wall * 2


def test_several_temperatures_and_the_time_limit(alcocrni_tdb: Path) -> None:
    two = _labeler(temperatures=(1073.0, 1473.0), workers=1)
    (result,) = two.label([_suggestion(7, "Co2Cr2Ni6")])
    assert result.outcome == "single" and "1073 K: FCC_A1=1.0000 | 1473 K: FCC_A1=1.0000" in result.provenance
    assert result.note == "CALPHAD: single FCC at every temperature (1073 K, 1473 K)"
    # the first equilibrium of a worker compiles its models (seconds): 0.05 s cannot suffice
    hasty = _labeler(temperatures=(1273.0,), workers=1, timeout_s=0.05)
    (late,) = hasty.label([_suggestion(8, "Co2Cr2Ni6")])
    assert late.outcome is None
    assert late.note == "calphad labeler: timed out after 0.05 s (per-calculation limit) at 1273 K"


def test_pool_limits_each_calculation_and_restarts_a_killed_worker(alcocrni_tdb: Path) -> None:
    with EquilibriumPool(alcocrni_tdb, workers=1, timeout_s=0.05) as pool:
        first = pool.calculate({"Co": 0.2, "Cr": 0.2, "Ni": 0.6}, 1273)
        assert first.timed_out and not first.ok and first.amounts == ()
        pool.timeout_s = 120.0  # the killed worker's slot starts a fresh one
        again = pool.calculate({"Co": 0.2, "Cr": 0.2, "Ni": 0.6}, 1273)
        assert again.ok and again.amounts[0].name == "FCC_A1" and again.seconds > 0
        assert pool.version and pool.version.startswith("0.11")


def test_a_database_pycalphad_cannot_read_fails_at_once(tmp_path: Path) -> None:
    broken = tmp_path / "broken.tdb"
    broken.write_text("ELEMENT AL FCC_A1 26.98 4577.3 28.322 !\nPHASE FCC_A1 %  2 1 1 !\n"
                      "CONSTITUENT FCC_A1 :AL : VA !\n", encoding="ascii")  # the last ':' is missing
    labeler = CalphadLabeler(campaign="c", database=TdbFile.open(broken), temperatures=(1273.0,),
                             workers=1)
    with pytest.raises(PoolError, match=r"(?s)pycalphad cannot load .*broken.tdb: ParseException.*check that it is a valid TDB file"):
        labeler.label([_suggestion(1, "Al")])
