"""The suggestion table of reports, ``campaign suggestions`` and its CSV export (light:
no torch, no matplotlib, so quick commands stay quick).

:data:`SUGGESTION_COLUMNS` / :func:`suggestion_row` are the machine form (CSV, field
names); :func:`credible_set_text` and :func:`target_p` are how a person reads a suggestion
(the report's table and the web app's queue say the same).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alloyloop.db.records import SuggestionRecord

SUGGESTION_COLUMNS = ("id", "alloy", "strategy", "p_single", "p_model", "conformal_set", "in_domain",
                      "domain_score", "acquisition", "nearest_known", "nearest_distance",
                      "repair_distance", "status")
NO_CREDIBLE_LABEL = "none (no label credible)"


def suggestion_row(s: SuggestionRecord) -> list[Any]:
    """One suggestion as the values of :data:`SUGGESTION_COLUMNS`: ``p_single`` as recorded
    (calibrated on the campaign's own record, :mod:`alloyloop.agent.campaign_calibration`),
    ``p_model`` the model's raw p (the same as ``p_single`` when nothing was calibrated)."""
    extra = s.extra or {}
    pset = "{" + ",".join(s.prediction_set) + "}" if s.prediction_set is not None else ""
    p_model = extra.get("p_model", s.p_single)
    return [s.id, s.alloy_key, s.strategy, s.p_single, p_model, pset, s.in_domain,
            extra.get("domain_score"), s.acquisition, extra.get("nearest_key"),
            extra.get("nearest_distance"), extra.get("repair_distance"), s.status]


def credible_set_text(members: Sequence[str] | None) -> str:
    """A conformal set in words: the labels the model cannot rule out at its coverage.
    Empty: the model rules out every label (``none (no label credible)``); two or more:
    ``single or multi (unsure)``; not recorded: ``–``."""
    if members is None:
        return "–"
    if not members:
        return NO_CREDIBLE_LABEL
    if len(members) == 1:
        return members[0]
    return " or ".join(members) + " (unsure)"


def target_p(s: SuggestionRecord, target: str = "single") -> tuple[str, float | None]:
    """The probability the campaign ranks by, named: ``("p(FCC)", 0.62)`` for a suggestion of
    an FCC campaign (stored in its ``extra`` by the batch), else ``("p(single)", p_single)``."""
    extra = s.extra or {}
    name = extra.get("target") or target
    if name != "single" and extra.get("p_target") is not None:
        return f"p({name})", float(extra["p_target"])
    return "p(single)", s.p_single


def write_suggestions_csv(suggestions: Sequence[SuggestionRecord], path: Path) -> Path:
    """The table as CSV (empty cells for missing values)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SUGGESTION_COLUMNS)
        for s in suggestions:
            writer.writerow(["" if v is None else v for v in suggestion_row(s)])
    return path
