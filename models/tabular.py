"""Bring-your-own-data tables: CSV files of compositions (and phase labels) checked row
by row, so a bad file is reported in full before anything is fitted or written.

A table has a ``composition`` column in any notation ``featurize.composition`` parses
and, for labelled files, a ``phase`` column: ``single`` / ``multi``, ``1`` / ``0`` or
``SP`` / ``MP`` (case-insensitive). Rows are numbered as lines of the file (the header
is line 1), which is what a spreadsheet shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alloyloop.featurize.composition import CompositionError, parse_composition
from alloyloop.featurize.elements import element_table
from alloyloop.featurize.matrix import fraction_matrix

PHASE_VALUES: dict[str, int] = {
    "single": 1, "sp": 1, "1": 1,
    "multi": 0, "mp": 0, "0": 0,
}
PHASE_HINT = "write single or multi (also 1 / 0 or SP / MP, any case)"


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


@dataclass
class CompositionTable:
    """The parsed rows of a table (only meaningful when it had no errors).

    Attributes:
        frame: the file as read (all columns as text).
        fractions: one dict element → mole fraction per row.
        labels: ``(n,)`` int64 1 = single, 0 = multi; None for unlabelled tables.
    """

    frame: pd.DataFrame
    fractions: list[dict[str, float]] = field(default_factory=list)
    labels: np.ndarray | None = None

    @property
    def elements(self) -> set[str]:
        return {el for comp in self.fractions for el in comp}

    def matrix(self, palette: Iterable[str]) -> np.ndarray:
        """``(n, E)`` fractions over ``palette``."""
        return fraction_matrix(self.fractions, tuple(palette))


def parse_phase(value: str) -> int | None:
    """1 for single-phase, 0 for multi-phase, None if the text is not a phase label."""
    return PHASE_VALUES.get(str(value).strip().lower())


def read_table(path: str | Path, *, labelled: bool, palette: Iterable[str] | None = None
               ) -> tuple[CompositionTable, list[TableError]]:
    """Read and check a composition CSV.

    Args:
        path: the CSV file.
        labelled: require and parse a ``phase`` column.
        palette: if given (a fitted model's elements), elements outside it are errors.

    Returns:
        ``(table, errors)``; ``errors`` lists every bad row (empty when all are good).
    """
    path = Path(path)
    name = path.name
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        return CompositionTable(pd.DataFrame()), [TableError(
            name, None, "composition", "", f"cannot read the file as CSV ({exc}): save it "
            "as comma-separated text with a header line")]
    frame.columns = [str(c).strip() for c in frame.columns]
    required = ["composition"] + (["phase"] if labelled else [])
    missing = [c for c in required if c not in frame.columns]
    if missing:
        return CompositionTable(frame), [TableError(
            name, None, col, "", f"no {col!r} column (columns: {', '.join(frame.columns)}): "
            f"add a header line with a column named {col}") for col in missing]
    if frame.empty:
        return CompositionTable(frame), [TableError(
            name, None, "composition", "", "the file has a header but no rows: add at "
            "least one composition")]

    covered = set(element_table().symbols)
    allowed = None if palette is None else set(palette)
    errors: list[TableError] = []
    fractions: list[dict[str, float]] = []
    labels: list[int] = []
    for i, record in enumerate(frame.to_dict("records")):
        line = i + 2
        text = record["composition"]
        try:
            comp = parse_composition(text)
        except CompositionError as exc:
            errors.append(TableError(name, line, "composition", text, str(exc)))
            comp = None
        if comp is not None:
            outside = [el for el in comp.elements if el not in covered]
            unknown = [] if allowed is None else [el for el in comp.elements
                                                  if el not in allowed]
            if outside:
                errors.append(TableError(
                    name, line, "composition", text,
                    f"element {outside[0]} has no entry in the property table, so its "
                    f"descriptors cannot be computed: drop the row or replace {outside[0]}"))
            elif unknown:
                errors.append(TableError(
                    name, line, "composition", text,
                    f"element {unknown[0]} is outside the model's palette "
                    f"({', '.join(sorted(allowed or ()))}): drop the row or refit the model "
                    f"with labelled or unlabelled alloys containing {unknown[0]}"))
            else:
                fractions.append(comp.fractions)
        if labelled:
            phase = parse_phase(record["phase"])
            if phase is None:
                errors.append(TableError(
                    name, line, "phase", record["phase"],
                    f"not a phase label: {PHASE_HINT}"))
            else:
                labels.append(phase)
    table = CompositionTable(frame, fractions,
                             np.asarray(labels, dtype=np.int64) if labelled else None)
    return table, errors
