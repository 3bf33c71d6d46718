"""Campaigns, rounds, the model registry, suggestions and reports.

These are the records one round of the loop writes: a round is started (with its data
hash and seed), a model version is registered and attached to it, the strategy's
suggestions are stored (each with the model's view of it), a report is filed, and the
round is finished. Only one round per campaign runs at a time, so a crashed round is
found again (:func:`running_round`) instead of silently doubled.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alloyloop.db.alloys import ensure_alloys, parse_alloy
from alloyloop.db.errors import AlreadyExists, InvalidValue, NotFound
from alloyloop.db.models import Alloy, Campaign, ModelVersion, Report, Round, Suggestion, SuggestionEvent
from alloyloop.db.records import CampaignRecord, ModelVersionRecord, ReportRecord, RoundRecord, SuggestionRecord
from alloyloop.db.status import PENDING, CampaignStatus, RoundStatus, SuggestionStatus
from alloyloop.db.tx import run_write
from alloyloop.db.types import utcnow
from alloyloop.db.vocab import Outcome
from alloyloop.featurize.composition import ParsedComposition

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


# --- campaigns -------------------------------------------------------------------------

def _campaign(session: Session, name: str, *, lock: bool = False) -> Campaign:
    stmt = select(Campaign).where(Campaign.name == name)
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        names = session.execute(select(Campaign.name).order_by(Campaign.name)).scalars().all()
        known = ", ".join(names) if names else "none yet"
        raise NotFound(f"no campaign named {name!r} (known: {known}): create it first")
    return row


def create_campaign(session: Session, name: str, spec: Mapping[str, Any] | None = None) -> CampaignRecord:
    """Create a campaign with a unique name and its spec (a JSON-able mapping).

    Raises:
        InvalidValue: empty name.
        AlreadyExists: the name is taken.
    """
    clean = (name or "").strip()
    if not clean or len(clean) > 200:
        raise InvalidValue("campaign name", name, fix="give a name of 1 to 200 characters")

    def work() -> CampaignRecord:
        if session.execute(select(Campaign.id).where(Campaign.name == clean)).first():
            raise AlreadyExists(f"a campaign named {clean!r} exists: pick another name or resume it")
        row = Campaign(name=clean, spec=dict(spec or {}))
        session.add(row)
        session.flush()
        return CampaignRecord.from_row(row)

    return run_write(session, work)


def get_campaign(session: Session, name: str) -> CampaignRecord:
    return CampaignRecord.from_row(_campaign(session, name))


def list_campaigns(session: Session) -> list[CampaignRecord]:
    rows = session.execute(select(Campaign).order_by(Campaign.created_at, Campaign.id)).scalars()
    return [CampaignRecord.from_row(r) for r in rows]


def set_campaign_status(session: Session, name: str, status: CampaignStatus | str) -> CampaignRecord:
    try:
        target = CampaignStatus(str(status).strip().lower())
    except ValueError:
        raise InvalidValue("campaign status", status, allowed=[s.value for s in CampaignStatus]) from None

    def work() -> CampaignRecord:
        row = _campaign(session, name, lock=True)
        row.status = target.value
        session.flush()
        return CampaignRecord.from_row(row)

    return run_write(session, work)


# --- model registry --------------------------------------------------------------------

def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def register_model_version(
    session: Session,
    name: str,
    checkpoint_path: str | Path,
    *,
    sha256: str | None = None,
    config: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> ModelVersionRecord:
    """Record a trained model: checkpoint path, SHA-256 (computed from the file when not
    given), config and metrics. The store keeps paths and hashes, never tensors."""
    path = str(checkpoint_path)
    if sha256 is None:
        if not Path(path).is_file():
            raise InvalidValue("checkpoint_path", path,
                               fix="give an existing checkpoint file, or pass its sha256")
        sha256 = file_sha256(path)
    digest = sha256.strip().lower()
    if not _SHA256.match(digest):
        raise InvalidValue("sha256", sha256, fix="give the 64 hex digits of the checkpoint's SHA-256")

    def work() -> ModelVersionRecord:
        row = ModelVersion(name=name, checkpoint_path=path, sha256=digest,
                           config=dict(config or {}), metrics=dict(metrics or {}))
        session.add(row)
        session.flush()
        return ModelVersionRecord.from_row(row)

    return run_write(session, work)


def get_model_version(session: Session, model_version_id: int) -> ModelVersionRecord:
    row = session.get(ModelVersion, model_version_id)
    if row is None:
        raise NotFound(f"no model version with id {model_version_id}")
    return ModelVersionRecord.from_row(row)


# --- rounds ----------------------------------------------------------------------------

def running_round(session: Session, campaign: str) -> RoundRecord | None:
    """The round of a campaign that is still running (e.g. after a crash), if any."""
    camp = _campaign(session, campaign)
    row = session.execute(select(Round).where(Round.campaign_id == camp.id,
                                              Round.status == RoundStatus.RUNNING.value)).scalar_one_or_none()
    return None if row is None else RoundRecord.from_row(row)


def start_round(
    session: Session,
    campaign: str,
    *,
    data_hash: str | None = None,
    seed: int | None = None,
) -> RoundRecord:
    """Start the next round (index 0, 1, …) of an active campaign.

    Raises:
        InvalidValue: the campaign is not active, or a round of it is still running.
    """

    def work() -> RoundRecord:
        camp = _campaign(session, campaign, lock=True)  # serializes index allocation
        if camp.status != CampaignStatus.ACTIVE.value:
            raise InvalidValue("campaign status", camp.status,
                               fix=f"set campaign {campaign!r} to active before starting a round")
        running = session.execute(select(Round.index).where(
            Round.campaign_id == camp.id, Round.status == RoundStatus.RUNNING.value)).scalar_one_or_none()
        if running is not None:
            raise InvalidValue("round", running,
                               fix=f"round {running} of {campaign!r} is still running: finish it "
                               "(completed or failed) before starting another")
        last = session.execute(select(func.max(Round.index)).where(Round.campaign_id == camp.id)).scalar()
        row = Round(campaign_id=camp.id, index=0 if last is None else last + 1,
                    data_hash=data_hash, seed=seed)
        session.add(row)
        session.flush()
        return RoundRecord.from_row(row)

    return run_write(session, work)


def _round(session: Session, round_id: int, *, lock: bool = False) -> Round:
    stmt = select(Round).where(Round.id == round_id)
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no round with id {round_id}")
    return row


def attach_model(session: Session, round_id: int, model_version_id: int) -> RoundRecord:
    """Record which model version a round trained."""

    def work() -> RoundRecord:
        row = _round(session, round_id, lock=True)
        if session.get(ModelVersion, model_version_id) is None:
            raise NotFound(f"no model version with id {model_version_id}: register it first")
        row.model_version_id = model_version_id
        session.flush()
        return RoundRecord.from_row(row)

    return run_write(session, work)


def finish_round(session: Session, round_id: int, status: RoundStatus | str = RoundStatus.COMPLETED) -> RoundRecord:
    """Close a running round as ``completed`` or ``failed``."""
    try:
        target = RoundStatus(str(status).strip().lower())
    except ValueError:
        raise InvalidValue("round status", status, allowed=[s.value for s in RoundStatus]) from None
    if target is RoundStatus.RUNNING:
        raise InvalidValue("round status", status, fix="finish a round as completed or failed")

    def work() -> RoundRecord:
        row = _round(session, round_id, lock=True)
        if row.status != RoundStatus.RUNNING.value:
            raise InvalidValue("round status", row.status,
                               fix=f"round {row.index} is already {row.status}; only a running round can finish")
        row.status = target.value
        row.finished_at = utcnow()
        session.flush()
        return RoundRecord.from_row(row)

    return run_write(session, work)


def rounds(session: Session, campaign: str) -> list[RoundRecord]:
    camp = _campaign(session, campaign)
    rows = session.execute(select(Round).where(Round.campaign_id == camp.id).order_by(Round.index)).scalars()
    return [RoundRecord.from_row(r) for r in rows]



def round_place(session: Session, round_id: int) -> tuple[str, int]:
    """The campaign name and index of a round.

    Raises:
        NotFound: no round has this id.
    """
    found = session.execute(
        select(Campaign.name, Round.index).join(Round, Round.campaign_id == Campaign.id)
        .where(Round.id == round_id)).one_or_none()
    if found is None:
        raise NotFound(f"no round #{round_id}: list rounds with `alloyloop campaign status`")
    return found[0], found[1]

# --- suggestions -----------------------------------------------------------------------

@dataclass(frozen=True)
class SuggestionInput:
    """What a strategy proposes for one alloy."""

    composition: str | Mapping[str, float] | ParsedComposition
    strategy: str
    p_single: float | None = None
    interval: tuple[float, float] | None = None
    prediction_set: Sequence[str] | None = None
    in_domain: bool | None = None
    acquisition: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Latent coordinates, repair distance, nearest known alloy … (JSON-able)."""


def _finite(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        raise InvalidValue(name, value, fix="give a finite number")
    return number


def _suggestion_row(item: SuggestionInput) -> dict[str, Any]:
    p = _finite("p_single", item.p_single)
    if p is not None and not 0.0 <= p <= 1.0:
        raise InvalidValue("p_single", item.p_single, fix="give a probability between 0 and 1")
    low = high = None
    if item.interval is not None:
        low, high = (_finite("interval", v) for v in item.interval)
        if low is None or high is None or low > high:
            raise InvalidValue("interval", item.interval, fix="give (low, high) with low <= high")
    pset = None
    if item.prediction_set is not None:
        allowed = [o.value for o in Outcome]
        pset = [str(v) for v in item.prediction_set]
        bad = [v for v in pset if v not in allowed]
        if bad:
            raise InvalidValue("prediction_set", bad[0], allowed=allowed)
    if not item.strategy or len(item.strategy) > 60:
        raise InvalidValue("strategy", item.strategy, fix="name the strategy in 1 to 60 characters")
    return {"strategy": item.strategy, "p_single": p, "interval_low": low, "interval_high": high,
            "prediction_set": pset, "in_domain": item.in_domain,
            "acquisition": _finite("acquisition", item.acquisition), "extra": dict(item.extra)}


def add_suggestions(
    session: Session,
    round_id: int,
    items: Sequence[SuggestionInput],
    *,
    by: str | None = None,
) -> list[SuggestionRecord]:
    """Store a round's suggestions (status ``suggested``), all or nothing.

    Raises:
        InvalidValue: a bad field, the same alloy twice, or a round that is not running.
    """
    parsed = [parse_alloy(i.composition) for i in items]
    values = [_suggestion_row(i) for i in items]
    seen: dict[str, int] = {}
    for n, p in enumerate(parsed):
        if p.key in seen:
            raise InvalidValue("composition", p.source,
                               fix=f"suggestions {seen[p.key]} and {n} are the same alloy {p.key}: "
                               "suggest each alloy once per round")
        seen[p.key] = n

    def work() -> list[SuggestionRecord]:
        rnd = _round(session, round_id, lock=True)
        if rnd.status != RoundStatus.RUNNING.value:
            raise InvalidValue("round status", rnd.status,
                               fix=f"round {rnd.index} is {rnd.status}: add suggestions to a running round")
        ids = ensure_alloys(session, parsed)
        taken = set(session.execute(select(Suggestion.alloy_id).where(
            Suggestion.round_id == round_id, Suggestion.alloy_id.in_(list(ids.values())))).scalars())
        clash = [p.key for p in parsed if ids[p.key] in taken]
        if clash:
            raise InvalidValue("composition", clash[0],
                               fix=f"{clash[0]} was already suggested in this round: suggest it once")
        now = utcnow()
        rows = [Suggestion(round_id=round_id, alloy_id=ids[p.key], created_at=now, updated_at=now, **v)
                for p, v in zip(parsed, values)]
        session.add_all(rows)
        session.flush()
        session.add_all([SuggestionEvent(suggestion_id=r.id, from_status=None,
                                         to_status=SuggestionStatus.SUGGESTED.value, at=now, by=by)
                         for r in rows])
        session.flush()
        return [SuggestionRecord.from_row(r, alloy_key=p.key) for r, p in zip(rows, parsed)]

    return run_write(session, work)


def list_suggestions(
    session: Session,
    *,
    round_id: int | None = None,
    campaign: str | None = None,
    statuses: Sequence[SuggestionStatus | str] | None = None,
) -> list[SuggestionRecord]:
    """Suggestions filtered by round, campaign and status, by id."""
    stmt = select(Suggestion, Alloy.key).join(Alloy, Alloy.id == Suggestion.alloy_id).order_by(Suggestion.id)
    if round_id is not None:
        stmt = stmt.where(Suggestion.round_id == round_id)
    if campaign is not None:
        camp = _campaign(session, campaign)
        stmt = stmt.join(Round, Round.id == Suggestion.round_id).where(Round.campaign_id == camp.id)
    if statuses is not None:
        stmt = stmt.where(Suggestion.status.in_([SuggestionStatus(s).value for s in statuses]))
    return [SuggestionRecord.from_row(r, alloy_key=k) for r, k in session.execute(stmt).tuples()]


def pending_suggestions(session: Session, campaign: str) -> list[SuggestionRecord]:
    """Suggestions of a campaign that are in the lab (queued or synthesized)."""
    return list_suggestions(session, campaign=campaign, statuses=sorted(PENDING))


# --- reports ---------------------------------------------------------------------------

def add_report(session: Session, round_id: int, path: str | Path, *, kind: str = "report") -> ReportRecord:
    """Record where a round's report (summary, SHAP …) was written."""

    def work() -> ReportRecord:
        _round(session, round_id)
        row = Report(round_id=round_id, path=str(path), kind=kind)
        session.add(row)
        session.flush()
        return ReportRecord.from_row(row)

    return run_write(session, work)


def reports(session: Session, round_id: int) -> list[ReportRecord]:
    rows = session.execute(select(Report).where(Report.round_id == round_id).order_by(Report.id)).scalars()
    return [ReportRecord.from_row(r) for r in rows]
