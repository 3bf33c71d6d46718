"""The campaign loop as Prefect flows.

``run_round(campaign)``::

    begin round      snapshot of the store (training labels + pending) → data hash; start
                     the next round, or resume the running one if its data hash is unchanged
    training data    labelled / validation / unlabelled / pending matrices over the model palette
    fit              DVAE, semi-supervised, warm start from the previous round's checkpoint;
                     with ``[model] processing`` the labels' routes are an input and the
                     fitted model designs for the spec's route (saved in the checkpoint)
    register         ModelVersion (checkpoint folder + SHA-256 of its meta.json, which holds
                     the SHA-256 of every tensor file) attached to the round, in one transaction
    batch            the spec's strategy mix, pending suggestions excluded → Suggestions
    report           SHAP report on disk, linked from the round
    finish           round completed

Resuming after a crash: every step first looks for its own durable result, keyed by
(campaign, round, data hash): the checkpoint in the round's folder, the round's model
version, its suggestions (stored all or nothing), its report row. A rerun therefore
continues where the crash happened: the model is not refitted, no suggestion is stored
twice, and labels (which only ever enter the store, never leave it) cannot be lost. If the
data changed in between (new labels), the crashed round is closed as ``failed`` and a new
one starts on the new data. ``tests/flows/test_kill_rounds.py`` checks this with real
``SIGKILL``s at the crash points of :mod:`alloyloop.agent.faults` (inert unless
``ALLOYLOOP_TEST_KILL_AT`` is set).

Tasks that touch the store or disk retry (transient lock or I/O errors); results are passed
in process and never cached by Prefect (``NO_CACHE``): the durable keys above are the cache.

``label_round`` hands the round's open suggestions to the campaign's labeler;
``retrain_when_labels_arrive`` starts a round when the label-count trigger fires (this is
the flow ``alloyloop schedule`` serves on a cron schedule); ``run_campaign`` chains
rounds and labelling.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from alloyloop.agent import progress
from alloyloop.agent.faults import kill_point
from alloyloop.agent.campaign_ops import (
    REPORT_KIND,
    json_safe,
    round_report_path,
    spec_of,
    summarize_round,
    trigger_decision,
)
from alloyloop.agent.paths import round_dir
from alloyloop.campaigns.spec import CampaignSpec
from alloyloop.db.records import ModelVersionRecord, RoundRecord, SuggestionRecord
from alloyloop.db.session import store_session
from alloyloop.db.snapshot import Snapshot

if TYPE_CHECKING:  # heavy modules (torch) are imported inside the tasks that need them
    from alloyloop.agent.training_data import RoundData
    from alloyloop.models.dvae import DisentangledVAE
    from alloyloop.models.warm_start import WarmStart

RETRIES = 2
RETRY_DELAY_S = 1
MODEL_DIR = "model"
REPORT_DIR = "report"
FIT_FILE = "fit.json"
BATCH_FILE = "batch.json"


@dataclass(frozen=True)
class RoundStart:
    round: RoundRecord
    spec: CampaignSpec
    snapshot: Snapshot
    closed_keys: tuple[str, ...]
    """Alloys of the campaign's failed or abandoned suggestions: never suggested again."""
    resumed: bool


def round_data_hash(snapshot_hash: str, closed_keys: tuple[str, ...]) -> str:
    """The round's key: the store snapshot's hash, extended by the campaign's failed and
    abandoned alloys when there are any (they change what the strategies may suggest)."""
    if not closed_keys:
        return snapshot_hash
    text = snapshot_hash + "".join(f"\nX\t{k}" for k in sorted(closed_keys))
    return hashlib.sha256(text.encode()).hexdigest()


def _scope(rnd: RoundRecord) -> str:
    return f"round {rnd.index}"


def _folder(campaign: str, rnd: RoundRecord, home: str | None) -> Path:
    assert rnd.data_hash is not None
    return round_dir(campaign, rnd.index, rnd.data_hash, home)


# --- tasks ---------------------------------------------------------------------------------
@task(name="begin-round", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S, cache_policy=NO_CACHE)
def begin_round(campaign: str, url: str | None) -> RoundStart:
    """Snapshot the store and start (or resume) the campaign's round."""
    from alloyloop.db.campaigns import finish_round, list_suggestions, rounds, running_round, start_round
    from alloyloop.db.lifecycle import mark_stale
    from alloyloop.db.snapshot import take_snapshot
    from alloyloop.db.status import RoundStatus

    with store_session(url) as session:
        spec = spec_of(session, campaign)
        snap = take_snapshot(session, campaign)
        closed = tuple(sorted({s.alloy_key for s in list_suggestions(
            session, campaign=campaign, statuses=["failed", "abandoned"])}))
        data_hash = round_data_hash(snap.data_hash, closed)
        running = running_round(session, campaign)
        if running is not None and running.data_hash == data_hash:
            return RoundStart(running, spec, snap, closed, resumed=True)
        if running is not None:  # crashed on data that has changed since: start afresh
            mark_stale(session, running.id, note="round failed; its data changed before the rerun")
            finish_round(session, running.id, RoundStatus.FAILED)
        earlier = rounds(session, campaign)
        for old in earlier:  # suggestions nobody took to the lab are superseded by this round
            mark_stale(session, old.id, by="alloyloop")
        rnd = start_round(session, campaign, data_hash=data_hash,
                          seed=spec.model.seed + len(earlier))
        return RoundStart(rnd, spec, snap, closed, resumed=False)


@task(name="training-data", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S, cache_policy=NO_CACHE)
def training_data(start: RoundStart, url: str | None) -> RoundData:
    """The round's matrices: labelled (minus hidden / foreign simulated), validation,
    unlabelled, pending."""
    from alloyloop.agent.labelers import build_labeler
    from alloyloop.agent.labelers.replay import simulated_label_owners
    from alloyloop.agent.pool import load_pool
    from alloyloop.agent.training_data import round_data

    spec, rnd = start.spec, start.round
    view = build_labeler(spec).training_view
    with store_session(url) as session:
        owners = simulated_label_owners(session)
    return round_data(start.snapshot, spec.model.palette, spec.name, seed=rnd.seed,
                      val_fraction=spec.model.config().val_fraction,
                      use_unlabelled=spec.model.unlabelled,
                      max_unlabelled=spec.model.max_unlabelled, hidden_keys=view.hidden_keys,
                      simulated_owner=owners, closed_keys=start.closed_keys,
                      data_hash=rnd.data_hash,
                      pool=load_pool(spec.pool) if spec.pool is not None else None,
                      start_fraction=view.start_fraction, start_seed=view.start_seed)


def _previous_checkpoint(url: str | None, campaign: str, index: int) -> str | None:
    from alloyloop.db.campaigns import get_model_version, rounds

    with store_session(url) as session:
        earlier = [r for r in rounds(session, campaign)
                   if r.index < index and r.model_version_id is not None and r.status == "completed"]
        if not earlier:
            return None
        return get_model_version(session, earlier[-1].model_version_id).checkpoint_path


@task(name="fit-dvae", cache_policy=NO_CACHE)
def fit_model(start: RoundStart, data: RoundData, url: str | None, home: str | None
              ) -> tuple[DisentangledVAE, Path, WarmStart]:
    """Fit (or, on a rerun, load) the round's DVAE; returns (model, checkpoint dir, warm start).

    With ``[model] processing`` the model is fitted on the labels' routes and designs for
    the spec's route (``DisentangledVAE(..., design_processing=route)``, saved in the
    checkpoint): the strategies then score every candidate for that route.

    No retries: a fit is deterministic, so a failing one fails again.

    Raises:
        ValueError: no training label has the spec's route
            (:func:`alloyloop.agent.training_data.check_design_route`).
    """
    from alloyloop.agent.training_data import check_design_route
    from alloyloop.models.dvae import DisentangledVAE
    from alloyloop.models.warm_start import WarmStart

    spec, rnd = start.spec, start.round
    folder = _folder(spec.name, rnd, home)
    checkpoint = folder / MODEL_DIR
    fit_file = folder / FIT_FILE
    if (checkpoint / "meta.json").is_file() and fit_file.is_file():
        warm = WarmStart(**json.loads(fit_file.read_text(encoding="utf-8"))["warm_start"])
        return DisentangledVAE.load(checkpoint), checkpoint, warm
    route = spec.model.processing
    if route is not None:
        check_design_route(data, route)
    previous = _previous_checkpoint(url, spec.name, rnd.index) if spec.model.warm_start else None
    config = spec.model.config()
    if spec.model.warm_start_max_epochs is not None:
        config = replace(config, warm_start_max_epochs=spec.model.warm_start_max_epochs)
    labels = data.model_labels(config.label)  # 0/1, or phase4 words for a phase4 model
    routes = data.processing
    model = DisentangledVAE(config, elements=data.elements, seed=rnd.seed,
                            design_processing=route).fit(
        data.X_train, labels[data.train],
        X_unlabelled=data.X_unlabelled if len(data.X_unlabelled) else None,
        X_val=data.X_val, y_val=labels[data.val], init_from=previous,
        processing=None if routes is None else routes[data.train],
        processing_val=None if routes is None else routes[data.val])
    warm = (model.warm_start if previous is not None
            else WarmStart(False, None, "first model of the campaign" if spec.model.warm_start
                           else "warm start is off in the spec"))
    model.save(checkpoint)
    kill_point("fit")  # crash tests: checkpoint on disk, not yet marked complete
    fit_file.write_text(json.dumps({"warm_start": warm.to_dict(), "data_hash": rnd.data_hash},
                                   indent=2) + "\n", encoding="utf-8")
    return model, checkpoint, warm


@task(name="register-model", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S, cache_policy=NO_CACHE)
def register_model(start: RoundStart, model: DisentangledVAE, checkpoint: Path, warm: WarmStart,
                   url: str | None) -> ModelVersionRecord:
    """Register the checkpoint as a ModelVersion and attach it to the round (atomically)."""
    from alloyloop.db.campaigns import attach_model, file_sha256, get_model_version, register_model_version
    from alloyloop.db.campaigns import rounds as list_rounds
    from alloyloop.db.engine import WRITE_OPTION

    rnd = start.round
    with store_session(url) as session:
        current = next(r for r in list_rounds(session, start.spec.name) if r.id == rnd.id)
        if current.model_version_id is not None:
            return get_model_version(session, current.model_version_id)
    digest = file_sha256(Path(checkpoint) / "meta.json")
    config = json_safe({**model.config.to_dict(), "elements": list(model.elements),
                        "seed": model.seed, "warm_start": warm.to_dict(),
                        "data_hash": rnd.data_hash, "sha256_of": "meta.json"})
    with store_session(url) as session, session.begin():
        # one transaction for both: a crash cannot leave a version that no round cites
        session.connection(execution_options={WRITE_OPTION: True})  # SQLite: BEGIN IMMEDIATE
        version = register_model_version(session, f"{start.spec.name}/round-{rnd.index}",
                                         checkpoint, sha256=digest, config=config,
                                         metrics=json_safe(model.metrics))
        attach_model(session, rnd.id, version.id)
    return version


@task(name="suggest-batch", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S, cache_policy=NO_CACHE)
def suggest_batch(start: RoundStart, model: DisentangledVAE, data: RoundData, url: str | None,
                  home: str | None) -> list[SuggestionRecord]:
    """The round's suggestions: stored ones on a rerun, else the strategy mix's batch."""
    from alloyloop.agent.batch import compose_batch, suggestion_inputs
    from alloyloop.agent.suggestion import Observations, target_outcomes
    from alloyloop.db.campaigns import add_suggestions, list_suggestions

    spec, rnd = start.spec, start.round
    with store_session(url) as session:
        stored = list_suggestions(session, round_id=rnd.id)
    if stored:
        return stored  # add_suggestions is all or nothing: these are the whole batch
    obs = Observations(elements=data.elements, X=data.X, y=data.y, keys=data.keys,
                       X_pending=data.X_pending, candidates=data.X_candidates,
                       y_target=target_outcomes(data.phase4, spec.goal.target))
    with warnings.catch_warnings():
        # GPyTorch's Cholesky jitter and BoTorch's optimizer restarts are routine on
        # classifier-scored GP data; they would bury the CLI's progress output.
        warnings.filterwarnings("ignore", module=r"(linear_operator|gpytorch|botorch)(\..*)?$")
        batch = compose_batch(model, obs, spec.space, spec.strategies, seed=rnd.seed,
                              goal=spec.goal)
    folder = _folder(spec.name, rnd, home)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / BATCH_FILE).write_text(json.dumps({"notes": batch.notes}, indent=2) + "\n",
                                     encoding="utf-8")
    kill_point("acquisition")  # crash tests: batch composed, nothing stored
    with store_session(url) as session:
        _arm_persist_kill(session)
        return add_suggestions(session, rnd.id, suggestion_inputs(batch),
                               by=f"alloyloop round {rnd.index}")


def _arm_persist_kill(session: Any) -> None:
    """Crash tests (``ALLOYLOOP_TEST_KILL_AT=persist``): die once the batch's rows are
    flushed inside their transaction, before it commits."""
    from alloyloop.agent.faults import armed

    if not armed("persist"):
        return
    from sqlalchemy import event

    from alloyloop.db.models import SuggestionEvent

    def after_flush(sess: Any, _context: Any) -> None:
        if any(isinstance(obj, SuggestionEvent) for obj in sess.new):
            kill_point("persist")

    event.listen(session, "after_flush", after_flush)


def _previous_importance(url: str | None, campaign: str, index: int) -> dict[str, float] | None:
    from alloyloop.agent.report.round_report import read_importance
    from alloyloop.db.campaigns import rounds

    with store_session(url) as session:
        earlier = [r for r in rounds(session, campaign) if r.index < index and r.status == "completed"]
        for r in reversed(earlier):
            path = round_report_path(session, r.id)
            if path is not None:
                return read_importance(Path(path).parent)
    return None


@task(name="round-report", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S, cache_policy=NO_CACHE)
def write_report(start: RoundStart, model: DisentangledVAE, data: RoundData,
                 suggestions: list[SuggestionRecord], version: ModelVersionRecord, warm: WarmStart,
                 url: str | None, home: str | None) -> str:
    """Write the round's report files and link them from the round (once)."""
    from alloyloop.agent.report import round_report
    from alloyloop.agent.report.calphad_agreement import calphad_vs_experiment
    from alloyloop.agent.report.xrd_patterns import round_xrd_labels
    from alloyloop.db.campaigns import add_report
    from alloyloop.db.campaigns import rounds as list_rounds

    spec, rnd = start.spec, start.round
    folder = _folder(spec.name, rnd, home)
    with store_session(url) as session:
        linked = round_report_path(session, rnd.id)
    if linked is not None and Path(linked).is_file():
        return linked
    notes = batch_notes(folder)
    info = {"campaign": spec.name, "round": rnd.index, "seed": rnd.seed,
            "data hash": rnd.data_hash, "model version": f"#{version.id} {version.name}",
            "checkpoint": version.checkpoint_path, "checkpoint sha256 (meta.json)": version.sha256,
            "warm start": f"{'yes' if warm.used else 'no'}: {warm.reason}",
            "notes": notes}
    with store_session(url) as session:
        agreement = calphad_vs_experiment(session, spec.model.palette)
        earlier = [asdict(summarize_round(session, r)) for r in list_rounds(session, spec.name)
                   if r.index < rnd.index]
        xrd_labels = round_xrd_labels(session, spec.name, rnd.index)
    files = round_report.write_round_report(
        model, data, suggestions, folder / REPORT_DIR, info=info,
        previous_importance=_previous_importance(url, spec.name, rnd.index),
        shap_rows=spec.report.shap_rows, shap_background=spec.report.shap_background,
        seed=rnd.seed, agreement=agreement, objectives=spec.goal.objectives,
        target=spec.goal.target, design_palette=spec.space.palette,
        processing=data.processing_counts(), design_route=spec.model.processing,
        earlier_rounds=earlier, xrd_labels=xrd_labels)
    kill_point("report")  # crash tests: report files written, not linked
    if linked is None:
        with store_session(url) as session:
            add_report(session, rnd.id, files.html, kind=REPORT_KIND)
    return str(files.html)


@task(name="finish-round", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S, cache_policy=NO_CACHE)
def finish(start: RoundStart, url: str | None) -> RoundRecord:
    """Close the round as completed (a no-op if a previous run already did)."""
    from alloyloop.db.campaigns import finish_round, rounds

    with store_session(url) as session:
        current = next(r for r in rounds(session, start.spec.name) if r.id == start.round.id)
        if current.status != "running":
            return current
        return finish_round(session, start.round.id)


@task(name="label-suggestions", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S, cache_policy=NO_CACHE)
def label_suggestions(campaign: str, round_index: int | None, url: str | None) -> dict[str, Any]:
    """Give the round's open suggestions to the campaign's labeler and store its results."""
    from alloyloop.agent.labelers import build_labeler
    from alloyloop.agent.labelers.apply import apply_labels
    from alloyloop.db.campaigns import list_suggestions, rounds
    from alloyloop.db.status import TO_LABEL

    with store_session(url) as session:
        spec = spec_of(session, campaign)
        all_rounds = rounds(session, campaign)
        chosen = [r for r in all_rounds if round_index is None or r.index == round_index]
        if not chosen:
            raise ValueError(f"campaign {campaign!r} has no round {round_index} to label")
        rnd = chosen[-1]
        open_ = list_suggestions(session, round_id=rnd.id, statuses=sorted(s.value for s in TO_LABEL))
    labeler = build_labeler(spec)
    results = labeler.label(open_)
    with store_session(url) as session:
        applied = apply_labels(session, rnd.id, results, by=f"{labeler.name} labeler")
    return {"round": rnd.index, "labeler": labeler.name, "open": len(open_),
            "labelled": applied.labelled, "failed": applied.failed}


# --- flows ---------------------------------------------------------------------------------
def batch_notes(folder: Path) -> list[str]:
    """What the batch step noted (a strategy that made fewer suggestions than asked, and
    the greedy fill), from the round folder's ``batch.json``."""
    file = folder / BATCH_FILE
    return json.loads(file.read_text(encoding="utf-8"))["notes"] if file.is_file() else []


@flow(name="campaign-round", flow_run_name="{campaign}")
def run_round(campaign: str, url: str | None = None, home: str | None = None) -> dict[str, Any]:
    """One round of the loop (see the module docstring); returns its summary."""
    progress.step(campaign, "snapshot of the store")
    start = begin_round(campaign, url)
    scope = _scope(start.round)
    progress.step(scope, "resuming: training data" if start.resumed else "training data")
    data = training_data(start, url)
    progress.step(scope, "fitting the DVAE")
    model, checkpoint, warm = fit_model(start, data, url, home)
    progress.step(scope, "registering the model")
    version = register_model(start, model, checkpoint, warm, url)
    progress.step(scope, "suggesting a batch")
    suggestions = suggest_batch(start, model, data, url, home)
    progress.step(scope, "SHAP report")
    write_report(start, model, data, suggestions, version, warm, url, home)
    record = finish(start, url)
    progress.step(scope, "done")
    with store_session(url) as session:
        summary = summarize_round(session, record)
    notes = batch_notes(_folder(start.spec.name, start.round, home))
    return {**asdict(summary), "resumed": start.resumed, "notes": notes}


@flow(name="campaign-label", flow_run_name="{campaign}")
def label_round(campaign: str, round_index: int | None = None, url: str | None = None) -> dict[str, Any]:
    """Hand a round's open suggestions (default: the newest round's) to the campaign's labeler.

    The calphad labeler runs as its own subflow: one Prefect task per candidate, as many at
    once as it has worker processes (:mod:`alloyloop.agent.calphad.tasks`)."""
    progress.step(campaign, "labelling")
    with store_session(url) as session:
        labeler = spec_of(session, campaign).labeler
    if labeler.kind == "calphad":
        from alloyloop.agent.calphad.tasks import run_calphad_labelling

        return run_calphad_labelling(campaign, round_index, url, labeler.workers)
    return label_suggestions(campaign, round_index, url)


@flow(name="campaign-retrain-trigger", flow_run_name="{campaign}")
def retrain_when_labels_arrive(campaign: str, url: str | None = None, home: str | None = None
                               ) -> dict[str, Any]:
    """Start a round if the campaign's label-count trigger fires (the scheduled flow); an
    automatic labeler (replay) then labels its batch, so such a campaign keeps going."""
    from alloyloop.agent.labelers import build_labeler

    with store_session(url) as session:
        decision = trigger_decision(session, campaign)
        spec = spec_of(session, campaign)
    result: dict[str, Any] = {"fired": decision.fire, "reason": decision.reason,
                              "new_labels": decision.new_labels}
    if decision.fire:
        summary = run_round(campaign, url, home)
        if build_labeler(spec).automatic:
            summary["labelling"] = label_round(campaign, summary["index"], url)
            summary.update(_after_labelling(url, campaign, summary["index"]))
        result["round"] = summary
    return result


def _after_labelling(url: str | None, campaign: str, index: int) -> dict[str, Any]:
    """A round's counts that labelling changes."""
    from alloyloop.db.campaigns import rounds as list_rounds

    with store_session(url) as session:
        record = next(r for r in list_rounds(session, campaign) if r.index == index)
        after = asdict(summarize_round(session, record))
    return {k: after[k] for k in ("labelled", "failed", "hits", "pending")}


@flow(name="campaign-run", flow_run_name="{campaign}")
def run_campaign(campaign: str, rounds: int = 1, url: str | None = None, home: str | None = None
                 ) -> list[dict[str, Any]]:
    """``rounds`` rounds, each followed by the labeler (an automatic one labels at once)."""
    summaries = []
    for _ in range(rounds):
        summary = run_round(campaign, url, home)
        summary["labelling"] = label_round(campaign, summary["index"], url)
        summary.update(_after_labelling(url, campaign, summary["index"]))
        summaries.append(summary)
    return summaries
