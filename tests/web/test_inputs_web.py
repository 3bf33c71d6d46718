"""The web import preview shows each row's input beside its canonical key (issue 17)."""

from __future__ import annotations


def test_import_preview_shows_each_rows_input_beside_its_key(client, lab, page_login) -> None:  # noqa: ANN001
    token = page_login(client, "lee")
    data = "composition;outcome;source;method\r\nAl0,5CoCrFeNi;multi;experiment;XRD\r\n".encode("cp1252")
    preview = client.post("/import", data={"csrf_token": token}, files={"file": ("lab.csv", data, "text/csv")})
    assert preview.status_code == 200 and "1 label(s) would be stored" in preview.text
    # the row: line 2, the cell as written, then the alloy it was read as (its key on hover)
    # (issue 28: the notation in nowrap pieces, a line break allowed only between them)
    assert ('<td class="num">2</td><td>Al0,5CoCrFeNi</td><td><span class="alloy" '
            'title="key Al0.1111Co0.2222Cr0.2222Fe0.2222Ni0.2222"><span class="el">Al0.5</span><wbr>'
            '<span class="el">Co</span><wbr><span class="el">Cr</span><wbr><span class="el">Fe</span><wbr>'
            '<span class="el">Ni</span></span>' in preview.text)
    assert "Note: cells separated by semicolons" in preview.text
