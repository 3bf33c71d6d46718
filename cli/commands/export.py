"""CSV export shared by the commands that print a table (``--export csv [--out FILE]``)."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

EXPORT_HELP = "Write the table in this format instead (csv)."
OUT_HELP = "File for --export (default: standard output)."


def check_export(export: str | None, console: Console) -> None:
    """Refuse an unsupported ``--export`` before any work is done."""
    if export is not None and export.lower() != "csv":
        console.print(f"[red]error:[/red] --export {escape(export)} is not supported: use --export csv")
        raise typer.Exit(code=1)


def emit_csv(header: Sequence[str], rows: Iterable[Sequence[object]], out: Path | None, console: Console,
             what: str) -> None:
    """Write ``rows`` (``None`` as an empty cell) to ``out``, or to standard output."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        n += 1
    if out is None:
        sys.stdout.write(buffer.getvalue())
    else:
        out.write_text(buffer.getvalue(), encoding="utf-8")
        console.print(f"wrote {n} {what} to {out}")
