"""Where a campaign's files live: checkpoints and reports, one folder per round.

``$ALLOYLOOP_HOME`` if set, else ``platformdirs.user_data_dir("alloyloop")`` (the folder that
also holds the default SQLite store)::

    HOME/campaigns/NAME/round-003-<data hash[:12]>/model/        DVAE checkpoint
    HOME/campaigns/NAME/round-003-<data hash[:12]>/report/       index.html + PNGs + JSON

A round's folder is keyed by its index and data hash, so a rerun of a crashed round finds
its own checkpoint and a round on other data can never pick it up.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "ALLOYLOOP_HOME"


def alloyloop_home(home: str | Path | None = None) -> Path:
    """The root folder: ``home`` if given, else ``$ALLOYLOOP_HOME``, else the user data dir."""
    if home is not None:
        return Path(home)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("alloyloop", appauthor=False))


def campaign_dir(campaign: str, home: str | Path | None = None) -> Path:
    return alloyloop_home(home) / "campaigns" / campaign


def round_dir(campaign: str, index: int, data_hash: str, home: str | Path | None = None) -> Path:
    """Folder of round ``index`` of ``campaign`` trained on data with hash ``data_hash``."""
    return campaign_dir(campaign, home) / f"round-{index:03d}-{data_hash[:12]}"
