"""Issue 17 in the web app: the correction form keeps every field left empty ("Empty
fields keep the old label's value"; one test per field, the store does the carrying in
db.labels.supersede_label), and the import preview shows each row's input beside its key."""

from __future__ import annotations

import pytest

from alloyloop.db.labels import add_label, get_label

OLD = dict(composition="CoCrFeMnNi", outcome="single", phases="FCC", source="experiment", method="XRD",
           processing="annealed 1100C 24h", entered_by="lee", evidence_uri="doi:10.1016/j.actamat.2013.09.037",
           provenance="lab book 3, p. 12", note="first run")
CARRIED = ("alloy_key", "outcome", "phases", "source", "method", "processing", "anneal_temperature_c",
           "anneal_time_h", "entered_by", "evidence_uri", "provenance", "note")
FORM_CHANGES = {
    "outcome": ({"outcome": "multi", "phases": ["FCC", "BCC"]}, {"outcome", "phases"}),
    "phases": ({"phases": ["BCC"]}, {"phases"}),
    "source": ({"source": "literature"}, {"source", "method"}),
    "method": ({"method": "SEM"}, {"method"}),
    "processing": ({"processing": "as-cast"}, {"processing", "anneal_temperature_c", "anneal_time_h"}),
    "anneal": ({"processing": "annealed", "anneal_temperature_c": "900", "anneal_time_h": "5"},
               {"anneal_temperature_c", "anneal_time_h"}),
    "evidence_uri": ({"evidence_uri": "https://example.org/xrd.csv"}, {"evidence_uri"}),
    "note": ({"note": "BCC after all"}, {"note"}),
}


@pytest.mark.parametrize("field", list(FORM_CHANGES))
def test_web_correction_keeps_every_empty_field(client, lab, page_login, field: str) -> None:  # noqa: ANN001
    with lab.session() as s:
        old = add_label(s, **OLD)
    token = page_login(client, "lee")
    change, changed = FORM_CHANGES[field]
    # the form as the browser sends it: every other field empty
    blank = {name: "" for name in ("outcome", "source", "method", "processing", "anneal_temperature_c",
                                   "anneal_time_h", "evidence_uri", "note")}
    response = client.post(f"/labels/{old.id}/correct", data={"csrf_token": token, **blank, **change})
    assert response.status_code == 200 and "old label is kept" in response.text, response.text[-2000:]
    with lab.session() as s:
        before = get_label(s, old.id)
        new = get_label(s, before.superseded_by)
    for name in CARRIED:
        if name not in changed:
            assert getattr(new, name) == getattr(before, name), name
    for name in changed:
        assert getattr(new, name) != getattr(before, name), name


def test_import_preview_shows_each_rows_input_beside_its_key(client, lab, page_login) -> None:  # noqa: ANN001
    token = page_login(client, "lee")
    data = "composition;outcome;source;method\r\nAl0,5CoCrFeNi;multi;experiment;XRD\r\n".encode("cp1252")
    preview = client.post("/import", data={"csrf_token": token}, files={"file": ("lab.csv", data, "text/csv")})
    assert preview.status_code == 200 and "1 label(s) would be stored" in preview.text
    assert ('<td class="num">2</td><td>Al0,5CoCrFeNi</td><td class="alloy">Al0.1111Co0.2222Cr0.2222Fe0.2222Ni0.2222'
            in preview.text)
    assert "Note: cells separated by semicolons" in preview.text
