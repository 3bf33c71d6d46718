"""The report's suggestion table for a structure-target campaign (issue 33): the probability the
campaign ranks by (p(FCC)) beside p(single), credible labels in words, alloys in short notation
with the key on hover, numbers at one rounding and kept on one line, each row's own SHAP
features."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from alloyloop.agent.report.metrics import MODEL_METRICS, metric_rows, shown
from alloyloop.agent.report.suggestion_section import suggestion_section
from alloyloop.agent.report.suggestion_shap import Driver
from alloyloop.db.records import SuggestionRecord

NOW = datetime.now(UTC)


def _suggestion(sid: int, key: str, p: float, members: list[str] | None, extra: dict) -> SuggestionRecord:
    return SuggestionRecord(id=sid, round_id=1, alloy_id=sid, alloy_key=key, strategy="botorch", p_single=p,
                            interval_low=None, interval_high=None, prediction_set=members, in_domain=sid % 2 == 0,
                            acquisition=0.123456, status="suggested", label_id=None, extra=extra,
                            created_at=NOW, updated_at=NOW)


def test_an_fcc_campaigns_table_names_p_fcc_and_says_the_sets_in_words() -> None:
    rows = [_suggestion(1, "Al0.1499Cr0.0851Fe0.32Mn0.32Ni0.125", 0.81, [],
                        {"target": "FCC", "p_target": 0.6342, "domain_score": 0.42, "nearest_key": "Co0.5Ni0.5",
                         "nearest_distance": 0.1}),
            _suggestion(2, "Co0.3Cr0.2Fe0.2Ni0.3", 0.9, ["single", "multi"], {"target": "FCC", "p_target": 0.8716})]
    drivers = {1: [Driver("VEC [e/atom]", 7.61, 0.031)], 2: [Driver("T_m [K]", 1723.4, -0.012)]}
    page = suggestion_section(rows, drivers, "FCC", ["botorch made 1 of 2 suggestions"])
    header = re.findall(r"<th>([^<]*)</th>", page)
    assert header[:5] == ["#", "alloy", "strategy", "p(FCC)", "p(single)"]
    assert '<td class="num">0.63</td><td class="num">0.81</td>' in page
    assert "<td>none (no label credible)</td>" in page and "<td>single or multi (unsure)</td>" in page
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "Al14.99Cr8.51Fe32Mn32Ni12.5" in text and "Al0.1499" not in text
    assert 'title="key Al0.1499Cr0.0851Fe0.32Mn0.32Ni0.125 · Al 15 · Cr 8.5 · Fe 32 · Mn 32 · Ni 12.5 at.%"' in page
    assert "Co50Ni50 at 0.10" in text or "CoNi at 0.10" in text
    assert "VEC [e/atom] 7.61: +0.031" in text and "T_m [K] 1723: -0.012" in text
    assert "in\u00a0(0.42)" not in text and "out\u00a0(0.42)" in text  # suggestion 1 is outside, kept on one line
    assert '<td class="num">0.123</td>' in page and "botorch made 1 of 2 suggestions" in text


def test_a_single_target_table_has_one_probability_column() -> None:
    page = suggestion_section([_suggestion(3, "Co0.5Ni0.5", 0.55, None, {})], {}, "single", [])
    assert re.findall(r"<th>([^<]*)</th>", page)[3:5] == ["p(single)", "credible labels"]
    assert "<td>–</td>" in page  # no set recorded: a dash, not a blank


def test_figures_have_one_rounding() -> None:
    rows = metric_rows({"val_ece": 0.026821, "val_auc": 0.73651, "epochs": 6, "coverage": 0.9}, MODEL_METRICS)
    assert [r[:2] for r in rows] == [["ranking (ROC AUC)", "0.737"], ["calibration error (ECE)", "0.027"],
                                     ["credible-set coverage", "0.90"], ["epochs trained", "6"]]
    assert shown(float("nan")) == "n/a" and shown(None) == "–" and shown(-0.00019, signed=True) == "-0.000"
