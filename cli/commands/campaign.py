"""``alloyloop campaign …``: create a campaign from a spec, run rounds, show status and
suggestions.

``create``, ``status``, ``suggestions`` and ``examples`` only read or write the store;
``run`` runs Prefect flows (a temporary Prefect server starts unless ``PREFECT_API_URL``
points to one).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.console import Group

from alloyloop.cli.commands.db import URL_HELP, store_errors
from alloyloop.cli.commands.export import EXPORT_HELP, OUT_HELP, check_export, emit_csv
from alloyloop.cli.commands.tables import RIGHT, Column, Listing
from alloyloop.web.cells import num

app = typer.Typer(help="Design campaigns: create from a spec, run rounds, inspect them.",
                  no_args_is_help=True)
console = Console()

STEPS_PER_ROUND = 8
"""Progress messages per round of ``run_campaign``: snapshot, data, fit, register, batch,
report, done, labelling."""

HOME_HELP = "Folder for checkpoints and reports (default: $ALLOYLOOP_HOME, else the user data directory)."


@contextmanager
def flow_progress(total: int, first: str) -> Iterator[None]:
    """A rich progress bar fed by :mod:`alloyloop.agent.progress` messages (one step each)."""
    from alloyloop.agent import progress

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(first, total=total)

        def listener(scope: str, message: str) -> None:
            bar.update(task, advance=1, description=f"{scope}: {message}")

        with progress.listening(listener):
            yield
        bar.update(task, completed=total, description="finished")


def rounds_table(summaries, title: str) -> Group:  # noqa: ANN001 - RoundSummary-like rows
    """The per-round tables of ``campaign status`` and ``demo``: what happened to the
    suggestions, then the model's figures (two tables, so each fits 80 columns)."""
    rows = [s if isinstance(s, dict) else vars(s) for s in summaries]
    counts = Listing(title, [Column("round", RIGHT), Column("status"), *(Column(n, RIGHT) for n in (
        "suggested", "labelled", "hits", "failed", "in lab", "time"))])
    for r in rows:
        seconds = r.get("seconds")
        counts.add_row(str(r["index"]), r["status"], str(r["suggestions"]), str(r["labelled"]), str(r["hits"]),
                       str(r["failed"]), str(r["pending"]), "–" if seconds is None else f"{seconds:.0f} s")
    model = Listing("model (validation split)", [Column("round", RIGHT), *(Column(n, RIGHT) for n in (
        "mean p(single)", "AUC", "bal. acc.", "ECE")), Column("warm start")])
    for r in rows:
        model.add_row(str(r["index"]), num(r.get("mean_p_single")), num(r.get("val_auc")),
                      num(r.get("val_balanced_accuracy")), num(r.get("val_ece")), num(r.get("warm_start")))
    return Group(counts, model)


CONFORMAL_SHORT = {"{single}": "single", "{multi}": "multi", "{multi,single}": "both", "{single,multi}": "both",
                   "{}": "none"}


def batch_notes(summaries) -> list[str]:  # noqa: ANN001
    """Lines for rounds whose strategies made fewer suggestions than asked (``batch.json``)."""
    return [f"round {s['index']}: {'; '.join(s['notes'])}" for s in summaries if s.get("notes")]


def _spec_errors():  # noqa: ANN202
    """Print spec problems one per line and exit 1."""
    from alloyloop.campaigns.errors import SpecError

    @contextmanager
    def guard() -> Iterator[None]:
        try:
            yield
        except SpecError as exc:
            console.print(f"[red]invalid spec[/red] {escape(exc.source)}:")
            for p in exc.problems:
                console.print(f"  {escape(str(p))}", soft_wrap=True)
            raise typer.Exit(code=1) from None

    return guard()


@app.command("examples")
def examples(show: str = typer.Option(None, "--show", help="Print this example spec.")) -> None:
    """List the bundled example specs (or print one)."""
    from alloyloop.campaigns.bundled import example_names, example_path, load_example

    if show:
        try:
            path = example_path(show)
        except KeyError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc.args[0]))}")
            raise typer.Exit(code=1) from None
        sys.stdout.write(path.read_text(encoding="utf-8"))
        return
    table = Listing("bundled campaign specs (alloyloop campaign create NAME)",
                    [Column("name"), Column("batch", RIGHT), Column("target"), Column("labeler"),
                     Column("description", wrap=True)])
    for name in example_names():
        spec = load_example(name)
        table.add_row(name, str(spec.batch_size), spec.goal.target, spec.labeler.kind,
                      spec.description)
    console.print(table)


@app.command("create")
def create(
    spec_file: str = typer.Argument(..., metavar="SPEC", help="Campaign spec (TOML), or the name of a bundled example."),
    name: str = typer.Option(None, "--name", help="Use this campaign name instead of the spec's."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Validate a spec and create the campaign in the store."""
    import dataclasses

    from alloyloop.agent.campaign_ops import create_from_spec
    from alloyloop.campaigns.bundled import example_names, example_path
    from alloyloop.campaigns.spec import NAME_PATTERN, load_spec
    from alloyloop.db.session import store_session

    path = Path(spec_file)
    if not path.is_file():
        if spec_file not in example_names():
            console.print(f"[red]error:[/red] no spec file {escape(spec_file)} and no bundled example of "
                          f"that name: give a TOML file or one of {', '.join(example_names())}")
            raise typer.Exit(code=1)
        path = example_path(spec_file)
    with _spec_errors():
        spec = load_spec(path)
    if name is not None:
        if not NAME_PATTERN.match(name):
            console.print(f"[red]error:[/red] --name {escape(name)!s} is not usable: use letters, digits, "
                          "'.', '_' or '-'")
            raise typer.Exit(code=1)
        spec = dataclasses.replace(spec, name=name)
    with store_errors(), store_session(url) as session:
        record = create_from_spec(session, spec)
    mix = ", ".join(f"{s.kind} {s.count}" for s in spec.strategies)
    retrain = ", ".join(filter(None, [
        f"every {spec.retrain.every_n_labels} new labels" if spec.retrain.every_n_labels else None,
        f"cron {spec.retrain.cron}" if spec.retrain.cron else None])) or "by hand"
    console.print(f"created campaign [bold]{escape(record.name)}[/bold] (#{record.id}): "
                  f"{len(spec.space.palette)}-element palette {', '.join(spec.space.palette)}, "
                  f"batch {spec.batch_size} ({mix}), labeler {spec.labeler.kind}, retrain {retrain}")
    console.print(f"next: alloyloop campaign run {escape(record.name)}")


@app.command("run")
def run(
    name: str = typer.Argument(..., help="Campaign name."),
    rounds: int = typer.Option(1, "--rounds", min=1, help="Rounds to run (each followed by the labeler)."),
    when_labels: bool = typer.Option(False, "--when-labels", help="Run one round only if the label-count trigger fires."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
    home: Path = typer.Option(None, "--home", help=HOME_HELP),
) -> None:
    """Run rounds: snapshot → fit → suggest → report, then hand the batch to the labeler."""
    from alloyloop.agent import prefect_env
    from alloyloop.agent.campaign_ops import spec_of
    from alloyloop.db.session import store_session

    with store_errors(), store_session(url) as session, _spec_errors():
        spec = spec_of(session, name)
    if spec.labeler.kind == "lab" and rounds > 1:
        console.print(f"[red]error:[/red] campaign {escape(name)} is labelled by the lab, which waits for "
                      "people: run one round, enter the labels (alloyloop label add / import), then run "
                      "again or schedule it (alloyloop schedule)")
        raise typer.Exit(code=1)
    prefect_env.configure()
    from alloyloop.agent.flows import retrain_when_labels_arrive, run_campaign

    home_arg = None if home is None else str(home)
    with store_errors(), flow_progress(rounds * STEPS_PER_ROUND, "starting Prefect…"):
        if when_labels:
            result = retrain_when_labels_arrive(name, url, home_arg)
            summaries = [result["round"]] if result["fired"] else []
            console.print(f"label-count trigger: {'fired' if result['fired'] else 'did not fire'} "
                          f"({escape(result['reason'])})")
        else:
            summaries = run_campaign(name, rounds, url, home_arg)
    if summaries:
        console.print(rounds_table(summaries, f"campaign {name}"))
        for line in batch_notes(summaries):
            console.print(f"[yellow]{escape(line)}[/yellow]")
        console.print(f"report: {summaries[-1]['report']}")
    if spec.labeler.kind == "lab" and summaries:
        console.print("the batch waits for the lab: list it with `alloyloop campaign suggestions "
                      f"{escape(name)}` and enter labels with `alloyloop label add`")


@app.command("status")
def status(
    name: str = typer.Argument(..., help="Campaign name."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Rounds (metrics, hits), the label-count trigger and the suggestions in the lab."""
    from alloyloop.agent.campaign_ops import campaign_status
    from alloyloop.db.session import store_session
    from alloyloop.web.alloy_display import alloy_text

    with store_errors(), store_session(url) as session, _spec_errors():
        found = campaign_status(session, name)
    record, spec, summaries, decision, pending = (found.record, found.spec, found.summaries, found.trigger,
                                                  found.pending)
    mix = ", ".join(f"{s.kind} {s.count}" for s in spec.strategies)
    console.print(f"[bold]{escape(record.name)}[/bold] ({record.status}): {escape(spec.description)}")
    console.print(f"palette {', '.join(spec.space.palette)}; batch {spec.batch_size} ({mix}); "
                  f"labeler {spec.labeler.kind}")
    if summaries:
        console.print(rounds_table(summaries, "rounds"))
    else:
        console.print(f"no rounds yet: alloyloop campaign run {escape(name)}")
    console.print(f"label-count trigger: {'fires' if decision.fire else 'waits'} ({escape(decision.reason)})")
    if pending:
        table = Listing(f"{len(pending)} suggestion(s) in the lab",
                        [Column("id", RIGHT), Column("alloy"), Column("strategy"), Column("p(single)", RIGHT),
                         Column("status")], head=2)
        for s in pending:
            table.add_row(str(s.id), alloy_text(s.alloy_key).notation, s.strategy, num(s.p_single, 2), s.status)
        console.print(table)
    else:
        console.print("no suggestion in the lab (queued or synthesized)")


@app.command("suggestions")
def suggestions(
    name: str = typer.Argument(..., help="Campaign name."),
    round_index: int = typer.Option(None, "--round", help="Only this round."),
    export: str = typer.Option(None, "--export", help=EXPORT_HELP),
    out: Path = typer.Option(None, "--out", dir_okay=False, help=OUT_HELP),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """The campaign's suggestions with their predictions, conformal sets and domain flags."""
    from alloyloop.agent.campaign_ops import campaign_suggestions
    from alloyloop.agent.report.suggestion_table import SUGGESTION_COLUMNS, suggestion_row
    from alloyloop.db.session import store_session
    from alloyloop.web.alloy_display import alloy_text

    check_export(export, console)
    with store_errors(), store_session(url) as session:
        pairs = campaign_suggestions(session, name, round_index)
    if export is not None:
        emit_csv(("round", *SUGGESTION_COLUMNS), ([index, *suggestion_row(s)] for index, s in pairs), out,
                 console, "suggestion(s)")
        return
    table = Listing(f"{len(pairs)} suggestion(s) of {name}",
                    [Column("id", RIGHT), Column("alloy"), Column("rnd", RIGHT), Column("strategy"),
                     Column("p(1ph)", RIGHT), Column("set"), Column("in dom."), Column("status")], head=2)
    for index, s in pairs:
        row = dict(zip(SUGGESTION_COLUMNS, suggestion_row(s)))
        table.add_row(str(s.id), alloy_text(s.alloy_key).notation, str(index), s.strategy, num(s.p_single, 2),
                      CONFORMAL_SHORT.get(row["conformal_set"], row["conformal_set"]), num(s.in_domain), s.status)
    console.print(table)
    console.print("p(1ph): predicted p(single-phase) as recorded, calibrated on the campaign's own labelled "
                  "suggestions (the spec's \\[calibration] section; the model's own p is the CSV's p_model); "
                  "set: conformal prediction set (both = not decided); "
                  "in dom.: inside the model's domain; an alloy's notation parses back to its stored key; "
                  "--export csv has the keys and every column")
