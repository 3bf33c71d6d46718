"""Issue 28, items 3-5 through the web: the CSV import preview shows an unterminated quote
with its line, and the form and JSON API refuse spreadsheet markers, isotopes and elements
the key would round away, naming the value; nothing is stored."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from alloyloop.db.models import Label

SWALLOWING = ("composition,outcome,source,method,note\nCoCrNi,single,experiment,XRD,\n"
              'CoCrFeMnNi,single,experiment,XRD,"cracked, see photo\n'
              "Al0.5CoCrFeNi,multi,experiment,XRD,\nHfNbTaTiZr,single,experiment,XRD,\n")


def _labels(lab) -> int:  # noqa: ANN001
    with lab.session() as s:
        return s.execute(select(func.count()).select_from(Label)).scalar_one()


def test_the_import_preview_shows_the_open_quote_and_stores_nothing(client_any, lab_any, page_login,
                                                                    api_login) -> None:  # noqa: ANN001
    client, lab = client_any, lab_any
    before = _labels(lab)
    token = page_login(client, "lee")
    page = client.post("/import", data={"csrf_token": token}, files={"file": ("runs.csv", SWALLOWING, "text/csv")})
    assert page.status_code == 422 and "1 problem(s), nothing stored" in page.text
    text = html.unescape(page.text)
    assert '<td class="num">3</td><td>-</td><td>runs.csv</td>' in text
    assert "line 3: the quote that opens the cell \"cracked, see photo (column 'note') is never closed" in text
    assert "close the quote on line 3 or remove it" in text
    api = client.post("/api/v1/imports", headers={"X-CSRF-Token": api_login(client, "lee")},
                      files={"file": ("runs.csv", SWALLOWING, "text/csv")})
    assert api.status_code in (200, 422) and not api.json()["ok"]  # a preview's verdict is in its body
    [problem] = api.json()["problems"]
    assert (problem["row"], problem["value"]) == (3, "runs.csv")
    assert problem["fix"].startswith("line 3: the quote that opens the cell \"cracked, see photo")
    assert _labels(lab) == before


@pytest.mark.parametrize(("composition", "message"), [
    ("NaN", "composition is an empty cell ('NaN'): fill in the alloy"),
    ("N/A", "composition is an empty cell ('N/A')"),
    ("FeD", "isotope symbol 'D' (deuterium)"),
    ("Fe1e-5Ni", "element Fe in 'Fe1e-5Ni' is 1e-05 of the alloy"),
    ("Fe99999999999999999999Ni", "amount 99999999999999999999"),
])
def test_form_and_api_refuse_markers_isotopes_and_vanishing_elements(client, lab, page_login, api_login,
                                                                    composition: str, message: str) -> None:  # noqa: ANN001
    before = _labels(lab)
    token = page_login(client, "lee")
    form = client.post("/labels", data={"csrf_token": token, "composition": composition, "outcome": "single",
                                        "source": "experiment", "method": "XRD"})
    assert form.status_code == 422 and message in html.unescape(form.text)
    api = client.post("/api/v1/labels", headers={"X-CSRF-Token": api_login(client, "lee")},
                      json={"composition": composition, "outcome": "single", "method": "XRD"})
    assert api.status_code == 422 and message in api.text
    assert _labels(lab) == before
