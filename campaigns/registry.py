"""The one registry of plug points: kind → options class → implementation.

Adding a strategy or a labeler is one options class (:mod:`alloyloop.campaigns.options`),
one module (its implementation in :mod:`alloyloop.agent`) and one line here. The
implementation is named by its import path and imported only when :meth:`Plug.load` is
called — by ``agent`` (``build_strategy``, ``build_labeler``) — so campaigns/ stays
torch-free and below agent/ in the layers. ``tests/campaigns/test_registry.py`` fails when
a registered kind lacks any of the three.
"""

from __future__ import annotations

import importlib
from typing import Any, Union

import attrs
from cattrs.strategies import configure_tagged_union

from alloyloop.campaigns.options.labelers import CalphadOptions, LabOptions, ReplayOptions
from alloyloop.campaigns.options.strategies import (
    BotorchGPOptions, BotorchOptions, ForestOptions, LatentRegionOptions, NudgeOptions,
    RandomLatentOptions, RandomOptions, ScreenOptions,
)
from alloyloop.featurize.converter import converter


@attrs.frozen
class Plug:
    """One kind: its options class and its implementation's ``module:attribute`` path."""

    options: type
    implementation: str

    @property
    def kind(self) -> str:
        return self.options.kind

    def load(self) -> Any:
        """The implementation (imports its module now)."""
        module, _, name = self.implementation.partition(":")
        return getattr(importlib.import_module(module), name)


def _by_kind(*plugs: Plug) -> dict[str, Plug]:
    return {p.kind: p for p in plugs}


STRATEGIES = _by_kind(
    Plug(ScreenOptions, "alloyloop.agent.strategies.screening:Screening"),
    Plug(LatentRegionOptions, "alloyloop.agent.strategies.latent_region:LatentRegion"),
    Plug(NudgeOptions, "alloyloop.agent.strategies.nudge:Nudge"),
    Plug(BotorchOptions, "alloyloop.agent.strategies.ensemble_bo:EnsembleBO"),
    Plug(BotorchGPOptions, "alloyloop.agent.strategies.latent_bo:LatentBO"),
    Plug(RandomLatentOptions, "alloyloop.agent.strategies.latent_bo:RandomLatent"),
    Plug(ForestOptions, "alloyloop.agent.strategies.forest:ForestAcquisition"),
    Plug(RandomOptions, "alloyloop.agent.strategies.random_pick:RandomPick"),
)
LABELERS = _by_kind(
    Plug(LabOptions, "alloyloop.agent.labelers.lab:LabLabeler"),
    Plug(ReplayOptions, "alloyloop.agent.labelers.replay:ReplayOracle"),
    Plug(CalphadOptions, "alloyloop.agent.labelers.calphad:CalphadLabeler"),
)

StrategyOptions = Union[tuple(p.options for p in STRATEGIES.values())]  # noqa: UP007
"""Any strategy's options; the converter tags them with ``kind``."""
LabelerOptions = Union[tuple(p.options for p in LABELERS.values())]  # noqa: UP007
"""Any labeler's options; the converter tags them with ``kind``."""

for _union in (StrategyOptions, LabelerOptions):
    configure_tagged_union(_union, converter, tag_generator=lambda cls: cls.kind, tag_name="kind")
