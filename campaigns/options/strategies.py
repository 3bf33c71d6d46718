"""The options of each strategy: keys, defaults and bounds, declared once (torch-free).

A spec's ``[strategies] botorch = { count = 4, beta = 2 }`` becomes ``BotorchOptions(beta=2)``;
a value the strategy would refuse at suggest time is refused here, when the options are
built (at ``campaign create``). The strategy classes in :mod:`alloyloop.agent.strategies`
subclass these, adding only the campaign's goal, so their settings cannot drift from
what the spec accepts. The registry (:mod:`alloyloop.campaigns.registry`) maps each
``kind`` to its class and implementation.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from alloyloop.campaigns.options.collect import converted_as_given
from alloyloop.campaigns.options.checks import (
    OptionError, named, as_tuple, flag, number, one_of, optional, whole,
)
from alloyloop.featurize.elements import GROUPS


class Options:
    """Base of every options class: ``kind`` is the tag the spec and the converter use."""

    kind: ClassVar[str]
    generative: ClassVar[bool] = False
    """Makes new compositions (decode / walk), so it cannot pick from a fixed pool."""
    takes_objectives: ClassVar[bool] = False
    """Optimizes the campaign's property objectives (with p(target))."""

    @classmethod
    def for_goal(cls, options: Options, goal: Any) -> Any:
        """An implementation ``cls`` (a subclass of the options class that adds ``target``)
        built from validated ``options`` and the campaign's goal: how ``build_strategy``
        builds every strategy."""
        return cls(**settings(options), target=goal.target)

    def resolved(self, base_dir: Any, palette: Any) -> Any:
        """These options with file paths made absolute (from ``base_dir``) and checked
        against the design-space ``palette``; raises :class:`OptionError` (with ``key``)."""
        return self

    @property
    def name(self) -> str:
        """The strategy's name in suggestions and notes: its kind."""
        return self.kind


@named
def _box(_inst: Any, _attr: Any, v: Any) -> None:
    ok = (isinstance(v, list | tuple) and len(v) == 2 and all(isinstance(r, list | tuple) for r in v)
          and len(v[0]) == len(v[1]) > 0
          and all(isinstance(x, int | float) and not isinstance(x, bool) for r in v for x in r))
    if not ok:
        raise OptionError("write the latent box as [[low, …], [high, …]], one entry per latent dimension")
    if any(lo > hi for lo, hi in zip(*v)):
        raise OptionError("a low corner exceeds its high corner: swap them")


def _box_floats(v: Any) -> Any:
    """A well-formed box as float tuples (anything else is left for :func:`_box`)."""
    try:
        return tuple(tuple(float(x) for x in corner) for corner in v)
    except (TypeError, ValueError):
        return v


@named
def _compositions(_inst: Any, _attr: Any, v: Any) -> None:
    from alloyloop.featurize.composition import CompositionError, parse_composition

    if not isinstance(v, list | tuple) or not all(isinstance(c, str) for c in v):
        raise OptionError('write a list of compositions, e.g. ["Al1.4Co0.9Cr1.4Cu0.5Fe0.9Ni1"]')
    for c in v:
        try:
            parse_composition(c)
        except CompositionError as exc:
            raise OptionError(f"start {c!r} does not parse: {exc}") from None


@attrs.frozen
class FailedRegionOptions(Options):
    """The failed-region rule's keys, shared by the strategies that take it (issue #32):
    a candidate with at least ``avoid_misses`` of the campaign's own labelled alloys within
    ``avoid_radius`` (share of atoms per element, max-abs) of it, all of them misses (not
    the target), counts at ``avoid_factor`` × its p(target), so the strategy moves on to
    the next best region (:mod:`alloyloop.agent.strategies.failed_regions`). 0 misses: off.
    ``probe_count``: at most this many alloys of a batch (with those in the lab) within
    ``avoid_radius`` of each other where the campaign has no hit yet. 0: off."""

    avoid_misses: int = attrs.field(default=0, validator=whole(0))  # 0: off
    avoid_radius: float = attrs.field(default=0.1, validator=number(0, 1, open_low=True))
    avoid_factor: float = attrs.field(default=0.1, validator=number(0, 1))
    probe_count: int = attrs.field(default=0, validator=whole(0))  # 0: off


@attrs.frozen
class NoveltyOptions(FailedRegionOptions):
    """The novelty rule's keys (issue #32, far hits): a candidate farther than
    ``novel_distance`` (share of atoms, max-abs: the largest per-element difference) from
    every labelled alloy the campaign did not suggest itself (the corpus and the lab's
    other labels, :attr:`~alloyloop.agent.suggestion.Observations.prior`) is taken
    instead of the score's nearer pick when its p(target) is at least ``1 − novel_margin``
    times the best open p(target), pick by pick
    (:mod:`alloyloop.agent.strategies.diversity`). ``novel_margin`` 0: off (the default,
    for ``screen`` and ``botorch`` alike: on pools of known alloys, the replay, it is
    unmeasured; the bundled specs that generate alloys and the discovery study turn it on)."""

    novel_distance: float = attrs.field(default=0.1, validator=number(0, 1, open_low=True,
                                                                      open_high=True))
    novel_margin: float = attrs.field(default=0.0, validator=number(0, 1, open_high=True))  # 0: off


@converted_as_given
@attrs.frozen
class ScreenOptions(NoveltyOptions):
    kind: ClassVar[str] = "screen"
    acquisition: str = attrs.field(default="greedy", validator=one_of(("greedy", "uncertainty")))
    max_candidates: int = attrs.field(default=2_000_000, validator=whole(1))
    chunk_size: int = attrs.field(default=100_000, validator=whole(1))
    reserve: int = attrs.field(default=20, validator=whole(1))
    resolution: float = attrs.field(default=0.0, validator=number(0))
    per_system: int = attrs.field(default=0, validator=whole(0))  # 0: no limit


@converted_as_given
@attrs.frozen
class LatentRegionOptions(Options):
    kind: ClassVar[str] = "latent_region"
    generative: ClassVar[bool] = True
    group: str | None = attrs.field(default=None, validator=optional(one_of(tuple(GROUPS))))
    box: tuple[tuple[float, ...], tuple[float, ...]] | None = attrs.field(
        default=None, converter=_box_floats, validator=optional(_box))
    n_points: int = attrs.field(default=512, validator=whole(1))
    max_repair_distance: float = attrs.field(default=0.5, validator=number(0))  # share of atoms


@converted_as_given
@attrs.frozen
class NudgeOptions(Options):
    kind: ClassVar[str] = "nudge"
    generative: ClassVar[bool] = True
    starts: tuple[str, ...] = attrs.field(default=(), converter=as_tuple, validator=_compositions)
    # p(target) that ends a walk; above 1, every walk takes max_steps
    threshold: float = attrs.field(default=0.6, validator=number(0, open_low=True))
    max_steps: int = attrs.field(default=10, validator=whole(1))


BOTORCH_ACQUISITIONS = ("qLogNEI", "qUCB", "qSR", "Thompson")


@converted_as_given
@attrs.frozen
class BotorchOptions(NoveltyOptions):
    kind: ClassVar[str] = "botorch"
    takes_objectives: ClassVar[bool] = True
    # the failed-region rule is on for the latent search (FailedRegionOptions)
    avoid_misses: int = attrs.field(default=3, validator=whole(0))
    probe_count: int = attrs.field(default=2, validator=whole(0))
    acquisition: str = attrs.field(default="qUCB",
                                   validator=one_of(BOTORCH_ACQUISITIONS))
    beta: float = attrs.field(default=1.0, validator=number(0))
    # a new element system only at ≥ (1 − this) × the best open p(target); 0: off
    new_system_margin: float = attrs.field(default=0.1, validator=number(0, 1))
    # no pick below this × the best open p(target); 0: off
    min_p_ratio: float = attrs.field(default=0.1, validator=number(0, 1))
    # the lattice's best alloys by p(target) added to the latent search's candidates; 0: none
    screen_candidates: int = attrs.field(default=64, validator=whole(0))
    diversity: float = attrs.field(default=0.0, validator=number(0))  # 0: off
    max_per_system: int = attrs.field(default=0, validator=whole(0))  # 0: no cap
    oversample: int = attrs.field(default=4, validator=whole(1))
    num_restarts: int = attrs.field(default=4, validator=whole(1))
    raw_samples: int = attrs.field(default=128, validator=whole(1))
    dropout_members: int = attrs.field(default=8, validator=whole(2))  # a spread needs two


@converted_as_given
@attrs.frozen
class BotorchGPOptions(Options):
    kind: ClassVar[str] = "botorch-gp"
    acquisition: str = attrs.field(default="qLogNEI", validator=one_of(("qLogNEI", "qUCB")))
    beta: float = attrs.field(default=2.0, validator=number(0))
    n_design: int = attrs.field(default=128, validator=whole(1))
    max_labelled: int = attrs.field(default=192, validator=whole(1))
    oversample: int = attrs.field(default=2, validator=whole(1))
    num_restarts: int = attrs.field(default=4, validator=whole(1))
    raw_samples: int = attrs.field(default=128, validator=whole(1))
    pool_logit_input: bool = attrs.field(default=True, validator=flag)


@converted_as_given
@attrs.frozen
class RandomLatentOptions(Options):
    kind: ClassVar[str] = "random_latent"
    generative: ClassVar[bool] = True


@converted_as_given
@attrs.frozen
class ForestOptions(Options):
    kind: ClassVar[str] = "rf"
    acquisition: str = attrs.field(default="EI", validator=one_of(("EI", "UCB")))
    n_trees: int = attrs.field(default=300, validator=whole(1))
    kappa: float = attrs.field(default=2.0, validator=number(0))
    xi: float = attrs.field(default=0.01, validator=number(0))
    max_candidates: int = attrs.field(default=200_000, validator=whole(1))


@converted_as_given
@attrs.frozen
class RandomOptions(Options):
    kind: ClassVar[str] = "random"


def settings(options: Options) -> dict[str, Any]:
    """The options' own values by name (no tag): what a strategy is built from."""
    return {a.name: getattr(options, a.name) for a in attrs.fields(type(options)) if a.init}
