"""``alloyloop campaign export-eln``, ``label export-eln`` and ``label import-eln``: the ELN
Consortium's .eln (an RO-Crate zip) to and from electronic lab notebooks (eLabFTW …)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from alloyloop.cli.commands.db import URL_HELP, store_errors
from alloyloop.cli.commands.label_text import actor

console = Console()
FILE_HELP = "The .eln file to write (a zip; an existing file is replaced)."


def _check_out(file: Path) -> None:
    if file.suffix.lower() != ".eln":
        console.print(f"[red]error:[/red] {escape(str(file))}: name the file *.eln (ELNs recognise the extension)")
        raise typer.Exit(code=1)


def export_campaign(
    name: str = typer.Argument(..., help="Campaign name."),
    file: Path = typer.Argument(..., dir_okay=False, help=FILE_HELP),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Export a campaign as .eln: spec, suggestions with their status history, round
    reports and the labels that answered them (with evidence files and corrections)."""
    from alloyloop.db.session import store_session
    from alloyloop.web.eln_export import campaign_crate, write_eln

    _check_out(file)
    with store_errors(), store_session(url) as session:
        written = write_eln(campaign_crate(session, name), file)
    console.print(f"wrote {escape(str(written))}")


def export_labels(
    file: Path = typer.Argument(..., dir_okay=False, help=FILE_HELP),
    composition: list[str] = typer.Option(None, "--composition", "-c", help="An alloy whose labels to export "
                                          "(any notation; repeat the option for more). Default: every label."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Export labels as .eln (with their evidence files, provenance and corrections)."""
    from alloyloop.db.session import store_session
    from alloyloop.web.eln_export import labels_crate, selected_labels, write_eln

    _check_out(file)
    with store_errors(), store_session(url) as session:
        labels = selected_labels(session, composition or ())
        if not labels:
            console.print("[red]error:[/red] no labels to export: check the compositions (alloyloop label list COMP)")
            raise typer.Exit(code=1)
        written = write_eln(labels_crate(labels, f"alloyloop labels ({len(labels)})"), file)
    console.print(f"wrote {len(labels)} label(s) to {escape(str(written))}")


def import_labels(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="An .eln exported by alloyloop."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every label; store nothing."),
    data_dir: Path = typer.Option(None, "--data-dir", help="The web app's data folder, where evidence files "
                                  "go (default: $ALLOYLOOP_HOME, else the user data directory)."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Import the labels of an .eln, all or nothing (corrections included; evidence files
    are stored as uploads)."""
    from alloyloop.agent.paths import alloyloop_home
    from alloyloop.db.session import store_session
    from alloyloop.web.eln_import import import_eln

    folder = Path(data_dir) if data_dir is not None else alloyloop_home()
    with store_errors(), store_session(url) as session:
        stored = import_eln(session, file, folder / "evidence", actor=actor(), dry_run=dry_run)
    if dry_run:
        console.print(f"{escape(file.name)}: every label is valid; nothing stored (--dry-run)")
    else:
        console.print(f"stored {len(stored)} label(s) from {escape(file.name)}")
