"""Issue 28, item 10: on the pages an alloy name may break only between its element-amount
pieces (the queue showed ``Al5Co35Cr5Fe10Mn15Ni3`` / ``0``). Each piece is a ``nowrap`` span,
with a ``<wbr>`` between pieces; checked on the rendered HTML and the stylesheet."""

from __future__ import annotations

import re
from pathlib import Path

from alloyloop.web.alloy_display import alloy_text, alloy_tokens

STYLE = Path(__file__).resolve().parents[2] / "web" / "static" / "style.css"
NAME = re.compile(r'<span class="(?:muted )?alloy"[^>]*>((?:<wbr>|<span class="el">[^<]*</span>)+)</span>')
PIECES = re.compile(r'<span class="el">([^<]*)</span>')


def _names(page: str) -> list[str]:
    """Each alloy name on the page, after checking it is nowrap pieces joined by <wbr>."""
    names = []
    for inner in NAME.findall(page):
        pieces = PIECES.findall(inner)
        assert inner == "<wbr>".join(f'<span class="el">{p}</span>' for p in pieces), inner
        assert pieces == list(alloy_tokens("".join(pieces))), pieces  # a piece is one element and its amount
        names.append("".join(pieces))
    return names


def test_queue_labels_and_weighing_sheet_write_alloys_in_unbreakable_pieces(client, lab, page_login) -> None:  # noqa: ANN001
    page_login(client, "lee")
    queue = client.get(f"/campaigns/{lab.campaign}/suggestions")
    assert queue.status_code == 200
    names = _names(queue.text)
    assert "Al5Co20Cr20Fe25Ni30" in names and "Al0.1CoCrFeNi" in names
    assert "Al5Co20Cr20Fe25Ni30" not in queue.text  # never as one unbreakable-or-anywhere run
    # the at.% line: "Ni 30" never splits between the element and its number
    assert '<span class="el">Ni 30</span> at.%' in queue.text
    assert len(re.findall(r'<small class="muted at-pct">', queue.text)) == len(lab.suggestion_ids)
    ids = "&".join(f"id={i}" for i in lab.suggestion_ids)
    sheet = client.get(f"/campaigns/{lab.campaign}/weighing?{ids}&mass=20")
    assert sheet.status_code == 200
    key = alloy_text("Al5Co20Cr20Fe25Ni30").key
    assert {"Al5Co20Cr20Fe25Ni30", key} <= set(_names(sheet.text))


def test_the_stylesheet_keeps_pieces_whole_and_lets_alloys_break_only_at_wbr() -> None:
    css = STYLE.read_text()
    assert re.search(r"\.alloy \.el, \.at-pct \.el \{ white-space: nowrap; \}", css)
    assert not re.search(r"\.alloy[^{}]*\{[^}]*overflow-wrap: anywhere", css)  # no break anywhere in a name
