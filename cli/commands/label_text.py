"""What the label commands share: who acts, how a stored label reads, its training label.

``label add / supersede / list / conflicts`` and ``label from-xrd`` print a stored label the
same way and name the same actor in the audit log.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from alloyloop.db.actors import local_actor, login_name  # noqa: F401 - login_name: the label commands' default 'entered by'

console = Console()


def actor() -> str:
    """Who the audit log names for a command-line write (web users appear by account name)."""
    return local_actor()


def describe(label) -> str:  # noqa: ANN001 - a db.records.LabelRecord
    """``single (FCC), experiment/XRD, as-cast, by alice``."""
    phases = f" ({'+'.join(label.phases)})" if label.phases else ""
    parts = [f"{label.source}/{label.method}"]
    if label.processing_state is not None:
        parts.append(str(label.processing_state))
    if label.entered_by:
        parts.append(f"by {label.entered_by}")
    return f"{label.outcome}{phases}, {', '.join(parts)}"


def print_resolution(res) -> None:  # noqa: ANN001 - a db.resolver.Resolution or None
    """The alloy's training label now (:mod:`alloyloop.db.resolver`), one line; nothing when it has none."""
    if res is None:
        return
    verdict = f"[green]{res.outcome}[/green]" if res.included else "[yellow]excluded[/yellow]"
    console.print(f"training label: {verdict} — {escape(res.reason)}")


def evidence_shown(uri: str | None) -> str:
    """A label's evidence as the pages show it: an uploaded file by the name it was given
    (the store's URI names the file by its hash and keeps that name as its fragment), any
    other URI as it is."""
    if not uri:
        return ""
    if uri.startswith("file:"):
        from pathlib import PurePosixPath
        from urllib.parse import unquote, urlparse

        parsed = urlparse(uri)
        return f"file {unquote(parsed.fragment) or PurePosixPath(unquote(parsed.path)).name}"
    return uri


def label_listing(title: str | None, labels):  # noqa: ANN001, ANN201
    """An alloy's labels as a :class:`~alloyloop.cli.commands.tables.Listing`: a table when
    every cell fits whole, else one record a label with its evidence and note (``label list``)."""
    from alloyloop.cli.commands.tables import Column, Listing

    columns = [Column("id"), Column("outcome"), Column("status"), Column("source/method"), Column("processing"),
               Column("by"), Column("entered"), Column("evidence"), Column("note", wrap=True)]
    listing = Listing(title, columns, head=3)
    for lb in labels:
        phases = f" ({'+'.join(lb.phases)})" if lb.phases else ""
        status = "current" if lb.active else f"superseded by #{lb.superseded_by}"
        listing.add_row(f"#{lb.id}", lb.outcome + phases, status, f"{lb.source}/{lb.method}",
                        str(lb.processing_state or ""), lb.entered_by or "", lb.created_at.strftime("%Y-%m-%d %H:%M"),
                        evidence_shown(lb.evidence_uri), lb.note or "")
    return listing


def print_comparison(comparison) -> None:  # noqa: ANN001 - a web.conflict_view.Comparison
    """An alloy's disagreeing labels: the verdict, then per outcome the labels that give it
    (ids packed onto lines, never split)."""
    from rich.padding import Padding
    from rich.text import Text

    from alloyloop.cli.commands.tables import pack

    console.print(Text(f"training label: {comparison.summary}"))
    width = console.width - 4
    for side in comparison.sides:
        pieces = [Text(f"#{lb.id}") for lb in side.labels]
        head = Text(f"{side.outcome} ({len(side.labels)}, {', '.join(side.sources)}):")
        for line in pack([head, *pieces], width, " "):
            console.print(Padding(line, (0, 0, 0, 4), expand=False))
