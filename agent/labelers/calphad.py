"""The CALPHAD labeler: equilibrium calculations with pycalphad label the suggestions.

For each suggestion whose elements the database covers, pycalphad computes the
equilibrium at every temperature of the spec (P = 101325 Pa, 1 mol of atoms) in a worker
process with a per-calculation time limit (:mod:`alloyloop.agent.calphad.pool`); the phase
fractions give ``single`` / ``multi`` by the rule of :mod:`alloyloop.agent.calphad.phases` (one
disordered solid solution holding >= ``threshold`` of the moles, at every temperature).

Labels are stored with source ``calphad`` and method ``CALPHAD``; their provenance names
pycalphad's version, the database file and its SHA-256, the pressure and threshold, and
every temperature with its phase fractions, e.g.::

    pycalphad 0.11.2 equilibrium; database alcocrni.tdb sha256:9f2c…; P=101325 Pa;
    single-phase threshold 0.99; 1273 K: FCC_A1=0.9323; BCC_B2=0.0677

(one line; ``|`` separates temperatures). Their external id is
``calphad/CAMPAIGN/SUGGESTION_ID``, so a rerun cannot store a label twice. Unlike replayed
labels they are real data: every campaign trains on them.

With an equilibrium cache (:mod:`alloyloop.agent.calphad.cache`, the SQLite file
``$ALLOYLOOP_CALPHAD_CACHE`` names) an equilibrium already computed for the same database,
composition, temperature and criterion is read from it, and the worker processes start
only if some equilibrium is missing.

Not labelled (the suggestion is marked ``failed`` with the reason, like a sample the lab
could not make): alloys with an element the database does not cover (no calculation is
tried), calculations that run past the time limit, and calculations pycalphad cannot do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from alloyloop.agent.calphad.cache import EquilibriumCache, criterion
from alloyloop.agent.calphad.phases import DEFAULT_THRESHOLD, Verdict, classify, combine, format_fractions
from alloyloop.agent.calphad.pool import CalcResult, EquilibriumPool, PoolError
from alloyloop.campaigns.tdb import TdbFile
from alloyloop.agent.labelers import ALL_LABELS, LabelResult, TrainingView
from alloyloop.campaigns.options.labelers import CalphadOptions
from alloyloop.campaigns.spec import CampaignSpec
from alloyloop.db.records import SuggestionRecord
from alloyloop.featurize.composition import parse_composition

KIND = "calphad"
"""``[labeler] kind`` of this labeler's spec section."""
PREFIX = "calphad/"
PRESSURE_PA = 101325.0
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_WORKERS = 1
"""One worker process: each worker compiles the models of every element system it meets
(seconds), so on 2 cores a second worker pays off only for large batches of one system
(docs/benchmarks.md); raise ``workers`` for those."""


def external_id(campaign: str, suggestion_id: int) -> str:
    return f"{PREFIX}{campaign}/{suggestion_id}"


@dataclass(frozen=True)
class Evaluation:
    """What the calculations found for one suggestion: the verdict, or why there is none,
    and each temperature's calculation."""

    suggestion_id: int
    verdict: Verdict | None
    calculations: tuple[tuple[float, CalcResult], ...] = ()
    skipped: str | None = None
    """Why no calculation was tried (an element the database does not cover)."""
    failed: str | None = None
    """Why a calculation gave nothing (time limit, pycalphad error)."""


@dataclass(frozen=True)
class CalphadLabeler:
    """Labels suggestions with pycalphad equilibria (see the module docstring).

    Attributes:
        campaign: the campaign it labels for (part of every label's external id).
        database: the TDB file, its hash and elements.
        temperatures: kelvin, ascending.
        threshold: mole fraction one solid solution must hold to be single.
        timeout_s: time limit of one equilibrium calculation.
        workers: calculations at once (worker processes).
        cache: equilibria computed before (None: compute every one).
    """

    campaign: str
    database: TdbFile
    temperatures: tuple[float, ...]
    threshold: float = DEFAULT_THRESHOLD
    timeout_s: float = DEFAULT_TIMEOUT_S
    workers: int = DEFAULT_WORKERS
    name: str = "calphad"
    automatic: bool = True
    cache: EquilibriumCache | None = None

    @property
    def training_view(self) -> TrainingView:
        return ALL_LABELS

    def __post_init__(self) -> None:
        if not self.temperatures:
            raise ValueError("no temperature: give at least one, in kelvin (e.g. 1273)")
        if not 0.5 < self.threshold <= 1:
            raise ValueError(f"threshold {self.threshold}: give a mole fraction above 0.5 and at most 1")

    @classmethod
    def for_spec(cls, spec: CampaignSpec) -> CalphadLabeler:
        """The labeler of a CALPHAD campaign (its ``[labeler]`` options)."""
        return cls.from_options(spec.labeler, spec)

    @classmethod
    def from_options(cls, lab: CalphadOptions, spec: CampaignSpec) -> CalphadLabeler:
        if lab.kind != "calphad" or lab.tdb is None:
            raise ValueError(f"campaign {spec.name!r} has no calphad labeler in its spec: give "
                             "the database and temperature (alloyloop label calphad --tdb … "
                             "--temperature …)")
        return cls(campaign=spec.name, database=TdbFile.open(lab.tdb),
                   temperatures=lab.temperatures, threshold=lab.threshold,
                   timeout_s=lab.timeout, workers=lab.workers or DEFAULT_WORKERS,
                   cache=EquilibriumCache.from_env())

    def open_pool(self) -> EquilibriumPool:
        """Worker processes for this database and time limit (close them after use)."""
        return EquilibriumPool(self.database.path, workers=self.workers, timeout_s=self.timeout_s)

    def skip_reason(self, suggestion: SuggestionRecord) -> str | None:
        """Why this alloy cannot be calculated with this database (None if it can)."""
        return self._uncovered(parse_composition(suggestion.alloy_key).fractions)

    def _uncovered(self, fractions: Mapping[str, float]) -> str | None:
        missing = self.database.uncovered({el for el, x in fractions.items() if x > 0})
        if not missing:
            return None
        return (f"{self.database.name} does not cover {', '.join(missing)} (it covers "
                f"{', '.join(sorted(self.database.elements))}): not calculated")

    @property
    def criterion(self) -> str:
        """What a cached equilibrium is read for (part of its cache key)."""
        return criterion(self.threshold, PRESSURE_PA)

    def _cached(self, fractions: Mapping[str, float], t: float) -> CalcResult | None:
        if self.cache is None:
            return None
        found = self.cache.get(self.database.sha256, fractions, t, self.criterion)
        if found is None:
            return None
        return CalcResult(amounts=found.phases, error=found.error, cached=True)

    def fully_cached(self, fractions: Mapping[str, float]) -> bool:
        """Every temperature's equilibrium of this alloy is in the cache."""
        return all(self._cached(fractions, t) is not None for t in self.temperatures)

    def _calculate(self, pool: EquilibriumPool | None, fractions: Mapping[str, float],
                   t: float) -> CalcResult:
        cached = self._cached(fractions, t)
        if cached is not None:
            return cached
        if pool is None:
            raise RuntimeError("no equilibrium pool for an alloy that is not cached")
        try:
            result = pool.calculate(fractions, t, PRESSURE_PA)
        except PoolError as exc:  # a worker killed by the time limit could not restart
            result = CalcResult(error=str(exc))
        if self.cache is not None and (result.ok or _repeatable(result)):
            self.cache.put(self.database.sha256, fractions, t, self.criterion, result.amounts,
                           result.seconds, error=result.error)
        return result

    def evaluate(self, pool: EquilibriumPool | None, suggestion: SuggestionRecord) -> Evaluation:
        """Calculate one suggestion at every temperature (stops at the first failure)."""
        return self.evaluate_fractions(pool, suggestion.id,
                                       parse_composition(suggestion.alloy_key).fractions)

    def evaluate_fractions(self, pool: EquilibriumPool | None, ident: int,
                           fractions: Mapping[str, float]) -> Evaluation:
        """:meth:`evaluate` for a composition given as fractions (``ident`` names it in the
        result); ``pool`` may be None when :meth:`fully_cached` says so."""
        skip = self._uncovered(fractions)
        if skip is not None:
            return Evaluation(ident, None, skipped=skip)
        done: list[tuple[float, CalcResult]] = []
        verdicts: list[tuple[float, Verdict]] = []
        for t in self.temperatures:
            result = self._calculate(pool, fractions, t)
            done.append((t, result))
            if not result.ok:
                return Evaluation(ident, None, tuple(done), failed=f"{result.error} at {t:g} K")
            verdicts.append((t, classify(result.amounts, self.threshold)))
        return Evaluation(ident, combine(verdicts), tuple(done))

    def result(self, evaluation: Evaluation, pycalphad_version: str | None) -> LabelResult:
        """The label (or the failure) an evaluation gives."""
        if evaluation.verdict is None:
            why = evaluation.skipped or evaluation.failed or "no result"
            return LabelResult(suggestion_id=evaluation.suggestion_id, outcome=None,
                               note=f"calphad labeler: {why}", detail=evaluation)
        verdict = evaluation.verdict
        temps = " | ".join(f"{t:g} K: {format_fractions(r.amounts)}" for t, r in evaluation.calculations)
        provenance = (f"pycalphad {pycalphad_version or '?'} equilibrium; database "
                      f"{self.database.name} sha256:{self.database.sha256}; P={PRESSURE_PA:g} Pa; "
                      f"single-phase threshold {self.threshold:g}; {temps}")
        return LabelResult(
            suggestion_id=evaluation.suggestion_id, outcome=verdict.outcome,
            phases=verdict.phases, source="calphad", method="CALPHAD", provenance=provenance,
            note=f"CALPHAD: {verdict.reason}",
            external_id=external_id(self.campaign, evaluation.suggestion_id), detail=evaluation)

    def label(self, suggestions: Sequence[SuggestionRecord]) -> list[LabelResult]:
        """Results for every suggestion, in order (calculations run ``workers`` at a time)."""
        return [self.result(e, v) for e, v in self.evaluate_all(suggestions)]

    def describe(self, results: Sequence[LabelResult]) -> dict[str, Any]:
        """Alloys skipped (elements the database lacks), equilibria calculated, their mean
        time, and equilibria read from the cache."""
        evaluations = [r.detail for r in results if isinstance(r.detail, Evaluation)]
        seconds = [c.seconds for e in evaluations for _, c in e.calculations
                   if c.seconds is not None and not c.cached]
        return {"skipped": sum(e.skipped is not None for e in evaluations),
                "equilibria": len(seconds),
                "mean_equilibrium_s": sum(seconds) / len(seconds) if seconds else None,
                "cached_equilibria": sum(c.cached for e in evaluations for _, c in e.calculations)}

    def evaluate_all(self, suggestions: Sequence[SuggestionRecord]
                     ) -> list[tuple[Evaluation, str | None]]:
        """(evaluation, pycalphad version) per suggestion, in order; workers start only if
        some alloy can be calculated and is not cached."""
        fractions = [parse_composition(s.alloy_key).fractions for s in suggestions]
        evaluations, version = self.evaluate_many([s.id for s in suggestions], fractions)
        return [(e, version) for e in evaluations]

    def evaluate_many(self, idents: Sequence[int], fractions: Sequence[Mapping[str, float]]
                      ) -> tuple[list[Evaluation], str | None]:
        """Evaluations of these compositions, in order, and the pycalphad version that
        computed or cached them: cached ones without a worker, the rest ``workers`` at a
        time."""
        found: dict[int, Evaluation] = {}
        todo: list[int] = []
        for i, f in enumerate(fractions):
            if self._uncovered(f) is not None or self.fully_cached(f):
                found[i] = self.evaluate_fractions(None, idents[i], f)
            else:
                todo.append(i)
        version = None
        if todo:
            with self.open_pool() as pool:
                pool.start(len(todo))  # a database pycalphad cannot load fails here, once
                with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="calphad") as ex:
                    found |= dict(zip(todo, ex.map(
                        lambda i: self.evaluate_fractions(pool, idents[i], fractions[i]), todo)))
                version = pool.version
        elif found and self.cache is not None:
            version = _installed_pycalphad()
        return [found[i] for i in range(len(fractions))], version


def _repeatable(result: CalcResult) -> bool:
    """A failure pycalphad would give again on the same input (its solver, an error it
    raised), not one of the machine (a time limit, a worker that died or could not start)."""
    return (result.seconds is not None and not result.timed_out
            and not (result.error or "").startswith("the pycalphad worker died"))


def _installed_pycalphad() -> str | None:
    """The installed pycalphad's version (cached equilibria name it in their provenance)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pycalphad")
    except PackageNotFoundError:
        return None
