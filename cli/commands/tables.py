"""Terminal tables that fit 80 columns: short headers, light borders, and cells that
wrap (``fold``) rather than being cut to "…"; alloy names wrap only between elements."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from alloyloop.web.alloy_display import alloy_tokens

RIGHT = "right"


def fitted_table(title: str | None, columns: Sequence[str | tuple[str, str]],
                 wrap: Sequence[str] = ()) -> Table:
    """A table with these columns (``name`` or ``(name, justify)``). The ``wrap`` columns
    (long text: alloys, descriptions) give way when the terminal is narrow, folding onto
    more lines; the others (numbers, short words) keep their width. Nothing is cut. Put
    alloys in as :class:`AlloyName`, which never folds inside a number."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1),
                  pad_edge=False, collapse_padding=True)
    for col in columns:
        name, justify = (col, "left") if isinstance(col, str) else col
        table.add_column(name, justify=justify, overflow="fold",  # type: ignore[arg-type]
                         no_wrap=name not in wrap)
    return table


class AlloyName:
    """An alloy name (notation or key) in a table cell that wraps only between its
    element-amount pieces: folded inside a number, ``…Ni3`` / ``0`` reads as Ni3 to someone
    weighing from it (issue 28). A key wrapped this way and copied from the terminal parses
    back to the same alloy (line breaks between elements are whitespace to the parser).

    Its narrowest width is its longest piece, so a table shrinks it to that at most; only a
    column narrower than one piece folds (the terminal leaves no other choice).
    """

    def __init__(self, text: str, style: str = "") -> None:
        self.text = text
        self.style = style
        self.pieces = alloy_tokens(text)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(max(len(p) for p in self.pieces), len(self.text)).clamp(max_width=options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = [""]
        for piece in self.pieces:
            if lines[-1] and len(lines[-1]) + len(piece) > options.max_width:
                lines.append(piece)
            else:
                lines[-1] += piece
        yield Text("\n".join(lines), style=self.style, overflow="fold", no_wrap=False)

    def __str__(self) -> str:
        return self.text
