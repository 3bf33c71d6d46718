"""The report's suggestion table, in the lab's words: alloys in their short notation (the key
on hover), the probability the campaign ranks by (p(FCC) for an FCC campaign), the credible
labels in words, and each suggestion's own strongest SHAP features."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from alloyloop.agent.report import html as H
from alloyloop.agent.report.metrics import shown
from alloyloop.agent.report.suggestion_shap import Driver
from alloyloop.agent.report.suggestion_table import credible_set_text, target_p
from alloyloop.db.records import SuggestionRecord

LEGEND = (
    "credible labels: the labels the model cannot rule out at its coverage (none: it rules out "
    "both, a sign the alloy is unlike what it was calibrated on). Domain: in = close to labelled "
    "alloys (score 0–1, higher is closer); out = extrapolation. Acquisition: the strategy's own "
    "score (comparable within a strategy only). Repaired by: how far the strategy's raw point "
    "moved to reach the design grid (½Σ|Δx|). Why: the suggestion's three strongest SHAP "
    "features, each with the alloy's value and its contribution to {explains} (+ raises it).")


def _why(drivers: Sequence[Driver]) -> H.Cell | None:
    if not drivers:
        return None
    items = "".join(f"<li>{html.escape(d.text)}</li>" for d in drivers)
    return H.Cell(f"<ul>{items}</ul>", "why")


def _nearest(s: SuggestionRecord) -> H.Cell | None:
    extra = s.extra or {}
    cell = H.alloy(extra.get("nearest_key"))
    if cell is None:
        return None
    distance = extra.get("nearest_distance")
    at = "" if distance is None else f' <span class="nowrap">at {shown(float(distance), 2)}</span>'
    return H.Cell(cell.markup + at, cell.cls, cell.title)


def _domain(s: SuggestionRecord) -> str:
    if s.in_domain is None:
        return "–"
    score = (s.extra or {}).get("domain_score")
    return ("in" if s.in_domain else "out") + ("" if score is None else f"\u00a0({shown(float(score), 2)})")


def suggestion_section(suggestions: Sequence[SuggestionRecord], drivers: Mapping[int, Sequence[Driver]],
                       target: str, notes: Sequence[str], explains: str = "p(single)") -> str:
    """The table (one row per suggestion) with its legend and the batch's notes; ``explains``:
    the probability the drivers explain (p(FCC) for an FCC campaign on a phase4 model)."""
    p_name = target_p(suggestions[0], target)[0] if suggestions else "p(single)"
    by_target = p_name != "p(single)"
    header = ["#", "alloy", "strategy", p_name, *(["p(single)"] if by_target else []), "credible labels",
              "domain", "acquisition", "nearest known", "repaired by", "status", "why: its strongest SHAP features"]
    rows = []
    for s in suggestions:
        repair = (s.extra or {}).get("repair_distance")
        rows.append([s.id, H.alloy(s.alloy_key), s.strategy, shown(target_p(s, target)[1], 2),
                     *([shown(s.p_single, 2)] if by_target else []), credible_set_text(s.prediction_set),
                     _domain(s), shown(s.acquisition, 3), _nearest(s),
                     shown(None if repair is None else float(repair), 2), s.status, _why(drivers.get(s.id, ()))])
    numeric = {3, 4} if by_target else {3}
    numeric |= {6 + by_target, 8 + by_target}  # acquisition, repaired by
    return (H.table(header, rows, numeric=sorted(numeric))
            + f'<p class="muted">{html.escape(LEGEND.format(explains=explains))}</p>'
            + "".join(f"<p>{html.escape(n)}</p>" for n in notes))
