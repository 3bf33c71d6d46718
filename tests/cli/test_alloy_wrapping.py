"""Issue 28, item 10: in the terminal an alloy name wraps only between its element-amount
pieces (``…Ni3`` / ``0`` read as Ni3 to someone weighing from it), and a key wrapped that
way and copied from the terminal parses back to the same alloy."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from rich.console import Console

from alloyloop.cli.commands.tables import AlloyName, fitted_table
from alloyloop.db.campaigns import SuggestionInput
from alloyloop.featurize.composition import parse_composition
from alloyloop.web.alloy_display import alloy_text, alloy_tokens

CAMPAIGN = "wrap-campaign"
# Long notations whose pieces end in two-digit amounts: a fold inside one is easy to see.
ALLOYS = ("Al5Co35Cr5Fe10Mn15Ni30", "Al12.3Co30Cr27.7Fe15Ni15", "Al0.0737Co0.2263Cr0.2158Fe0.2421Ni0.2421",
          "Co0.1111Cr0.1111Fe0.2222Mn0.3333Ni0.2223")
KEYS = [parse_composition(a).key for a in ALLOYS]


def _pieces_whole(output: str, names: list[str]) -> None:
    """Every piece of every name is printed whole: followed by no further digit."""
    for name in names:
        for piece in alloy_tokens(name):
            assert re.search(re.escape(piece) + r"(?![\d.])", output), (piece, output)


@pytest.fixture
def store(campaign_store) -> str:  # noqa: ANN001
    return campaign_store(CAMPAIGN, [[
        SuggestionInput(c, "latent_region", p_single=0.8123, interval=(0.5, 0.9),
                        prediction_set=["single", "multi"], in_domain=True) for c in ALLOYS]],
        queued=range(len(ALLOYS)))


def test_campaign_tables_at_80_columns_wrap_alloys_only_between_elements(store: str) -> None:
    env = os.environ | {"COLUMNS": "80", "LINES": "40", "OMP_NUM_THREADS": "1"}
    env.pop("FORCE_COLOR", None)
    names = [alloy_text(k).notation for k in KEYS]
    assert max(len(n) for n in names) > 30  # too long for the alloy column at 80 columns
    for command in ("suggestions", "status"):
        done = subprocess.run([sys.executable, "-m", "alloyloop.cli.app", "campaign", command, CAMPAIGN,
                               "--url", store], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert all(len(line) <= 80 for line in done.stdout.splitlines()), done.stdout
        _pieces_whole(done.stdout, names)


@pytest.mark.parametrize("width", [30, 40, 50, 60, 80])
def test_a_wrapped_key_breaks_between_pieces_and_copies_back_to_the_alloy(width: int) -> None:
    console = Console(width=width, record=True, color_system=None)
    table = fitted_table(None, ["id", "alloy", "note"], wrap=["alloy"])
    for i, key in enumerate(KEYS):
        table.add_row(str(i), AlloyName(key), "x")
    console.print(table)
    text = console.export_text()
    _pieces_whole(text, KEYS)
    # the alloy column, line by line, copied as a person selects it
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "alloy" in line)
    column = lines[start].index("alloy")
    copied: list[list[str]] = []
    for line in lines[start + 2:]:
        first, cell = line[:column].strip(), line[column:].split(" ")[0]
        if first:
            copied.append([])
        if cell:
            copied[-1].append(cell)
    assert len(copied) == len(KEYS)
    for key, cells in zip(KEYS, copied):
        if width <= 40:
            assert len(cells) > 1  # it did wrap
        assert all(re.fullmatch(r"([A-Z][a-z]?[\d.]+)+", c) for c in cells), cells
        assert parse_composition("\n".join(cells)).key == key


def test_an_alloy_name_measures_no_narrower_than_its_longest_piece() -> None:
    console = Console(width=80)
    name = AlloyName("Al0.0737Co0.2263Cr0.2158Fe0.2421Ni0.2421")
    measured = console.measure(name)
    assert (measured.minimum, measured.maximum) == (8, 40)
    assert str(name) == name.text and alloy_tokens("not an alloy") == ("not an alloy",)
