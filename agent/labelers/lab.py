"""The lab labeler: people make the alloys and enter their labels; this labeler waits.

Labels reach the store through ``alloyloop label add`` / ``label import``; the next round
trains on them (the resolver picks them up) and the label-count trigger counts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alloyloop.agent.labelers import ALL_LABELS, LabelResult, TrainingView
from alloyloop.campaigns.options.labelers import LabOptions
from alloyloop.campaigns.spec import CampaignSpec
from alloyloop.db.records import SuggestionRecord


@dataclass(frozen=True)
class LabLabeler:
    """Returns no results: the suggestions stay open until people label them."""

    name: str = "lab"
    automatic: bool = False

    @classmethod
    def from_options(cls, options: LabOptions, spec: CampaignSpec) -> LabLabeler:
        return cls()

    @property
    def training_view(self) -> TrainingView:
        return ALL_LABELS

    def label(self, suggestions: Sequence[SuggestionRecord]) -> list[LabelResult]:
        return []

    def describe(self, results: Sequence[LabelResult]) -> dict[str, Any]:
        return {}
