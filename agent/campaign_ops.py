"""Campaign service functions that need no flow run: create, read the spec, summarize
rounds, decide whether the label-count trigger fires, find reports.

The CLI's quick commands (``campaign create / status / suggestions``, ``report``) use only
these, so they never start Prefect's temporary server (10-30 s per process).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from alloyloop.db.suggestion_links import SIMULATED_PREFIX as REPLAY_PREFIX
from alloyloop.campaigns.spec import CampaignSpec, parse_spec
from alloyloop.db.current_labels import suggestion_labels
from alloyloop.db.campaigns import (
    create_campaign,
    get_campaign,
    get_model_version,
    list_suggestions,
    pending_suggestions,
    reports,
    rounds,
)
from alloyloop.db.label_reads import labels_entered_since
from alloyloop.db.records import CampaignRecord, RoundRecord, SuggestionRecord
from alloyloop.db.session import Session
from alloyloop.db.status import RoundStatus
from alloyloop.featurize.outcomes import Outcome
from alloyloop.models.target import is_hit

REPORT_KIND = "round-report"


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars made plain and non-finite floats made None (the store's
    JSON columns refuse NaN on PostgreSQL)."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def create_from_spec(session: Session, spec: CampaignSpec) -> CampaignRecord:
    """Store a new campaign with its validated spec."""
    return create_campaign(session, spec.name, spec.to_dict())


def spec_of(session: Session, campaign: str) -> CampaignSpec:
    """The campaign's spec, validated again (the code may have moved on since it was stored)."""
    record = get_campaign(session, campaign)
    return parse_spec(record.spec, source=f"stored spec of campaign {campaign!r}")


def last_completed(session: Session, campaign: str) -> RoundRecord | None:
    done = [r for r in rounds(session, campaign) if r.status == RoundStatus.COMPLETED.value]
    return done[-1] if done else None


def latest_checkpoint(session: Session, campaign: str) -> tuple[int, str]:
    """``(round index, checkpoint folder)`` of the campaign's last completed round (what
    ``alloyloop screen`` scores with); a ``ValueError`` naming the fix when it has none or the
    folder is gone."""
    last = last_completed(session, campaign)
    if last is None or last.model_version_id is None:
        raise ValueError(f"campaign {campaign!r} has no completed round, so no model to screen with: "
                         f"run `alloyloop campaign run {campaign}` first")
    path = get_model_version(session, last.model_version_id).checkpoint_path
    if not (Path(path) / "meta.json").is_file():
        raise ValueError(f"the checkpoint of round {last.index} of {campaign!r} is missing at {path}: "
                         "restore the campaign folder where it was, or run another round")
    return last.index, path


# --- label-count trigger -------------------------------------------------------------------
@dataclass(frozen=True)
class TriggerDecision:
    """Whether a round should start now, and why."""

    fire: bool
    reason: str
    new_labels: int


def new_labels_since(session: Session, since: datetime, palette: tuple[str, ...],
                     campaign: str) -> int:
    """Labels stored after ``since`` on alloys of the ``palette``'s elements, not counting
    labels simulated for other campaigns."""
    rows = labels_entered_since(session, since)
    allowed, own = set(palette), f"{REPLAY_PREFIX}{campaign}/"
    return sum(1 for ext, elements in rows
               if set(elements.split("-")) <= allowed
               and not (ext and ext.startswith(REPLAY_PREFIX) and not ext.startswith(own)))


def trigger_decision(session: Session, campaign: str) -> TriggerDecision:
    """The label-count trigger: fire when ``[retrain] every_n_labels`` new labels (default 1)
    arrived since the last completed round started; also to resume a crashed round or to
    run the first one."""
    spec = spec_of(session, campaign)
    all_rounds = rounds(session, campaign)
    running = [r for r in all_rounds if r.status == RoundStatus.RUNNING.value]
    if running:
        return TriggerDecision(True, f"round {running[0].index} did not finish: resume it", 0)
    done = last_completed(session, campaign)
    if done is None:
        return TriggerDecision(True, "no completed round yet", 0)
    need = spec.retrain.every_n_labels or 1
    n = new_labels_since(session, done.started_at, spec.model.palette, campaign)
    if n >= need:
        return TriggerDecision(True, f"{n} new label(s) since round {done.index} (trigger: {need})", n)
    return TriggerDecision(False, f"{n} new label(s) since round {done.index}; waiting for {need}", n)


# --- summaries -----------------------------------------------------------------------------
@dataclass(frozen=True)
class RoundSummary:
    """One round at a glance (the demo's and ``campaign status``'s rows)."""

    index: int
    status: str
    suggestions: int
    labelled: int
    failed: int
    pending: int
    hits: int
    mean_p_single: float | None
    val_auc: float | None
    val_balanced_accuracy: float | None
    val_ece: float | None
    warm_start: bool | None
    report: str | None
    seconds: float | None


def round_report_path(session: Session, round_id: int) -> str | None:
    found = [r for r in reports(session, round_id) if r.kind == REPORT_KIND]
    return found[-1].path if found else None


def summarize_round(session: Session, record: RoundRecord, *, target: str) -> RoundSummary:
    """One round's counts; a hit is a suggestion whose current label is a hit for the
    campaign's ``target`` (:func:`alloyloop.models.target.is_hit`: single-phase, or
    single-phase of the target structure)."""
    sugg = list_suggestions(session, round_id=record.id)
    answers = suggestion_labels(session, sugg)  # corrections count: the current label
    metrics: dict[str, Any] = {}
    warm = None
    if record.model_version_id is not None:
        mv = get_model_version(session, record.model_version_id)
        metrics = mv.metrics
        warm = bool(mv.config.get("warm_start", {}).get("used"))
    p = [s.p_single for s in sugg if s.p_single is not None]
    seconds = ((record.finished_at - record.started_at).total_seconds()
               if record.finished_at is not None else None)
    return RoundSummary(
        index=record.index, status=record.status, suggestions=len(sugg),
        labelled=sum(s.status == "labelled" for s in sugg),
        failed=sum(s.status == "failed" for s in sugg),
        pending=sum(s.status in ("queued", "synthesized") for s in sugg),
        hits=sum(is_hit(answers[s.id].outcome == Outcome.SINGLE, answers[s.id].phases, target)
                 for s in sugg if s.id in answers),
        mean_p_single=float(np.mean(p)) if p else None,
        val_auc=metrics.get("val_auc"), val_balanced_accuracy=metrics.get("val_balanced_accuracy"),
        val_ece=metrics.get("val_ece"), warm_start=warm,
        report=round_report_path(session, record.id), seconds=seconds)


def campaign_summaries(session: Session, campaign: str) -> list[RoundSummary]:
    target = spec_of(session, campaign).goal.target
    return [summarize_round(session, r, target=target) for r in rounds(session, campaign)]


@dataclass(frozen=True)
class CampaignStatus:
    """``alloyloop campaign status``: the campaign, its spec, rounds, trigger and the
    suggestions in the lab (queued or synthesized)."""

    record: CampaignRecord
    spec: CampaignSpec
    summaries: list[RoundSummary]
    trigger: TriggerDecision
    pending: list[SuggestionRecord]


def campaign_status(session: Session, campaign: str) -> CampaignStatus:
    """A campaign at a glance (NotFound if there is none; SpecError if its stored spec no longer reads)."""
    record = get_campaign(session, campaign)
    return CampaignStatus(record, spec_of(session, campaign), campaign_summaries(session, campaign),
                          trigger_decision(session, campaign), pending_suggestions(session, campaign))


def campaign_suggestions(session: Session, campaign: str, round_index: int | None = None
                         ) -> list[tuple[int, SuggestionRecord]]:
    """(round index, suggestion) pairs of a campaign, optionally of one round."""
    index_of = {r.id: r.index for r in rounds(session, campaign)}
    found = list_suggestions(session, campaign=campaign)
    pairs = [(index_of[s.round_id], s) for s in found]
    return [p for p in pairs if round_index is None or p[0] == round_index]


def report_for(session: Session, campaign: str, round_index: int | None = None) -> Path:
    """The HTML report of a round (default: the newest round that has one).

    Raises:
        LookupError: no such round or no report yet (the message says what to run).
    """
    all_rounds = rounds(session, campaign)
    chosen = [r for r in all_rounds if round_index is None or r.index == round_index]
    if round_index is not None and not chosen:
        known = ", ".join(str(r.index) for r in all_rounds) or "none yet"
        raise LookupError(f"campaign {campaign!r} has no round {round_index} (rounds: {known})")
    for record in reversed(chosen):
        path = round_report_path(session, record.id)
        if path is not None:
            return Path(path)
    raise LookupError(f"no report yet for campaign {campaign!r}"
                      + (f" round {round_index}" if round_index is not None else "")
                      + f": run `alloyloop campaign run {campaign}`")
