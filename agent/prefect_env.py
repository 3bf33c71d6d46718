"""Prefect settings for commands that run flows, applied before Prefect is imported.

Only defaults: anything already in the environment (``PREFECT_API_URL`` of a real server,
another log level) wins.

- Without ``PREFECT_API_URL``, Prefect starts a temporary local server per process. On a
  busy two-core machine it took 20-30 s to answer, beyond Prefect's 20 s default wait.
- Analytics off: without network access the server logs telemetry errors otherwise.
- Warnings only: the CLI shows its own progress.
"""

from __future__ import annotations

import os

DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def configure() -> None:
    """Set the defaults above where the environment does not say otherwise."""
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
