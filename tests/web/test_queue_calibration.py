"""The suggestion queue shows the p(single) the campaign recorded (calibrated on its own
labelled suggestions) and, once there were some, the model's own p beside it."""

from __future__ import annotations

import re

from alloyloop.db.campaigns import SuggestionInput, add_suggestions, finish_round, start_round


def test_the_queue_shows_the_recorded_p_and_the_models(client, lab, page_login) -> None:  # noqa: ANN001
    fit = {"method": "logit offset", "offset": -0.96, "pairs": 6, "hits": 0,
           "mean_p_model": 0.8, "prior_sd": 0.5}
    with lab.session() as s:
        rnd = start_round(s, lab.campaign, data_hash="2" * 64, seed=3)
        calibrated, first = (m.id for m in add_suggestions(s, rnd.id, [
            SuggestionInput("Co35Cr15Fe20Ni30", "screen", p_single=0.62,
                            extra={"p_model": 0.81, "calibration": fit}),
            SuggestionInput("Co40Cr20Fe20Ni20", "screen", p_single=0.7,
                            extra={"p_model": 0.7, "calibration": {**fit, "offset": 0.0, "pairs": 0}})]))
        finish_round(s, rnd.id)
    page_login(client, "lee")
    text = client.get(f"/campaigns/{lab.campaign}/suggestions").text
    row = {sid: re.search(rf'<tr id="suggestion-{sid}">(.*?)</tr>', text, re.S).group(1)
           for sid in (calibrated, first)}
    assert "p(single) 0.62" in row[calibrated]
    assert "(model 0.81, calibrated on 6 own labels)" in row[calibrated]
    assert 'logit × 1.00 -0.96' in row[calibrated]  # a record from before the slope: a = 1
    assert "p(single) 0.70" in row[first] and "calibrated on" not in row[first]
