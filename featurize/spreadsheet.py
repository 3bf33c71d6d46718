"""CSV files as spreadsheets export them: rows of text cells with their file line numbers.

What real exports contain, and what is done with it:

- a UTF-8 byte-order mark (Excel's "CSV UTF-8"): dropped;
- Windows (CRLF) or old Mac (CR) line ends: read as line ends;
- another encoding than UTF-8 (Excel's plain "CSV" on Windows is cp1252): the text is
  read as cp1252, else Latin-1, and :attr:`Sheet.notes` says which was assumed;
- ``;`` (the separator where the decimal mark is a comma) or tab instead of ``,``: sniffed
  from the header line with :class:`csv.Sniffer` (data rows may hold decimal commas);
- trailing empty rows (``;;;`` lines) and blank lines: skipped;
- header names in any case, with spaces: compared lower-case, spaces as ``_``;
- a quote that is never closed (a note cell ``"cracked, see photo``), or one closed by
  chance further down: refused, naming the line where the quote opened, because the rows
  after it would be read into that one cell (issue 28). A cell may hold line breaks (a
  note typed with Alt+Enter) as long as none of its lines looks like a row of the table.

Which columns a file must or may have is the caller's business (:func:`known_columns`
sorts a header into known, extra and problems).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SEPARATORS = ",;\t"
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


class SheetError(ValueError):
    """The file cannot be read as a table at all (the message says why and what to do).

    ``line``: the line of the file at fault (the line a quote opened on), else None.
    """

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class Sheet:
    """A CSV file as text: ``header`` (normalized names), ``rows`` of (line, cells).

    Attributes:
        header: column names, stripped, lower-case, spaces as ``_``.
        raw_header: the names as the file writes them.
        rows: (line number of the row in the file, the header line being 1, cells); a row
            whose quoted cell spans lines is numbered by its first line.
        encoding: the encoding the text was decoded with.
        separator: the cell separator.
        notes: what a person should know about how the file was read.
    """

    header: list[str]
    raw_header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    encoding: str = "utf-8"
    separator: str = ","
    notes: list[str] = field(default_factory=list)


def normalize_name(name: str) -> str:
    return "_".join(name.strip().lower().split())


def decode(data: bytes) -> tuple[str, str | None]:
    """The text of a file and, when it was not UTF-8, a note naming the encoding assumed."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    for encoding, name in (("cp1252", "Windows-1252 (cp1252)"), ("latin-1", "Latin-1 (ISO-8859-1)")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, (f"not UTF-8: read as {name}, the encoding of spreadsheet exports on Windows; "
                      "save the file as 'CSV UTF-8' if characters look wrong")
    raise AssertionError("unreachable: Latin-1 decodes any bytes")


def read_sheet(path: str | Path) -> Sheet:
    """Read a CSV file exported by a spreadsheet (see the module docstring).

    Raises:
        SheetError: the file cannot be opened, is empty, or is not a table.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SheetError(f"cannot open {path} ({exc.strerror}): check the path") from None
    text, note = decode(data)
    encoding = "utf-8" if note is None else ("cp1252" if "cp1252" in note else "latin-1")
    first = next((ln for ln in text.splitlines() if ln.strip(SEPARATORS + " ")), None)
    if first is None:
        raise SheetError(f"{path.name} has no header row: start it with the column names, e.g. "
                         "composition,phase")
    try:
        separator = csv.Sniffer().sniff(first, delimiters=SEPARATORS).delimiter
    except csv.Error:
        separator = ","  # one column: no separator to find
    lines = re.split(r"\r\n|\r|\n", text)  # as the csv module counts lines (not splitlines)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    start = 1  # the line the record being read starts on
    try:
        for cells in reader:
            first, end = start, reader.line_num  # a quoted cell may span lines: a row is named by its first
            _check_merged(path.name, lines, first, end, cells, header, separator)
            start = end + 1
            if not any(c.strip() for c in cells):
                continue  # blank lines and the empty rows spreadsheets append
            if header is None:
                header = cells
                continue
            rows.append((first, cells))
    except csv.Error as exc:
        raise SheetError(_quote_problem(path.name, lines, start, reader.line_num, header, separator,
                                        str(exc)), line=start) from None
    assert header is not None
    notes = [note] if note else []
    if separator != ",":
        notes.append(f"cells separated by {_SEPARATOR_NAMES[separator]}s")
    return Sheet(header=[normalize_name(h) for h in header], raw_header=[h.strip() for h in header],
                 rows=rows, encoding=encoding, separator=separator, notes=notes)


@dataclass
class Columns:
    """A header sorted out: where each known column is, the extra ones, the problems."""

    index: dict[str, int]
    extra: dict[str, int]
    problems: list[tuple[str, str]]
    """(column as written, what is wrong and the fix)."""


def known_columns(sheet: Sheet, known: Sequence[str], aliases: Mapping[str, str]) -> Columns:
    """Map the header onto ``known`` names (``aliases``: other spellings of them).

    A column named twice (also through an alias) is a problem; an unnamed column with
    cells is one too; any other column is ``extra``.
    """
    index: dict[str, int] = {}
    extra: dict[str, int] = {}
    problems: list[tuple[str, str]] = []
    for i, (name, raw) in enumerate(zip(sheet.header, sheet.raw_header)):
        col = aliases.get(name, name)
        if any(unicodedata.category(ch) == "Cc" for ch in raw):
            problems.append((raw.encode("unicode_escape").decode("ascii"),
                             "the column name holds a control character (a NUL byte?): retype the header"))
        elif col in known:
            if col in index:
                first = sheet.raw_header[index[col]]
                problems.append((raw, f"names the same column as {first!r}: keep one of them"))
            else:
                index[col] = i
        elif not name:
            if any(i < len(cells) and cells[i].strip() for _, cells in sheet.rows):
                problems.append((f"column {i + 1}", "has cells but no name: give it a header"))
        else:
            extra[raw] = i
    return Columns(index=index, extra=extra, problems=problems)


def cell(cells: Sequence[str], i: int | None) -> str:
    """The stripped cell ``i`` of a row ("" when the row is short or the column absent)."""
    return cells[i].strip() if i is not None and i < len(cells) else ""


def overlong(sheet: Sheet) -> list[tuple[int, str, str]]:
    """Rows with filled cells beyond the header, as (line, the row's text, fix): in a comma
    file an unquoted decimal comma splits a formula (Al0,5CoCrFeNi -> Al0 | 5CoCrFeNi)."""
    width = len(sheet.header)
    name = _SEPARATOR_NAMES[sheet.separator]
    out = []
    for line, cells in sheet.rows:
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            out.append((line, sheet.separator.join(cells),
                        f"{len(cells)} cells but {width} columns: quote cells that contain the {name} "
                        f"(a decimal comma in a comma-separated file: \"Al0,5CoCrFeNi\")"))
    return out


def _open_quote(line: str, separator: str) -> int | None:
    """Where the quote that is still open at the end of ``line`` starts (None: all closed).
    Only a quote at the start of a cell opens one; ``""`` inside is an escaped quote."""
    quoted, opened, at_start, i = False, None, True, 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"' and line[i + 1:i + 2] == '"':
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == separator:
            at_start = True
            i += 1
            continue
        elif ch == '"' and at_start:
            quoted, opened = True, i
        at_start = False
        i += 1
    return opened if quoted else None


def _column_name(line: str, at: int, separator: str, header: Sequence[str] | None) -> str:
    """The header name of the cell starting at ``at`` of ``line`` (its number if unknown)."""
    index = len(next(csv.reader([line[:at] + "x"], delimiter=separator))) - 1
    if header is not None and index < len(header) and header[index].strip():
        return repr(header[index].strip())
    return f"{index + 1}"


def _quote_problem(name: str, lines: Sequence[str], start: int, end: int, header: Sequence[str] | None,
                   separator: str, reason: str) -> str:
    """The message for a record the strict reader refused: the line its open quote starts on."""
    line = lines[start - 1] if start - 1 < len(lines) else ""
    at = _open_quote(line, separator)
    if at is None:
        return (f"{name}, line {start}: not a readable CSV line ({reason}): check the quotes on that "
                'line; a quote inside a quoted cell is written twice ("")')
    cell_text = line[at:at + 40] + ("…" if len(line) > at + 40 else "")
    closes = "is never closed" if reason == "unexpected end of data" else \
        f"is not closed on that line (the reader stopped at line {end})"
    return (f"{name}, line {start}: the quote that opens the cell {cell_text} (column "
            f"{_column_name(line, at, separator, header)}) {closes}, so the rows after it would be read "
            f"into that cell: close the quote on line {start} or remove it (a quote inside a quoted cell "
            'is written twice: "")')


def _check_merged(name: str, lines: Sequence[str], start: int, end: int, cells: Sequence[str],
                  header: Sequence[str] | None, separator: str) -> None:
    """Refuse a record whose quoted cell runs over lines that look like rows of their own
    (as many separators as a row has): a quote closed by chance further down."""
    if end <= start:
        return
    width = len(header) if header is not None else len(cells)
    if width < 2:
        return
    for number in range(start + 1, end + 1):
        if number - 1 < len(lines) and lines[number - 1].count(separator) >= width - 1:
            line = lines[start - 1]
            at = _open_quote(line, separator)
            cell_text = line[at:at + 40] if at is not None else line[:40]
            column = _column_name(line, at, separator, header) if at is not None else "?"
            raise SheetError(
                f"{name}, line {start}: the quote that opens the cell {cell_text} (column {column}) "
                f"closes only on line {end}, so line {number} ({lines[number - 1][:60]}) would be read "
                f"into that cell: close the quote on line {start} or remove it (a quote inside a quoted "
                'cell is written twice: "")', line=start)
