"""Scheduled retraining: a Prefect deployment of ``retrain_when_labels_arrive`` on a cron.

Schedules need a real Prefect server (the temporary one ignores them)::

    prefect server start --host 127.0.0.1 --port 4200 --no-ui
    export PREFECT_API_URL=http://127.0.0.1:4200/api
    alloyloop schedule cantor-fcc --cron "0 2 * * *"

At each tick the flow checks the campaign's label-count trigger and runs a round only
when enough new labels have arrived.
"""

from __future__ import annotations

import os

SERVER_HELP = ("schedules need a Prefect server: start one with `prefect server start --host "
               "127.0.0.1 --port 4200 --no-ui` and set PREFECT_API_URL=http://127.0.0.1:4200/api")


def deployment_name(campaign: str) -> str:
    return f"retrain-{campaign}"


def require_server() -> str:
    """``$PREFECT_API_URL``, or a RuntimeError that says how to start a server."""
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        raise RuntimeError(SERVER_HELP)
    return api


def retrain_deployment(campaign: str, cron: str, url: str | None = None, home: str | None = None):
    """The deployment (not yet served) of the retrain flow for ``campaign`` on ``cron``."""
    from alloyloop.agent.flows import retrain_when_labels_arrive

    parameters = {"campaign": campaign}
    if url is not None:
        parameters["url"] = url
    if home is not None:
        parameters["home"] = home
    return retrain_when_labels_arrive.to_deployment(
        name=deployment_name(campaign), cron=cron, parameters=parameters,
        description=f"alloyloop: retrain campaign {campaign} when its label-count trigger fires")


def serve(campaign: str, cron: str, url: str | None = None, home: str | None = None) -> None:
    """Serve the deployment until interrupted (blocks)."""
    from prefect import serve as prefect_serve

    require_server()
    prefect_serve(retrain_deployment(campaign, cron, url, home))
