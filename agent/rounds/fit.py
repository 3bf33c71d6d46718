"""Fit a round's DVAE and register it: the checkpoint cache and the warm start.

The round folder's checkpoint is the cache: a checkpoint whose ``fit.json`` is written
(after the checkpoint itself) is complete, and a rerun of the round loads it instead of
fitting again. The fit warm-starts from the newest completed round's checkpoint when the
spec asks for it. Registering attaches a ModelVersion (checkpoint folder + SHA-256 of its
``meta.json``, which holds the SHA-256 of every tensor file) to the round in one
transaction, once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from alloyloop.agent.campaign_ops import json_safe
from alloyloop.agent.faults import kill_point
from alloyloop.agent.rounds.start import RoundStart
from alloyloop.agent.training_data import RoundData, check_design_route
from alloyloop.db.campaigns import attach_model, file_sha256, get_model_version, register_model_version, rounds
from alloyloop.db.engine import WRITE_OPTION
from alloyloop.db.records import ModelVersionRecord
from alloyloop.db.session import SessionFactory
from alloyloop.db.status import RoundStatus
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.warm_start import WarmStart

MODEL_DIR = "model"
FIT_FILE = "fit.json"


@dataclass(frozen=True)
class Fitted:
    """A round's model, its checkpoint folder and how it was warm-started."""

    model: DisentangledVAE
    checkpoint: Path
    warm: WarmStart


def previous_checkpoint(sessions: SessionFactory, campaign: str, index: int) -> str | None:
    """The checkpoint of the campaign's newest completed round before ``index``."""
    with sessions() as session:
        earlier = [r for r in rounds(session, campaign)
                   if r.index < index and r.model_version_id is not None
                   and r.status == RoundStatus.COMPLETED.value]
        if not earlier:
            return None
        return get_model_version(session, earlier[-1].model_version_id).checkpoint_path


def cached_fit(start: RoundStart, home: str | None) -> Fitted | None:
    """The round's complete checkpoint from an earlier run, if there is one."""
    folder = start.folder(home)
    checkpoint, fit_file = folder / MODEL_DIR, folder / FIT_FILE
    if not ((checkpoint / "meta.json").is_file() and fit_file.is_file()):
        return None
    warm = WarmStart(**json.loads(fit_file.read_text(encoding="utf-8"))["warm_start"])
    return Fitted(DisentangledVAE.load(checkpoint), checkpoint, warm)


def fit_model(sessions: SessionFactory, start: RoundStart, data: RoundData, home: str | None
              ) -> Fitted:
    """Fit (or, on a rerun, load) the round's DVAE.

    With ``[model] processing`` the model is fitted on the labels' routes and designs for
    the spec's route (``DisentangledVAE(..., design_processing=route)``, saved in the
    checkpoint): the strategies then score every candidate for that route.

    Raises:
        ValueError: no training label has the spec's route
            (:func:`alloyloop.agent.training_data.check_design_route`).
    """
    cached = cached_fit(start, home)
    if cached is not None:
        return cached
    spec, rnd = start.spec, start.round
    route = spec.model.processing
    if route is not None:
        check_design_route(data, route)
    previous = previous_checkpoint(sessions, spec.name, rnd.index) if spec.model.warm_start else None
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
    folder = start.folder(home)
    model.save(folder / MODEL_DIR)
    kill_point("fit")  # crash tests: checkpoint on disk, not yet marked complete
    (folder / FIT_FILE).write_text(json.dumps({"warm_start": warm.to_dict(), "data_hash": rnd.data_hash},
                                              indent=2) + "\n", encoding="utf-8")
    return Fitted(model, folder / MODEL_DIR, warm)


def register_model(sessions: SessionFactory, start: RoundStart, fitted: Fitted) -> ModelVersionRecord:
    """Register the checkpoint as a ModelVersion and attach it to the round (atomically,
    once: a rerun returns the version already attached)."""
    rnd, model = start.round, fitted.model
    with sessions() as session:
        current = next(r for r in rounds(session, start.spec.name) if r.id == rnd.id)
        if current.model_version_id is not None:
            return get_model_version(session, current.model_version_id)
    digest = file_sha256(fitted.checkpoint / "meta.json")
    config = json_safe({**model.config.to_dict(), "elements": list(model.elements),
                        "seed": model.seed, "warm_start": fitted.warm.to_dict(),
                        "data_hash": rnd.data_hash, "sha256_of": "meta.json"})
    with sessions() as session, session.begin():
        # one transaction for both: a crash cannot leave a version that no round cites
        session.connection(execution_options={WRITE_OPTION: True})  # SQLite: BEGIN IMMEDIATE
        version = register_model_version(session, f"{start.spec.name}/round-{rnd.index}",
                                         fitted.checkpoint, sha256=digest, config=config,
                                         metrics=json_safe(model.metrics))
        attach_model(session, rnd.id, version.id)
    return version
