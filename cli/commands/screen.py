"""``alloyloop campaign screen NAME``: screen a very large sample of the campaign's design
space with its latest model, as Prefect tasks on Dask (:mod:`alloyloop.agent.screen_flow`).

It reads the store (the campaign's spec and latest completed round) and writes nothing
there: the top list is printed or exported, for a chemist to shortlist by hand or to
compare with the round's own batch. The round's ``screen`` strategy stays in-process.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from alloyloop.cli.commands.db import URL_HELP, store_errors
from alloyloop.cli.commands.export import EXPORT_HELP, OUT_HELP, check_export, emit_csv
from alloyloop.cli.commands.tables import RIGHT, Column, Listing

console = Console()


DASK_LOGGERS = ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.worker",
                "distributed.core", "distributed.http.proxy", "distributed.deploy", "bokeh", "tornado")


def quiet_dask() -> None:
    """Dask's scheduler, nanny and worker INFO lines (about 30 per run) stay out of the
    terminal: WARNING and above only, here and in the worker processes, which read the
    ``DASK_LOGGING__DISTRIBUTED`` setting when they start."""
    import logging
    import os

    os.environ["DASK_LOGGING__DISTRIBUTED"] = "warning"
    for name in DASK_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def screen(
    name: str = typer.Argument(..., help="Campaign name."),
    candidates: int = typer.Option(1_000_000, "--candidates", min=1,
                                   help="Lattice points to score (all of them when the lattice is smaller)."),
    top: int = typer.Option(20, "--top", min=1, help="Keep this many best distinct candidates."),
    workers: int = typer.Option(1, "--workers", min=1, help="Local Dask worker processes (one core each)."),
    address: str = typer.Option(None, "--address", help="A running Dask scheduler, e.g. tcp://host:8786 "
                                "(then --workers is ignored; see docs/operations.md)."),
    acquisition: str = typer.Option("greedy", "--acquisition", help="greedy (highest p(single)) or uncertainty."),
    seed: int = typer.Option(0, "--seed", help="Seed of the lattice sample."),
    chunk_size: int = typer.Option(100_000, "--chunk-size", min=1, help="Candidates per Prefect task."),
    per_system: int = typer.Option(1, "--per-system", min=0,
                                   help="At most this many alloys per element system in the list (0: no limit)."),
    export: str = typer.Option(None, "--export", help=EXPORT_HELP),
    out: Path = typer.Option(None, "--out", dir_okay=False, help=OUT_HELP),
    url: str = typer.Option(None, "--url", help=URL_HELP),
    verbose: bool = typer.Option(False, "--verbose", help="Show the Dask scheduler's and workers' INFO logs."),
) -> None:
    """Screen the design space with the latest round's model on Dask; print the top list."""
    if not verbose:
        quiet_dask()
    from alloyloop.agent import prefect_env
    from alloyloop.agent.campaign_ops import latest_checkpoint, spec_of
    from alloyloop.agent.strategies.screening import check_acquisition
    from alloyloop.db.session import store_session

    check_export(export, console)
    try:
        check_acquisition(acquisition)
        with store_errors(), store_session(url) as session:
            spec = spec_of(session, name)
            index, checkpoint = latest_checkpoint(session, name)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(code=1) from None
    prefect_env.configure()
    from alloyloop.agent.screen_flow import run_screening

    err = Console(stderr=True)
    err.print(f"screening {candidates:,} candidates of {escape(name)} with round {index}'s model on "
              f"{escape(address) if address else f'{workers} local Dask worker(s)'}…")
    result = run_screening(checkpoint, spec.space, candidates, top_k=top, acquisition=acquisition, seed=seed,
                           chunk_size=chunk_size, workers=workers, address=address, per_system=per_system)
    rows = result.rows()
    if export is not None:
        emit_csv(("rank", "composition", "p_single", "acquisition"),
                 ((rank, r["composition"], f"{r['p_single']:.6f}", f"{r['acquisition']:.6f}")
                  for rank, r in enumerate(rows, 1)), out, err, "candidate(s)")
        return
    table = Listing(f"top {len(rows)} of {result.scored:,} candidates ({result.feasible:,} inside the "
                    f"design space, {result.mode}d, {result.jobs} task(s)); model of round {index}",
                    [Column("rank", RIGHT), Column("alloy"), Column("p(single)", RIGHT), Column(acquisition, RIGHT)],
                    head=2)
    for rank, row in enumerate(rows, 1):
        table.add_row(str(rank), row["composition"], f"{row['p_single']:.3f}", f"{row['acquisition']:.3f}")
    console.print(table)
