"""Hand a campaign's open suggestions to a labeler and store what it found: the one path.

The round flow, the plain runner and ``alloyloop label calphad`` all label through here:
:func:`open_suggestions` (the round's suggestions in a :data:`~alloyloop.db.status.TO_LABEL`
status), the labeler's :meth:`~alloyloop.agent.labelers.Labeler.label`, then
:func:`store_labels` (:func:`alloyloop.agent.labelers.apply.apply_labels`, round by round,
which a rerun finishes without storing anything twice). No Prefect and no torch here: the
CLI labels without either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from alloyloop.agent.campaign_ops import spec_of
from alloyloop.agent.labelers import LabelResult, Labeler, build_labeler
from alloyloop.agent.labelers.apply import Applied, apply_labels
from alloyloop.campaigns.spec import CampaignSpec
from alloyloop.db.campaigns import list_suggestions, rounds
from alloyloop.db.records import SuggestionRecord
from alloyloop.db.session import SessionFactory
from alloyloop.db.status import TO_LABEL

TO_LABEL_VALUES = sorted(s.value for s in TO_LABEL)


@dataclass(frozen=True)
class LabelJob:
    """The open suggestions to label and the rounds they belong to.

    Attributes:
        round_index: the round asked for (None: every round of the campaign).
        index_of: round id -> round index, for every round of the campaign.
    """

    spec: CampaignSpec
    round_index: int | None
    index_of: dict[int, int]
    open: tuple[SuggestionRecord, ...]


@dataclass(frozen=True)
class Labelling:
    """A finished labelling: the job, the labeler's results (in the job's order) and what
    the store holds now."""

    job: LabelJob
    labeler: str
    results: tuple[LabelResult, ...]
    applied: Applied
    facts: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """``round``, ``labeler``, ``open``, ``labelled``, ``failed`` and the labeler's own facts."""
        return {"round": self.job.round_index, "labeler": self.labeler, "open": len(self.job.open),
                "labelled": self.applied.labelled, "failed": self.applied.failed, **self.facts}


def open_suggestions(sessions: SessionFactory, campaign: str, round_index: int | None = None,
                     *, newest: bool = True) -> LabelJob:
    """The open suggestions of round ``round_index``; without one, of the newest round
    (``newest``) or of every round.

    Raises:
        ValueError: the campaign has no such round (the message lists its rounds).
    """
    with sessions() as session:
        spec = spec_of(session, campaign)
        index_of = {r.id: r.index for r in rounds(session, campaign)}
        if round_index is None and newest and index_of:
            round_index = max(index_of.values())
        if (round_index is None and newest) or (round_index is not None
                                                and round_index not in index_of.values()):
            known = ", ".join(str(i) for i in sorted(index_of.values())) or "none yet"
            raise ValueError(f"campaign {campaign!r} has no round {round_index} (rounds: {known})")
        found = [s for s in list_suggestions(session, campaign=campaign, statuses=TO_LABEL_VALUES)
                 if round_index is None or index_of[s.round_id] == round_index]
    return LabelJob(spec, round_index, index_of, tuple(found))


def label_job(job: LabelJob, labeler: Labeler) -> list[LabelResult]:
    """The labeler's results for the job's suggestions."""
    return labeler.label(job.open)


def store_labels(sessions: SessionFactory, job: LabelJob, results: Sequence[LabelResult], *,
                 by: str) -> Applied:
    """Store the results, round by round (a rerun finishes what a crash left).

    Raises:
        ValueError: a result answers a suggestion the job did not give the labeler.
    """
    round_of = {s.id: s.round_id for s in job.open}
    stray = [r.suggestion_id for r in results if r.suggestion_id not in round_of]
    if stray:
        raise ValueError(f"suggestion {stray[0]} is not an open suggestion of this labelling: "
                         "a labeler answers only the suggestions it is given")
    labelled = failed = 0
    with sessions() as session:
        for round_id in dict.fromkeys(round_of.values()):
            applied = apply_labels(session, round_id,
                                   [r for r in results if round_of.get(r.suggestion_id) == round_id],
                                   by=by)
            labelled, failed = labelled + applied.labelled, failed + applied.failed
    return Applied(labelled=labelled, failed=failed)


def label_open(sessions: SessionFactory, campaign: str, labeler: Labeler | None = None,
               round_index: int | None = None, *, newest: bool = True, by: str | None = None,
               find: Callable[..., LabelJob] = open_suggestions,
               label: Callable[[LabelJob, Labeler], list[LabelResult]] = label_job,
               store: Callable[..., Applied] = store_labels) -> Labelling:
    """:func:`open_suggestions`, the labeler (default: the spec's), :func:`store_labels`.

    ``find``, ``label`` and ``store`` replace those three steps with callables of the same
    signature (the flows' Prefect tasks, which retry the store steps only)."""
    job = find(sessions, campaign, round_index, newest=newest)
    chosen = labeler or build_labeler(job.spec.labeler, job.spec)
    results = label(job, chosen)
    applied = store(sessions, job, results, by=by or f"{chosen.name} labeler")
    return Labelling(job, chosen.name, tuple(results), applied, chosen.describe(results))
