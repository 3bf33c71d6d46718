"""Issue 33: the queue of an FCC campaign explains each suggestion's p(FCC), end to end: a
small real phase4 DVAE, the round report the round flow writes (``write_round_report`` with
the campaign's target), linked from a stored round of the seeded cantor-fcc campaign, and
the suggestion page that reads it."""

from __future__ import annotations

import re

import torch

from alloyloop.agent.campaign_ops import REPORT_KIND
from alloyloop.agent.report.round_report import write_round_report
from alloyloop.agent.report.suggestion_shap import read_explanations
from alloyloop.db.campaigns import SuggestionInput, add_report, add_suggestions, finish_round, start_round

from tests.fixtures.dvae import fast, phase4_round_data

torch.set_num_threads(1)

PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni", "Ti", "V", "Nb", "Mo")
FAST4 = fast(label="phase4", max_epochs=15, min_epochs=5, patience=5, classifier_hidden=(32, 32), vae_max_epochs=3)


def test_the_queue_of_an_fcc_campaign_explains_p_fcc(client, lab, page_login) -> None:  # noqa: ANN001
    model, data = phase4_round_data(PALETTE, FAST4, 50)
    report = lab.data_dir.parent / "home" / "round-1" / "report"
    with lab.session() as s:
        rnd = start_round(s, lab.campaign, data_hash="1" * 64, seed=2)
        made = add_suggestions(s, rnd.id, [
            SuggestionInput(c, "botorch", p_single=0.8, prediction_set=["single"], in_domain=True,
                            extra={"target": "FCC", "p_target": 0.6})
            for c in ("Al8Co23Cr23Fe23Ni23", "Co20Cr20Fe20Mn20Ni20")])
        files = write_round_report(model, data, made, report, info={"campaign": lab.campaign, "round": 1},
                                   previous_importance=None, shap_rows=20, shap_background=12, seed=2, target="FCC")
        add_report(s, rnd.id, str(files.html), kind=REPORT_KIND)
        finish_round(s, rnd.id)
    drivers = read_explanations(report)
    assert all(d.explains == "p(FCC)" for m in made for d in drivers[m.id])
    page_login(client, "lee")
    text = client.get(f"/campaigns/{lab.campaign}/suggestions").text
    for m in made:
        row = re.search(rf'<tr id="suggestion-{m.id}">(.*?)</tr>', text, re.S).group(1)
        assert "why (p(FCC)): " in row
        assert all(d.text.replace("&", "&amp;") in row for d in drivers[m.id]), (row, drivers[m.id])
    assert "its contribution to p(FCC) (+ raises it)" in text and "contribution to p(single)" not in text
