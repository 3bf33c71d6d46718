"""The campaign loop as Prefect flows: thin orchestration over :mod:`alloyloop.agent.rounds`.

``run_round(campaign)``::

    begin round      snapshot of the store (training labels + pending) → data hash; start
                     the next round, or resume the running one if its data hash is unchanged
    training data    labelled / validation / unlabelled / pending matrices over the model
                     palette, as the labeler's training view allows
    fit              DVAE, semi-supervised, warm start from the previous round's checkpoint;
                     with ``[model] processing`` the labels' routes are an input and the
                     fitted model designs for the spec's route (saved in the checkpoint)
    register         ModelVersion (checkpoint folder + SHA-256 of its meta.json, which holds
                     the SHA-256 of every tensor file) attached to the round, in one transaction
    batch            the spec's strategy mix, pending suggestions excluded → Suggestions
    report           SHAP report on disk, linked from the round
    finish           round completed

Each step is a service of :mod:`alloyloop.agent.rounds` wrapped in a task; the order of the
steps is :func:`alloyloop.agent.rounds.runner.run_round`'s, which benchmarks run without
Prefect. Every flow run opens one engine (:func:`alloyloop.db.session.store_sessions`) and
the tasks take sessions from it.

Resuming after a crash: every step first looks for its own durable result, keyed by
(campaign, round, data hash): the checkpoint in the round's folder, the round's model
version, its suggestions (stored all or nothing), its report row. A rerun therefore
continues where the crash happened: the model is not refitted, no suggestion is stored
twice, and labels (which only ever enter the store, never leave it) cannot be lost. If the
data changed in between (new labels), the crashed round is closed as ``failed`` and a new
one starts on the new data. ``tests/agent/flows/test_kill_rounds.py`` checks this with real
``SIGKILL``s at the crash points of :mod:`alloyloop.agent.faults` (inert unless
``ALLOYLOOP_TEST_KILL_AT`` is set).

Tasks that touch the store or disk retry (transient lock or I/O errors); the fit and the
labeler's work do not (they are deterministic: a failing one fails again). Results are
passed in process and never cached by Prefect (``NO_CACHE``): the durable keys above are
the cache.

``label_round`` hands the round's open suggestions to the campaign's labeler (any kind,
through :mod:`alloyloop.agent.rounds.labelling`); ``retrain_when_labels_arrive`` starts a
round when the label-count trigger fires (this is the flow ``alloyloop schedule`` serves on
a cron schedule); ``run_campaign`` chains rounds and labelling.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from alloyloop.agent.rounds import data, fit, labelling, report, runner, start, suggest
from alloyloop.agent.rounds.fit import FIT_FILE, MODEL_DIR
from alloyloop.agent.rounds.report import REPORT_DIR
from alloyloop.agent.rounds.suggest import BATCH_FILE
from alloyloop.db.session import store_sessions

__all__ = ["BATCH_FILE", "FIT_FILE", "MODEL_DIR", "REPORT_DIR", "TASKS", "label_round",
           "retrain_when_labels_arrive", "run_campaign", "run_round"]

RETRIES = 2
RETRY_DELAY_S = 1


def _task(name: str, fn: Any, *, retries: int = RETRIES) -> Any:
    """``fn`` as a Prefect task: results passed in process, never cached."""
    return task(fn, name=name, retries=retries, retry_delay_seconds=RETRY_DELAY_S,
                cache_policy=NO_CACHE)


TASKS = runner.Steps(
    begin=_task("begin-round", start.begin_round),
    data=_task("training-data", data.training_data),
    fit=_task("fit-dvae", fit.fit_model, retries=0),
    register=_task("register-model", fit.register_model),
    suggest=_task("suggest-batch", suggest.suggest_batch),
    report=_task("round-report", report.write_report),
    finish=_task("finish-round", start.finish),
    find_open=_task("open-suggestions", labelling.open_suggestions),
    label=_task("label-suggestions", labelling.label_job, retries=0),
    store_labels=_task("store-labels", labelling.store_labels),
)
"""The round's services as Prefect tasks (:class:`alloyloop.agent.rounds.runner.Steps`)."""


@flow(name="campaign-round", flow_run_name="{campaign}")
def run_round(campaign: str, url: str | None = None, home: str | None = None) -> dict[str, Any]:
    """One round of the loop (see the module docstring); returns its summary."""
    with store_sessions(url) as sessions:
        return runner.run_round(sessions, campaign, home, TASKS)


@flow(name="campaign-label", flow_run_name="{campaign}")
def label_round(campaign: str, round_index: int | None = None, url: str | None = None) -> dict[str, Any]:
    """Hand a round's open suggestions (default: the newest round's) to the campaign's labeler."""
    with store_sessions(url) as sessions:
        return runner.label_round(sessions, campaign, round_index, TASKS)


@flow(name="campaign-retrain-trigger", flow_run_name="{campaign}")
def retrain_when_labels_arrive(campaign: str, url: str | None = None, home: str | None = None
                               ) -> dict[str, Any]:
    """Start a round if the campaign's label-count trigger fires (the scheduled flow); an
    automatic labeler (replay, CALPHAD) then labels its batch, so such a campaign keeps going."""
    with store_sessions(url) as sessions:
        return runner.retrain_when_labels_arrive(sessions, campaign, home, TASKS)


@flow(name="campaign-run", flow_run_name="{campaign}")
def run_campaign(campaign: str, rounds: int = 1, url: str | None = None, home: str | None = None
                 ) -> list[dict[str, Any]]:
    """``rounds`` rounds, each followed by the labeler (an automatic one labels at once)."""
    with store_sessions(url) as sessions:
        return runner.run_rounds(sessions, campaign, rounds, home, TASKS)
