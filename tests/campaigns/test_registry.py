"""The registry: every kind has its options class, its module and its implementation, and
the implementation takes exactly the options (same names, types, defaults, bounds)."""

from __future__ import annotations

import attrs
import pytest

from alloyloop.campaigns.registry import LABELERS, STRATEGIES, Plug
from alloyloop.campaigns.goal import Goal
from alloyloop.campaigns.options.checks import OptionError
from alloyloop.campaigns.options.strategies import BotorchOptions, ScreenOptions
from alloyloop.campaigns.spec import StrategySpec


@pytest.mark.parametrize("kind", list(STRATEGIES))
def test_each_strategy_kind_has_options_module_and_an_implementation_built_from_them(kind) -> None:
    from alloyloop.agent.batch import build_strategy
    from alloyloop.agent.suggestion import Strategy

    plug = STRATEGIES[kind]
    assert plug.options.kind == kind and attrs.has(plug.options)
    implementation = plug.load()  # the module and the attribute exist
    assert issubclass(implementation, plug.options)  # names, types, defaults, bounds: one source
    added = {a.name for a in attrs.fields(implementation)} - {a.name for a in attrs.fields(plug.options)}
    assert added <= {"target", "objectives"}, added  # the goal, nothing the spec cannot set
    for a in attrs.fields(plug.options):  # the implementation keeps each option's validator
        assert attrs.fields_dict(implementation)[a.name].validator is a.validator
        assert attrs.fields_dict(implementation)[a.name].default == a.default
    strategy = build_strategy(StrategySpec(kind, 1), Goal(target="FCC"))
    assert isinstance(strategy, Strategy) and strategy.name == kind and strategy.target == "FCC"


@pytest.mark.parametrize("kind", list(LABELERS))
def test_each_labeler_kind_has_options_module_and_an_implementation(kind) -> None:
    plug = LABELERS[kind]
    assert plug.options.kind == kind and attrs.has(plug.options)
    assert callable(plug.load().from_options)


def test_a_kind_without_its_module_or_implementation_fails_to_load() -> None:
    with pytest.raises(ModuleNotFoundError):
        Plug(ScreenOptions, "alloyloop.agent.strategies.no_such_module:Screening").load()
    with pytest.raises(AttributeError):
        Plug(ScreenOptions, "alloyloop.agent.strategies.screening:NoSuchClass").load()


def test_the_strategy_refuses_what_its_options_refuse_and_trusts_them_otherwise() -> None:
    from alloyloop.agent.strategies.ensemble_bo import EnsembleBO

    for bad in ({"beta": -3}, {"diversity": -1}, {"dropout_members": 1}, {"acquisition": "EI"}):
        with pytest.raises(OptionError, match=next(iter(bad))):
            BotorchOptions(**bad)
        with pytest.raises(OptionError, match=next(iter(bad))):
            EnsembleBO(**bad)
    assert BotorchOptions(max_per_system=0).max_per_system == 0  # 0: no cap


def test_nudge_starts_and_boxes_keep_their_shape() -> None:
    from alloyloop.agent.batch import build_strategy

    nudge = build_strategy(StrategySpec("nudge", 1, {"starts": ["CoCrNi"], "max_steps": 3}))
    assert nudge.starts == ("CoCrNi",) and nudge.max_steps == 3
    region = build_strategy(StrategySpec("latent_region", 1, {"box": [[0, 0], [1, 2]]}))
    assert region.box == ((0.0, 0.0), (1.0, 2.0))
    with pytest.raises(OptionError, match="starts"):
        build_strategy(StrategySpec("nudge", 1, {"starts": "CoCrNi"}))


def test_every_options_class_is_registered() -> None:
    import inspect

    from alloyloop.campaigns.options import labelers, strategies

    registered = {p.options for p in (*STRATEGIES.values(), *LABELERS.values())}
    for module in (strategies, labelers):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            # a class without a kind is a shared base of options (FailedRegionOptions)
            if issubclass(cls, strategies.Options) and hasattr(cls, "kind") \
                    and cls.__module__ == module.__name__:
                assert cls in registered, f"{cls.__name__} has no line in campaigns/registry.py"
