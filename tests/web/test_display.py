"""How alloys are written on the pages and in the terminal, and the weighing sheet's sums."""

from __future__ import annotations

import pytest

from alloyloop.web.alloy_display import alloy_text
from alloyloop.web.weighing import SheetRow, sheet_csv, weigh


@pytest.mark.parametrize(("key", "notation", "percent"), [
    ("Al0.0698Co0.2326Cr0.2326Fe0.2326Ni0.2326", "Al0.3CoCrFeNi", "Al 7 · Co 23.3 · Cr 23.3 · Fe 23.3 · Ni 23.3"),
    ("Co0.2Cr0.2Fe0.2Mn0.2Ni0.2", "CoCrFeMnNi", "Co 20 · Cr 20 · Fe 20 · Mn 20 · Ni 20"),
    ("Al0.05Co0.2Cr0.2Fe0.25Ni0.3", "Al5Co20Cr20Fe25Ni30", "Al 5 · Co 20 · Cr 20 · Fe 25 · Ni 30"),
    ("Co0.1Ni0.9", "Co10Ni90", "Co 10 · Ni 90"),
    ("Al0.123Co0.3Cr0.577", "Al12.3Co30Cr57.7", "Al 12.3 · Co 30 · Cr 57.7"),
])
def test_the_short_notation_gives_back_the_key(key: str, notation: str, percent: str) -> None:
    from alloyloop.db.alloys import parse_alloy

    shown = alloy_text(key)
    assert (shown.notation, shown.percent) == (notation, percent)
    assert parse_alloy(shown.notation).key == parse_alloy(key).key


def test_a_key_that_does_not_parse_is_shown_as_it_is() -> None:
    assert alloy_text("not an alloy").notation == "not an alloy"


def test_grams_follow_the_atomic_masses_and_add_up() -> None:
    rows = weigh({"Al": 0.5, "Ni": 0.5}, 10.0)  # NiAl: 26.98 + 58.69 g per mole of pairs
    grams = {w.element: w.grams for w in rows}
    assert grams["Al"] == pytest.approx(10 * 26.9815 / (26.9815 + 58.6934), abs=1e-3)
    assert sum(grams.values()) == pytest.approx(10.0)
    text = sheet_csv([SheetRow(7, "Al0.5Ni0.5", "AlNi", rows)], 10.0)
    assert text.splitlines()[1].startswith("7,AlNi,Al0.5Ni0.5,10,Al,50.00,")
