"""Terminal tables that fit 80 columns: short headers, light borders, and cells that
wrap (``fold``) rather than being cut to "…"."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.table import Table

RIGHT = "right"


def fitted_table(title: str | None, columns: Sequence[str | tuple[str, str]],
                 wrap: Sequence[str] = ()) -> Table:
    """A table with these columns (``name`` or ``(name, justify)``). The ``wrap`` columns
    (long text: alloys, descriptions) give way when the terminal is narrow, folding onto
    more lines; the others (numbers, short words) keep their width. Nothing is cut."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1),
                  pad_edge=False, collapse_padding=True)
    for col in columns:
        name, justify = (col, "left") if isinstance(col, str) else col
        table.add_column(name, justify=justify, overflow="fold",  # type: ignore[arg-type]
                         no_wrap=name not in wrap)
    return table
