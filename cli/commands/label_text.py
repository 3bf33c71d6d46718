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
