"""Issue 28, item 10: in the terminal an alloy name is never broken inside a number
(``…Ni3`` / ``0`` read as Ni3 to someone weighing from it). Since issue 33 the terminal
tables print an alloy whole on one line (:class:`alloyloop.cli.commands.tables.Listing`;
tests/cli/test_keys_whole.py and test_tables_at_80.py check every command)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

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
