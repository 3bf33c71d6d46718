"""Errors raised by the campaign store.

Every message names the offending value and how to fix it, so that the CLI, the
Prefect flows and the web app can show it to a person unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

# What the database driver raised (an unreachable server, an unwritable file …): the CLI
# and the web catch it by this name, never importing SQLAlchemy; ``orig`` is the driver's own.
from sqlalchemy.exc import DBAPIError as DriverError  # noqa: F401 - re-exported


class StoreError(Exception):
    """Base class of every error the ``db`` package raises on purpose."""


class InvalidValue(StoreError, ValueError):
    """A value given at the boundary (CLI, CSV, API) is not allowed.

    Attributes:
        field: the field (or CSV column) the value was given for.
        value: the offending value, as given.
        allowed: the allowed values, when the field has a closed vocabulary.
    """

    def __init__(
        self,
        field: str,
        value: object,
        *,
        allowed: Iterable[str] | None = None,
        fix: str | None = None,
    ):
        self.field = field
        self.value = value
        self.allowed = tuple(allowed) if allowed is not None else None
        if fix is None:
            fix = f"use one of: {', '.join(self.allowed)}" if self.allowed else "correct it"
        self.fix = fix
        # a missing value is named as missing, not as Python's None
        super().__init__(f"{field} is missing: {fix}" if value is None else f"{field} {value!r} is not allowed: {fix}")


class InvalidValues(StoreError, ValueError):
    """Several fields of one record are not allowed; ``errors`` holds one per field."""

    def __init__(self, errors: Iterable[InvalidValue]):
        self.errors = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


class NotFound(StoreError, LookupError):
    """A record asked for by id, key or name does not exist."""


class AlreadyExists(StoreError):
    """A record with the same unique name or key exists already."""


class DuplicateLabel(StoreError):
    """A label identical to a current label of its alloy (same outcome, phases, source,
    method, processing and evidence) that is not marked as a repeat measurement.

    Attributes:
        alloy_key: the alloy.
        existing_id: the current label it repeats (None: an earlier label of the same batch).
    """

    def __init__(self, alloy_key: str, existing_id: int | None):
        self.alloy_key = alloy_key
        self.existing_id = existing_id
        what = f"label #{existing_id}" if existing_id is not None else "another label of this batch"
        super().__init__(
            f"{alloy_key} already has this label ({what}: same outcome, phases, source, method, "
            "processing and evidence): not stored; if it is a repeat measurement (a second sample or "
            "scan), say so: repeat=True, --repeat, \"repeat\": true, the form's 'repeat measurement' "
            "box, or yes in a CSV repeat column; to change the label, correct it (supersede)"
        )


class AlreadySuperseded(StoreError):
    """A label that was already corrected is corrected again (only the newest may be)."""


class IllegalTransition(StoreError):
    """A suggestion status change that the lifecycle does not allow.

    Attributes:
        current: the suggestion's status now.
        requested: the status asked for.
        allowed: the statuses it may move to from ``current``.
    """

    def __init__(self, suggestion_id: int, current: str, requested: str, allowed: Iterable[str]):
        self.suggestion_id = suggestion_id
        self.current = current
        self.requested = requested
        self.allowed = tuple(allowed)
        nxt = ", ".join(self.allowed) if self.allowed else f"none ('{current}' is final)"
        super().__init__(
            f"suggestion {suggestion_id} is '{current}' and cannot become '{requested}'; "
            f"allowed next: {nxt}"
        )


class SchemaNotReady(StoreError):
    """The database schema is missing or older than the code: run ``alloyloop db upgrade``."""
