"""A round's CALPHAD labelling as Prefect tasks: one task per candidate.

``calphad_labelling`` (a subflow of ``campaign-label``) reads the round's open suggestions,
starts the worker processes (a database pycalphad cannot load fails the flow here, before
any suggestion is touched), runs one ``calphad-equilibrium`` task per calculable
candidate on a thread pool of ``workers`` threads — one per worker process — and stores
the results through :func:`alloyloop.agent.labelers.apply.apply_labels`.

Time limits: the worker pool stops any single equilibrium that runs past ``timeout``
(the spec's per-calculation limit) by killing its process. Each task also carries a
Prefect timeout as a backstop: the per-calculation limit times the number of temperatures
plus a worker start. A task that fails or times out leaves its suggestion ``failed`` with
the reason; the others are stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from alloyloop.agent.calphad.pool import STARTUP_TIMEOUT_S, EquilibriumPool
from alloyloop.agent.labelers.calphad import DEFAULT_WORKERS, CalphadLabeler, Evaluation
from alloyloop.campaigns.spec import CampaignSpec
from alloyloop.db.records import SuggestionRecord
from alloyloop.db.status import TO_LABEL
from alloyloop.db.session import store_session

RETRIES = 2
RETRY_DELAY_S = 1
OPEN = sorted(s.value for s in TO_LABEL)


@dataclass(frozen=True)
class LabelJob:
    """The round to label, its campaign's spec and its open suggestions."""

    round_id: int
    round_index: int
    spec: CampaignSpec
    open: tuple[SuggestionRecord, ...]


@task(name="calphad-open-suggestions", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S,
      cache_policy=NO_CACHE)
def open_suggestions(campaign: str, round_index: int | None, url: str | None) -> LabelJob:
    """The round (default: the newest) and its suggestions still waiting for a label."""
    from alloyloop.agent.campaign_ops import spec_of
    from alloyloop.db.campaigns import list_suggestions, rounds

    with store_session(url) as session:
        spec = spec_of(session, campaign)
        chosen = [r for r in rounds(session, campaign) if round_index is None or r.index == round_index]
        if not chosen:
            raise ValueError(f"campaign {campaign!r} has no round {round_index} to label")
        rnd = chosen[-1]
        found = list_suggestions(session, round_id=rnd.id, statuses=OPEN)
    return LabelJob(rnd.id, rnd.index, spec, tuple(found))


@task(name="calphad-equilibrium", cache_policy=NO_CACHE,
      task_run_name="calphad-{suggestion.alloy_key}")
async def calphad_equilibrium(labeler: CalphadLabeler, pool: EquilibriumPool,
                              suggestion: SuggestionRecord) -> Evaluation:
    """One candidate's equilibria at every temperature (per-calculation limit in the pool).

    Async only so that Prefect's timeout can stop waiting (a sync task in a worker thread
    cannot be interrupted); the blocking wait for the worker process runs in a thread.
    """
    return await asyncio.to_thread(labeler.evaluate, pool, suggestion)


@task(name="calphad-store-labels", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S,
      cache_policy=NO_CACHE)
def store_results(round_id: int, results: list, by: str, url: str | None) -> dict[str, int]:
    """Labels and failures into the store (a rerun finishes what a crash left)."""
    from alloyloop.agent.labelers.apply import apply_labels

    with store_session(url) as session:
        applied = apply_labels(session, round_id, results, by=by)
    return {"labelled": applied.labelled, "failed": applied.failed}


def _backstop_s(labeler: CalphadLabeler) -> float:
    """Prefect's time limit of one candidate's task (the pool's limit is the real one)."""
    return labeler.timeout_s * len(labeler.temperatures) + STARTUP_TIMEOUT_S + 30


@flow(name="calphad-labelling", flow_run_name="{campaign}", validate_parameters=False)
def calphad_labelling(campaign: str, round_index: int | None = None, url: str | None = None
                      ) -> dict[str, Any]:
    """Label a round's open suggestions with pycalphad (see the module docstring)."""
    job = open_suggestions(campaign, round_index, url)
    labeler = CalphadLabeler.for_spec(job.spec)
    evaluations: dict[int, Evaluation] = {}
    todo = []
    for s in job.open:
        why = labeler.skip_reason(s)
        if why is None:
            todo.append(s)
        else:
            evaluations[s.id] = Evaluation(s.id, None, skipped=why)
    version = None
    if todo:
        with labeler.open_pool() as pool:
            pool.start(len(todo))
            equilibrium = calphad_equilibrium.with_options(timeout_seconds=_backstop_s(labeler))
            futures = [equilibrium.submit(labeler, pool, s) for s in todo]
            for s, future in zip(todo, futures):
                try:
                    evaluations[s.id] = future.result()
                except Exception as exc:  # noqa: BLE001 - the task failed: this alloy is not labelled
                    evaluations[s.id] = Evaluation(s.id, None, failed=f"task failed: {exc}")
            version = pool.version
    results = [labeler.result(evaluations[s.id], version) for s in job.open]
    stored = store_results(job.round_id, results, f"{labeler.name} labeler", url)
    seconds = [r.seconds for e in evaluations.values() for _, r in e.calculations
               if r.seconds is not None]
    return {"round": job.round_index, "labeler": labeler.name, "open": len(job.open), **stored,
            "skipped": sum(e.skipped is not None for e in evaluations.values()),
            "equilibria": len(seconds),
            "mean_equilibrium_s": sum(seconds) / len(seconds) if seconds else None}


def run_calphad_labelling(campaign: str, round_index: int | None, url: str | None,
                          workers: int | None) -> dict[str, Any]:
    """:func:`calphad_labelling` with one thread per worker process, so that a task starts
    only when a worker is free (and its Prefect time limit does not count the wait)."""
    runner = ThreadPoolTaskRunner(max_workers=workers or DEFAULT_WORKERS)
    return calphad_labelling.with_options(task_runner=runner)(campaign, round_index, url)
