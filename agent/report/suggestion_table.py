"""The suggestion table of reports, ``campaign suggestions`` and its CSV export (light:
no torch, no matplotlib, so quick commands stay quick)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alloyloop.db.records import SuggestionRecord

SUGGESTION_COLUMNS = ("id", "alloy", "strategy", "p_single", "conformal_set", "in_domain",
                      "domain_score", "acquisition", "nearest_known", "nearest_distance",
                      "repair_distance", "status")


def suggestion_row(s: SuggestionRecord) -> list[Any]:
    """One suggestion as the values of :data:`SUGGESTION_COLUMNS`."""
    extra = s.extra or {}
    pset = "{" + ",".join(s.prediction_set) + "}" if s.prediction_set is not None else ""
    return [s.id, s.alloy_key, s.strategy, s.p_single, pset, s.in_domain,
            extra.get("domain_score"), s.acquisition, extra.get("nearest_key"),
            extra.get("nearest_distance"), extra.get("repair_distance"), s.status]


def write_suggestions_csv(suggestions: Sequence[SuggestionRecord], path: Path) -> Path:
    """The table as CSV (empty cells for missing values)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SUGGESTION_COLUMNS)
        for s in suggestions:
            writer.writerow(["" if v is None else v for v in suggestion_row(s)])
    return path
