"""A round's batch: the spec's strategy mix, stored all or nothing.

The suggestions stored for the round are its durable result: a rerun returns them and
composes nothing. The batch's notes (a strategy that made fewer suggestions than asked, the
greedy fill) go to the round folder's ``batch.json`` before the suggestions are stored.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from alloyloop.agent.batch import compose_batch, suggestion_inputs
from alloyloop.agent.campaign_calibration import (
    OwnRecordCalibration, calibrated_inputs, fit_calibration, own_record,
)
from alloyloop.agent.discovery import LabelledSuggestion, labelled_suggestions
from alloyloop.agent.faults import armed, kill_point
from alloyloop.agent.rounds.start import RoundStart
from alloyloop.agent.suggestion import Observations
from alloyloop.agent.training_data import RoundData
from alloyloop.campaigns.options.calibration import CalibrationSpec
from alloyloop.db.campaigns import add_suggestions, list_suggestions
from alloyloop.db.flush_hooks import on_suggestion_events_flushed
from alloyloop.db.records import SuggestionRecord
from alloyloop.db.session import Session, SessionFactory
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.target import SINGLE

BATCH_FILE = "batch.json"


def batch_notes(folder: Path) -> list[str]:
    """What the batch step noted, from the round folder's ``batch.json``."""
    file = folder / BATCH_FILE
    return json.loads(file.read_text(encoding="utf-8"))["notes"] if file.is_file() else []


def suggest_batch(sessions: SessionFactory, start: RoundStart, model: DisentangledVAE,
                  data: RoundData, home: str | None) -> list[SuggestionRecord]:
    """The round's suggestions: stored ones on a rerun, else the strategy mix's batch."""
    spec, rnd = start.spec, start.round
    with sessions() as session:
        stored = list_suggestions(session, round_id=rnd.id)
        own = None if stored else own_labels(session, spec.name, data.keys)
        labelled = [] if stored else labelled_suggestions(session, spec.name, SINGLE)
        target = spec.goal.target
        on_target = [] if stored or target == SINGLE else labelled_suggestions(
            session, spec.name, target)
    if stored:
        return stored  # add_suggestions is all or nothing: these are the whole batch
    obs = Observations(elements=data.elements, X=data.X, y=data.y, keys=data.keys,
                       X_pending=data.X_pending, candidates=data.X_candidates,
                       phase4=data.phase4, own=own)
    with warnings.catch_warnings():
        # GPyTorch's Cholesky jitter and BoTorch's optimizer restarts are routine on
        # classifier-scored GP data; they would bury the CLI's progress output.
        warnings.filterwarnings("ignore", module=r"(linear_operator|gpytorch|botorch)(\..*)?$")
        batch = compose_batch(model, obs, spec.space, spec.strategies, seed=rnd.seed,
                              goal=spec.goal)
    folder = start.folder(home)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / BATCH_FILE).write_text(json.dumps({"notes": batch.notes}, indent=2) + "\n",
                                     encoding="utf-8")
    items = suggestion_inputs(batch)
    calibration = own_record_calibration(spec.calibration, labelled)
    if calibration is not None:  # what the store records; the strategies ranked by raw p
        items = calibrated_inputs(items, calibration, own_record_calibration(
            spec.calibration, on_target, target) if target != SINGLE else None)
    kill_point("acquisition")  # crash tests: batch composed, nothing stored
    with sessions() as session:
        _arm_persist_kill(session)
        return add_suggestions(session, rnd.id, items, by=f"alloyloop round {rnd.index}")


def own_labels(session: Session, campaign: str, keys: tuple[str, ...]) -> np.ndarray:
    """``(len(keys),)`` bool: which of the labelled alloys ``keys`` the campaign itself
    suggested, i.e. its own lab's answers (:attr:`Observations.own`; the failed-region
    rule counts only these, never the corpus's labels)."""
    suggested = {s.alloy_key for s in list_suggestions(session, campaign=campaign)}
    return np.array([k in suggested for k in keys], dtype=bool)


def own_record_calibration(options: CalibrationSpec, labelled: list[LabelledSuggestion],
                           target: str = SINGLE) -> OwnRecordCalibration | None:
    """The offset fitted on the campaign's ``labelled`` suggestions (their raw p's for
    ``target`` against their labels, 1 = a hit), or None when ``[calibration] enabled =
    false``."""
    if not options.enabled:
        return None
    p, y = own_record(labelled, target)
    return fit_calibration(p, y, options.prior_sd, options.slope_prior_sd)


def _arm_persist_kill(session: Session) -> None:
    """Crash tests (``ALLOYLOOP_TEST_KILL_AT=persist``): die once the batch's rows are
    flushed inside their transaction, before it commits."""
    if armed("persist"):
        on_suggestion_events_flushed(session, lambda: kill_point("persist"))
