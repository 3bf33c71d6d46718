"""Bring-your-own-data tables: CSV files of compositions (and phase labels) checked row
by row, so a bad file is reported in full before anything is fitted or written.

A table has a ``composition`` column in any notation ``featurize.composition`` parses
and, for labelled files, a ``phase`` column (also named ``outcome``, as in ``label
import``) in the words of :mod:`alloyloop.featurize.outcomes`: ``single`` / ``multi``,
``1`` / ``0``, ``SP`` / ``MP``, ``SS`` / ``MS``, ``single-phase`` / ``multi-phase``. Files are
read as spreadsheets export them (:mod:`alloyloop.featurize.spreadsheet`). Rows are
numbered as lines of the file (the header is line 1), which is what a spreadsheet shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alloyloop.featurize.composition import CompositionError, parse_composition
from alloyloop.featurize.matrix import fraction_matrix
from alloyloop.featurize.outcomes import OUTCOME_HINT, Outcome, outcome_word
from alloyloop.featurize.spreadsheet import SheetError, cell, known_columns, overlong, read_sheet

PHASE_HINT = f"write single or multi ({OUTCOME_HINT})"
ALIASES = {"formula": "composition", "alloy": "composition", "outcome": "phase", "label": "phase"}


@dataclass(frozen=True)
class TableError:
    """One problem in a table: file, line, column, offending value and the fix."""

    file: str
    row: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f", row {self.row}" if self.row is not None else "")
        shown = f" {self.value!r}:" if self.value else ""
        return f"{where}, column {self.column!r}:{shown} {self.message}"

    @property
    def skippable(self) -> bool:
        """A row whose composition cannot be featurized (``--skip-invalid`` drops it)."""
        return self.row is not None and self.column == "composition"


@dataclass
class CompositionTable:
    """The good rows of a table, in file order.

    Attributes:
        frame: the good rows as read (all columns as text, the file's column names).
        fractions: one dict element → mole fraction per good row.
        labels: ``(n,)`` int64 1 = single, 0 = multi; None for unlabelled tables.
        lines: the file line of each good row.
        keys: the canonical key of each good row.
        notes: how each composition was read when it needed a conversion, else "".
        read_notes: how the file was read (encoding assumed, separator, columns ignored).
    """

    frame: pd.DataFrame
    fractions: list[dict[str, float]] = field(default_factory=list)
    labels: np.ndarray | None = None
    lines: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    read_notes: list[str] = field(default_factory=list)
    text_column: str = "composition"
    """The composition column's name as the file writes it."""

    @property
    def elements(self) -> set[str]:
        return {el for comp in self.fractions for el in comp}

    def matrix(self, palette: Iterable[str]) -> np.ndarray:
        """``(n, E)`` fractions over ``palette``."""
        return fraction_matrix(self.fractions, tuple(palette))


def parse_phase(value: str) -> int | None:
    """1 for single-phase, 0 for multi-phase, None if the text is not a phase label."""
    outcome = outcome_word(value)
    return None if outcome is None else int(outcome is Outcome.SINGLE)


def read_table(path: str | Path, *, labelled: bool, palette: Iterable[str] | None = None
               ) -> tuple[CompositionTable, list[TableError]]:
    """Read and check a composition CSV.

    Args:
        path: the CSV file.
        labelled: require and parse a ``phase`` column.
        palette: if given (a fitted model's elements), elements outside it are errors.

    Returns:
        ``(table, errors)``: the good rows, and one error per bad cell (empty when every
        row is good). A caller that accepts no bad row checks ``errors`` first.
    """
    path = Path(path)
    name = path.name
    try:
        sheet = read_sheet(path)
    except SheetError as exc:
        return CompositionTable(pd.DataFrame()), [TableError(name, None, "composition", "", str(exc))]
    required = ["composition"] + (["phase"] if labelled else [])
    columns = known_columns(sheet, required, ALIASES)
    errors = [TableError(name, 1, col, col, fix) for col, fix in columns.problems]
    errors += [TableError(name, None, col, "", f"no {col!r} column (columns: "
                          f"{', '.join(sheet.raw_header)}): add a header line with a column named {col}"
                          + (" (or outcome)" if col == "phase" else ""))
               for col in required if col not in columns.index]
    if errors:
        return CompositionTable(pd.DataFrame(columns=sheet.raw_header)), errors
    if not sheet.rows:
        return CompositionTable(pd.DataFrame(columns=sheet.raw_header)), [TableError(
            name, None, "composition", "", "the file has a header but no rows: add at least one composition")]
    read_notes = list(sheet.notes)
    if labelled and columns.extra:
        read_notes.append(f"ignored the column(s) {', '.join(columns.extra)} of {name}")

    allowed = None if palette is None else set(palette)
    table = CompositionTable(pd.DataFrame(), read_notes=read_notes,
                             text_column=sheet.raw_header[columns.index["composition"]])
    labels: list[int] = []
    good_cells: list[list[str]] = []
    split = {line: (text, fix) for line, text, fix in overlong(sheet)}
    for line, cells in sheet.rows:
        bad = len(errors)
        if line in split:  # not skippable: the row's cells may belong to other columns
            errors.append(TableError(name, line, "-", *split[line]))
            continue
        text = cell(cells, columns.index["composition"])
        comp = None
        try:
            comp = parse_composition(text, require_properties=True)
        except CompositionError as exc:
            errors.append(TableError(name, line, "composition", text, str(exc)))
        if comp is not None and allowed is not None:
            unknown = [el for el in comp.elements if el not in allowed]
            if unknown:
                errors.append(TableError(
                    name, line, "composition", text,
                    f"element {unknown[0]} is outside the model's palette "
                    f"({', '.join(sorted(allowed))}): drop the row or refit the model "
                    f"with labelled or unlabelled alloys containing {unknown[0]}"))
        phase = None
        if labelled:
            raw = cell(cells, columns.index["phase"])
            phase = parse_phase(raw)
            if phase is None:
                errors.append(TableError(name, line, "phase", raw, f"not a phase label: {PHASE_HINT}"))
        if len(errors) > bad:
            continue
        table.fractions.append(comp.fractions)
        table.lines.append(line)
        table.keys.append(comp.key)
        table.notes.append(comp.note)
        good_cells.append([cell(cells, i) for i in range(len(sheet.raw_header))])
        if phase is not None:
            labels.append(phase)
    table.frame = pd.DataFrame(good_cells, columns=sheet.raw_header)
    table.labels = np.asarray(labels, dtype=np.int64) if labelled else None
    return table, errors
