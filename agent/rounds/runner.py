"""A campaign's rounds in plain Python: the same services the Prefect flows run, no server.

:func:`run_round` is the round's steps in order (begin → training data → fit → register →
suggest → report → finish); :func:`label_round` hands the round's open suggestions to the
labeler; :func:`run_rounds` chains both, as :func:`alloyloop.agent.flows.run_campaign` does.
The steps are a :class:`Steps` table: :data:`SERVICES` calls the services directly (for
benchmarks and tests), :mod:`alloyloop.agent.flows` passes its Prefect tasks, so the order
of a round is written once.

Example::

    with store_sessions(url) as sessions:
        summaries = run_rounds(sessions, "demo", rounds=3)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alloyloop.agent import progress
from alloyloop.agent.campaign_ops import spec_of, trigger_decision
from alloyloop.agent.labelers import build_labeler
from alloyloop.agent.rounds.data import training_data
from alloyloop.agent.rounds.fit import fit_model, register_model
from alloyloop.agent.rounds.labelling import label_job, label_open, open_suggestions, store_labels
from alloyloop.agent.rounds.report import write_report
from alloyloop.agent.rounds.start import after_labelling, begin_round, finish, round_summary
from alloyloop.agent.rounds.suggest import batch_notes, suggest_batch
from alloyloop.db.session import SessionFactory


@dataclass(frozen=True)
class Steps:
    """The callables a round runs, one per service (same signatures)."""

    begin: Callable = begin_round
    data: Callable = training_data
    fit: Callable = fit_model
    register: Callable = register_model
    suggest: Callable = suggest_batch
    report: Callable = write_report
    finish: Callable = finish
    find_open: Callable = open_suggestions
    label: Callable = label_job
    store_labels: Callable = store_labels


SERVICES = Steps()
"""The services themselves: a round without Prefect."""


def run_round(sessions: SessionFactory, campaign: str, home: str | None = None,
              steps: Steps = SERVICES) -> dict[str, Any]:
    """One round (resumed if it crashed on the same data); returns its summary with
    ``resumed`` and the batch's ``notes``."""
    progress.step(campaign, "snapshot of the store")
    start = steps.begin(sessions, campaign)
    scope = start.scope
    progress.step(scope, "resuming: training data" if start.resumed else "training data")
    data = steps.data(start)
    progress.step(scope, "fitting the DVAE")
    fitted = steps.fit(sessions, start, data, home)
    progress.step(scope, "registering the model")
    version = steps.register(sessions, start, fitted)
    progress.step(scope, "suggesting a batch")
    suggestions = steps.suggest(sessions, start, fitted.model, data, home)
    progress.step(scope, "SHAP report")
    steps.report(sessions, start, fitted, data, suggestions, version, home)
    record = steps.finish(sessions, start)
    progress.step(scope, "done")
    return {**round_summary(sessions, record), "resumed": start.resumed,
            "notes": batch_notes(start.folder(home))}


def label_round(sessions: SessionFactory, campaign: str, round_index: int | None = None,
                steps: Steps = SERVICES) -> dict[str, Any]:
    """Hand a round's open suggestions (default: the newest round's) to the campaign's
    labeler; returns :meth:`Labelling.summary`."""
    progress.step(campaign, "labelling")
    return label_open(sessions, campaign, round_index=round_index, find=steps.find_open,
                      label=steps.label, store=steps.store_labels).summary()


def round_then_label(sessions: SessionFactory, campaign: str, home: str | None = None,
                     steps: Steps = SERVICES) -> dict[str, Any]:
    """A round, then its labelling, with the counts labelling changed."""
    summary = run_round(sessions, campaign, home, steps)
    summary["labelling"] = label_round(sessions, campaign, summary["index"], steps)
    summary.update(after_labelling(sessions, campaign, summary["index"]))
    return summary


def run_rounds(sessions: SessionFactory, campaign: str, rounds: int, home: str | None = None,
               steps: Steps = SERVICES) -> list[dict[str, Any]]:
    """``rounds`` rounds, each followed by the labeler (an automatic one labels at once)."""
    return [round_then_label(sessions, campaign, home, steps) for _ in range(rounds)]


def retrain_when_labels_arrive(sessions: SessionFactory, campaign: str, home: str | None = None,
                               steps: Steps = SERVICES) -> dict[str, Any]:
    """Start a round if the campaign's label-count trigger fires; an automatic labeler
    (replay, CALPHAD) then labels its batch, so such a campaign keeps going."""
    with sessions() as session:
        decision = trigger_decision(session, campaign)
        spec = spec_of(session, campaign)
    result: dict[str, Any] = {"fired": decision.fire, "reason": decision.reason,
                              "new_labels": decision.new_labels}
    if decision.fire:
        result["round"] = (round_then_label(sessions, campaign, home, steps)
                           if build_labeler(spec.labeler, spec).automatic
                           else run_round(sessions, campaign, home, steps))
    return result
