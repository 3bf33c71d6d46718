"""The suggestion queue explains each suggestion on its own (issue 33): its own strongest SHAP
features from its round's report, the probability an FCC campaign ranks by (p(FCC)), an
empty credible set in words (and the MCP tool's open suggestions say the same); the suggestion's label form leads to the XRD proposal, and the
banner after storing a label links to it."""

from __future__ import annotations

import re

import numpy as np

from alloyloop.agent.campaign_ops import REPORT_KIND
from alloyloop.agent.report.shap_values import ShapResult
from alloyloop.agent.report.suggestion_shap import read_explanations, top_drivers, write_explanations
from alloyloop.db.campaigns import SuggestionInput, add_report, add_suggestions, finish_round, start_round
from alloyloop.web.mcp_tools import open_suggestions

NAMES = ("VEC [e/atom]", "δ [%]", "ΔH_mix [kJ/mol]", "x(Al)")


def _second_round(lab) -> list[int]:  # noqa: ANN001 - the Lab fixture
    """A round of the FCC campaign with p(FCC) stored, one empty credible set, and a report
    folder holding each suggestion's SHAP features of p(FCC) (as the report of a phase4
    model's FCC campaign writes them: tests/agent/test_report_target_shap.py)."""
    report = lab.data_dir.parent / "home" / "round-1" / "report"
    report.mkdir(parents=True)
    with lab.session() as s:
        rnd = start_round(s, lab.campaign, data_hash="1" * 64, seed=2)
        made = add_suggestions(s, rnd.id, [
            SuggestionInput("Al15Co20Cr20Fe20Ni25", "botorch", p_single=0.81, prediction_set=[],
                            in_domain=True, extra={"target": "FCC", "p_target": 0.634}),
            SuggestionInput("Co30Cr20Fe20Ni30", "screen", p_single=0.9, prediction_set=["single", "multi"],
                            in_domain=True, extra={"target": "FCC", "p_target": 0.872})])
        ids = [m.id for m in made]
        result = ShapResult(values=np.array([[0.031, -0.012, 0.004, -0.05], [0.002, 0.04, -0.02, 0.0]]),
                            data=np.array([[7.6, 5.1, -10.2, 0.15], [8.4, 3.3, -4.5, 0.0]]),
                            names=NAMES, base_value=0.5, method="exact", explains="p(FCC)")
        write_explanations(ids, top_drivers(result), "exact", report)
        (report / "index.html").write_text("<h1>round 1</h1>", encoding="utf-8")
        add_report(s, rnd.id, str(report / "index.html"), kind=REPORT_KIND)
        finish_round(s, rnd.id)
    return ids


def test_each_suggestion_has_its_own_explanation_and_the_campaigns_target(client, lab, page_login) -> None:  # noqa: ANN001
    first, second = _second_round(lab)
    page_login(client, "lee")
    text = client.get(f"/campaigns/{lab.campaign}/suggestions").text
    row = {sid: re.search(rf'<tr id="suggestion-{sid}">(.*?)</tr>', text, re.S).group(1) for sid in (first, second)}
    # its own features, largest |SHAP| first, with its value and signed contribution
    assert "why (p(FCC)): " in row[first] and "x(Al) 0.15: -0.050" in row[first] and "VEC [e/atom] 7.6: +0.031" in row[first]
    assert row[first].index("x(Al)") < row[first].index("VEC")
    assert "δ [%] 3.3: +0.040" in row[second] and "x(Al)" not in row[second]
    # the FCC campaign's probability, named, beside p(single)
    assert "p(FCC) 0.63" in row[first] and "p(FCC) 0.87" in row[second] and "p(single) 0.81" in row[first]
    # credible labels in words: empty is "none", two is unsure
    assert '<td class="credible">none (no label credible)</td>' in row[first]
    assert '<td class="credible">single or multi (unsure)</td>' in row[second]
    # the first round's suggestions have no report: no explanation, no invented one
    old = re.search(rf'<tr id="suggestion-{lab.suggestion_ids[0]}">(.*?)</tr>', text, re.S).group(1)
    assert "why: " not in old and "p(FCC)" not in old
    assert "top SHAP features" not in text  # the old round-level line is gone
    assert "its contribution to p(FCC) (+ raises it)" in text and "contribution to p(single)" not in text
    assert read_explanations(lab.data_dir.parent / "home" / "round-1" / "report")[first][0].feature == "x(Al)"
    # the MCP tool's open suggestions say the same
    with lab.session() as s:
        told = {row["id"]: row for row in open_suggestions(s, lab.campaign)}
    assert [d["feature"] for d in told[first]["shap_features"]] == ["x(Al)", "VEC [e/atom]", "δ [%]"]
    assert "credible labels: none (no label credible)" in told[first]["explanation"]
    assert "contribution to p(FCC)): x(Al) 0.15: -0.050" in told[first]["explanation"] and told[lab.suggestion_ids[0]]["shap_features"] == []


def test_the_label_form_leads_to_the_xrd_proposal_and_the_banner_to_the_label(client, lab, page_login) -> None:  # noqa: ANN001
    token = page_login(client, "lee")
    sid = lab.suggestion_ids[0]
    form = client.get(f"/suggestions/{sid}/label").text
    href = re.search(r'<a href="([^"]+)" id="from-xrd">', form).group(1)
    assert href == "/labels/xrd?composition=Co0.2Cr0.2Fe0.2Mn0.2Ni0.2"
    upload = client.get(href)
    assert upload.status_code == 200 and 'value="Co0.2Cr0.2Fe0.2Mn0.2Ni0.2"' in upload.text
    done = client.post(f"/suggestions/{sid}/label", data={"csrf_token": token, "outcome": "single", "phases": "FCC",
                                                           "source": "experiment", "method": "XRD"},
                       follow_redirects=True)
    link = re.search(r'<p class="done" id="done" role="status">Stored <a href="(/labels/(\d+))" id="done-link">'
                     r"label #(\d+)</a>\.</p>", done.text)
    assert link is not None and link.group(2) == link.group(3)
    shown = client.get(link.group(1))
    assert shown.status_code == 200 and 'title="key Co0.2Cr0.2Fe0.2Mn0.2Ni0.2"' in shown.text
