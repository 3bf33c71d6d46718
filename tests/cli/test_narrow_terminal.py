"""The terminal in 80 columns: ``campaign status``, ``campaign suggestions`` and ``demo``
print tables whose every line fits and no cell is cut to "…" (a real ``alloyloop``
process with ``COLUMNS=80``, as a terminal of that width sets it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alloyloop.db.campaigns import SuggestionInput
from tests.fixtures.terminal import alloyloop, fits

CAMPAIGN = "narrow-terminal-campaign"
ALLOYS = ("Al0.3CoCrFeNi", "Al5Co20Cr20Fe25Ni30", "Co0.2333Cr0.1667Fe0.2Mn0.2Ni0.2", "Al0.0737Co0.2263Cr0.2158Fe0.2421Ni0.2421")


@pytest.fixture
def store(campaign_store) -> str:  # noqa: ANN001
    """A campaign with two completed rounds of suggestions (no model trained), two in the lab."""
    return campaign_store(CAMPAIGN, [[
        SuggestionInput(c, ("latent_region", "botorch")[i % 2], p_single=0.8123 - 0.1 * i,
                        interval=(0.5, 0.9), prediction_set=["single", "multi"][: 1 + i % 2],
                        in_domain=bool(i % 2), extra={"domain_score": 0.734})
        for i, c in enumerate(ALLOYS[2 * k: 2 * k + 2])] for k in range(2)], queued=(0, 2))


def test_status_and_suggestions_fit_80_columns(store: str) -> None:
    status = alloyloop("campaign", "status", CAMPAIGN, "--url", store)
    fits(status)
    assert "completed" in status and "2 suggestion(s) in the lab" in status
    assert "Al0.3CoCrFeNi" in status  # the short notation, not only the 40-character key
    suggestions = alloyloop("campaign", "suggestions", CAMPAIGN, "--url", store)
    fits(suggestions)
    assert "4 suggestion(s)" in suggestions and "latent_region" in suggestions
    assert "Al5Co20" in suggestions and "0.81" in suggestions and "both" in suggestions


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_the_demo_fits_80_columns_and_most_suggestions_get_a_label(tmp_path: Path) -> None:
    """One demo round on a fresh store (about 1-2 minutes here), its flows on the session's
    Prefect test server (not a temporary server of the subprocess's own)."""
    from prefect.settings import PREFECT_API_URL

    prefect = {"PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
               "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_API_URL": PREFECT_API_URL.value()}
    out = alloyloop("demo", "--rounds", "1", "--url", f"sqlite:///{tmp_path / 'store.sqlite3'}",
                     "--home", str(tmp_path / "home"), env=prefect, timeout=600)
    table = out[out.index("replayed labels"):]
    fits(table)
    row = next(line.split() for line in table.splitlines() if line.split()[:2] == ["0", "completed"])
    suggested, labelled = int(row[2]), int(row[3])
    assert suggested == 8 and labelled >= 6, table
