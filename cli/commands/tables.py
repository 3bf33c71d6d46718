"""Terminal tables that fit 80 columns (issue 33): every command's table is a
:class:`Listing`, which never splits a key or a word nor cuts a cell to "…"; a row that
cannot be a table row whole becomes a record, its keys each on one line (so they can be
copied into the next command)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

RIGHT = "right"


@dataclass(frozen=True)
class Column:
    """A column of a :class:`Listing`: its header, alignment, and whether its cells are free
    text (a note, a description) that may wrap between words. Every other cell (keys, ids,
    URIs, vocabulary words, dates) is printed whole or the row becomes a record."""

    name: str
    justify: str = "left"
    wrap: bool = False


class Listing:
    """Rows printed as a table when every cell fits whole in the terminal, else as records.

    A table squeezed into 80 columns by rich folds cells anywhere ("literatu" / "re") or cuts
    them to "…" (issue 33): a key cut or split cannot be copied into the next command. So the
    table is drawn only if its narrowest layout (no-wrap cells whole, the free-text column
    down to its longest word) fits; otherwise each row is a record: its ``head`` cells
    (an id, the alloy) on the first line, then ``name value`` pairs packed onto indented
    lines without breaking a pair, and each free-text cell on a line of its own, wrapped
    between words. At most one free-text column: rich shrinks two such columns unevenly
    and may fold a word of the narrower one.
    """

    def __init__(self, title: str | Text | None, columns: Sequence[Column], *, head: int = 1) -> None:
        if sum(c.wrap for c in columns) > 1:
            raise ValueError("a Listing has at most one free-text (wrap) column")
        self.title = title
        self.columns = list(columns)
        self.head = head
        self.rows: list[tuple[Text, ...]] = []

    def add_row(self, *cells: str | Text | None) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(tuple(c if isinstance(c, Text) else Text(c or "") for c in cells))

    def table(self) -> Table:
        table = Table(title=self.title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1),
                      pad_edge=False, collapse_padding=True)
        for col in self.columns:
            table.add_column(col.name, justify=col.justify, no_wrap=not col.wrap,  # type: ignore[arg-type]
                             overflow="fold")
        for row in self.rows:
            table.add_row(*row)
        return table

    def fits(self, console: Console, width: int) -> bool:
        """Whether the table fits ``width`` with every cell whole but free text, which may
        wrap down to its longest word (rich's own minimum would fold any cell to its longest word)."""
        needed = self.table().__rich_measure__(console, console.options.update_width(10_000)).maximum
        for i, col in enumerate(self.columns):
            if col.wrap:
                cells = [col.name, *(row[i].plain for row in self.rows)]
                widest = max(cell_len(c) for c in cells)
                needed -= widest - max(cell_len(w) for c in cells for w in c.split() or [""])
        return needed <= width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.fits(console, options.max_width):
            yield self.table()
            return
        if self.title:
            yield self.title if isinstance(self.title, Text) else Text(self.title)
        for row in self.rows:
            yield from self._record(row, options.max_width)

    def _record(self, row: tuple[Text, ...], width: int) -> RenderResult:
        indent = 4
        heads = [cell for cell in row[: self.head] if cell.plain]
        yield Text("\n", style="bold").join(pack(heads, width, "  "))
        pairs, texts = [], []
        for col, cell in zip(self.columns[self.head:], row[self.head:]):
            if not cell.plain:
                continue
            if col.wrap:
                texts.append(Text.assemble((f"{col.name}: ", "dim"), cell))
            else:
                pairs.append(Text.assemble((f"{col.name} ", "dim"), cell))
        for line in pack(pairs, width - indent, " · "):
            yield Padding(line, (0, 0, 0, indent), expand=False)
        for text in texts:
            yield Padding(text, (0, 0, 0, indent), expand=False)


def pack(pieces: Sequence[Text], width: int, sep: str) -> list[Text]:
    """The pieces joined by ``sep`` onto as few lines of ``width`` as go without breaking a
    piece (a piece wider than a line gets a line of its own)."""
    lines: list[Text] = []
    for piece in pieces:
        if lines and len(lines[-1]) + len(sep) + len(piece) <= width:
            lines[-1] = Text.assemble(lines[-1], sep, piece)
        else:
            lines.append(piece.copy())
    return lines
