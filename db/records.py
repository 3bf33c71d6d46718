"""Plain, immutable records that the service functions return.

They are detached from any session (safe to hand to a web app, a Prefect task or a
thread) and carry only values. ``to_dict()`` gives a JSON-ready mapping.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from alloyloop.db.vocab import ProcessingKind, ProcessingState


class _Record:
    @classmethod
    def from_row(cls, row: Any, **extra: Any) -> Self:
        """Copy the fields of a table row (plus ``extra``) into a record."""
        values = {f.name: getattr(row, f.name) for f in dataclasses.fields(cls)  # type: ignore[arg-type]
                  if f.name not in extra and hasattr(row, f.name)}
        return cls(**values, **extra)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (timestamps as ISO 8601 strings)."""
        out = dataclasses.asdict(self)  # type: ignore[call-overload]
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in out.items()}


@dataclass(frozen=True)
class AlloyRecord(_Record):
    id: int
    key: str
    fractions: dict[str, float]
    elements: str
    n_elements: int
    has_conflict: bool
    created_at: datetime


@dataclass(frozen=True)
class LabelRecord(_Record):
    id: int
    alloy_id: int
    alloy_key: str
    outcome: str
    phases: list[str]
    source: str
    method: str
    processing: str | None
    anneal_temperature_c: float | None
    anneal_time_h: float | None
    entered_by: str | None
    evidence_uri: str | None
    provenance: str | None
    note: str | None
    external_id: str | None
    created_at: datetime
    superseded_by: int | None

    @property
    def active(self) -> bool:
        """Not superseded by a correction."""
        return self.superseded_by is None

    @property
    def processing_state(self) -> ProcessingState | None:
        if self.processing is None:
            return None
        return ProcessingState(ProcessingKind(self.processing), self.anneal_temperature_c,
                               self.anneal_time_h)


@dataclass(frozen=True)
class CampaignRecord(_Record):
    id: int
    name: str
    spec: dict[str, Any]
    status: str
    created_at: datetime


@dataclass(frozen=True)
class ModelVersionRecord(_Record):
    id: int
    name: str
    checkpoint_path: str
    sha256: str
    config: dict[str, Any]
    metrics: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class RoundRecord(_Record):
    id: int
    campaign_id: int
    index: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    data_hash: str | None
    seed: int | None
    model_version_id: int | None


@dataclass(frozen=True)
class SuggestionRecord(_Record):
    id: int
    round_id: int
    alloy_id: int
    alloy_key: str
    strategy: str
    p_single: float | None
    interval_low: float | None
    interval_high: float | None
    prediction_set: list[str] | None
    in_domain: bool | None
    acquisition: float | None
    status: str
    label_id: int | None
    extra: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SuggestionEventRecord(_Record):
    id: int
    suggestion_id: int
    from_status: str | None
    to_status: str
    at: datetime
    by: str | None
    note: str | None


@dataclass(frozen=True)
class ReportRecord(_Record):
    id: int
    round_id: int
    kind: str
    path: str
    created_at: datetime


@dataclass(frozen=True)
class UserRecord(_Record):
    """An account of the web app (never carries the password hash)."""

    id: int
    name: str
    role: str
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class AuditRecord(_Record):
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None
