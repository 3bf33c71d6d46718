"""An audit entry's before/after as a list of changed fields, for the audit tables.

The log keeps two summaries (:func:`alloyloop.db.audit.label_summary`); printed side by side
as ``key=value; …`` they made two wide columns of run-on text and squeezed the note to a
few characters (issue 33). The pages show one *change* column instead: each field once,
``outcome multi → single`` when it changed, its value when it was set or removed, nothing
when it stayed the same (but the alloy, which names what the entry is about).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FIELD_NAMES = {"entered_by": "by", "evidence_uri": "evidence", "anneal_temperature_c": "anneal °C",
               "anneal_time_h": "anneal h", "superseded_by": "superseded by"}
"""The store's field names as the pages' column headers say them."""

ALWAYS = ("alloy",)
"""Fields shown even when unchanged: what the entry is about."""


@dataclass(frozen=True)
class Change:
    """One field of an audit entry: ``old`` None when it was set, ``new`` None when removed."""

    field: str
    name: str
    old: Any
    new: Any

    @property
    def changed(self) -> bool:
        return self.old is not None and self.new is not None and self.old != self.new


def _present(value: Any) -> bool:
    return value is not None and value != [] and value != ""


def audit_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[Change]:
    """The fields of an entry in the order the log wrote them, each once."""
    before, after = before or {}, after or {}
    fields = list(after) + [k for k in before if k not in after]
    changes = []
    for field in fields:
        old, new = before.get(field), after.get(field)
        if not (_present(old) or _present(new)):
            continue
        if old == new and field not in ALWAYS:
            continue
        changes.append(Change(field, FIELD_NAMES.get(field, field),
                              old if _present(old) and old != new else None, new if _present(new) else None))
    return changes
