"""Featurize a batch of compositions given in any notation, with a per-row error report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from alloyloop.featurize.composition import RowError, parse_many
from alloyloop.featurize.descriptors import FULL_SCHEMA, FeatureSchema, descriptor_matrix
from alloyloop.featurize.matrix import elements_in, fraction_matrix
from alloyloop.featurize.spreadsheet import cell, decode, known_columns, read_sheet


@dataclass
class FeaturizedBatch:
    """Descriptors of the rows that parsed (``table``: the input as given, how it was read
    when converted, its canonical key and one column per feature, indexed by the input
    row) and the rows that did not (``errors``)."""

    table: pd.DataFrame
    errors: list[RowError] = field(default_factory=list)
    schema: FeatureSchema = FULL_SCHEMA


def featurize(values: Iterable[str | Mapping[str, float]] | pd.Series,
              schema: FeatureSchema = FULL_SCHEMA) -> FeaturizedBatch:
    """Parse and featurize; a row with an unknown element or one outside the property
    table becomes an error naming the element and the fix, the others are computed."""
    batch = parse_many(values, require_properties=True)
    errors = sorted(batch.errors, key=lambda e: e.row)
    good = batch.parsed
    comps = list(good.values())
    elements = elements_in(c.fractions for c in comps)
    x = fraction_matrix((c.fractions for c in comps), elements)
    d = descriptor_matrix(x, elements, schema) if comps else None
    frame = pd.DataFrame(d, columns=list(schema.names), index=list(good)) if comps else \
        pd.DataFrame(columns=list(schema.names))
    frame.insert(0, "key", [c.key for c in comps])
    frame.insert(0, "read_as", [c.note for c in comps])
    frame.insert(0, "input", [c.source for c in comps])
    frame.index.name = "line"
    return FeaturizedBatch(table=frame, errors=errors, schema=schema)


def read_compositions(path: Path) -> pd.Series:
    """Compositions from a CSV with a ``composition`` column (read as spreadsheets export
    it, :mod:`alloyloop.featurize.spreadsheet`), or from a text file with one per line
    (blank lines and ``#`` comments skipped). Index = 1-based line number.

    Raises:
        ValueError: the CSV cannot be read or has no composition column (saying why).
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        sheet = read_sheet(path)
        columns = known_columns(sheet, ("composition",), {"formula": "composition", "alloy": "composition"})
        if "composition" not in columns.index:
            raise ValueError(
                f"{path} has no 'composition' column (columns: {', '.join(sheet.raw_header)}): "
                "add a header line with a column named composition")
        i = columns.index["composition"]
        return pd.Series([cell(cells, i) for _, cells in sheet.rows], index=[line for line, _ in sheet.rows],
                         dtype=object)
    lines = decode(path.read_bytes())[0].splitlines()
    kept = {i + 1: ln.strip() for i, ln in enumerate(lines)
            if ln.strip() and not ln.lstrip().startswith("#")}
    return pd.Series(list(kept.values()), index=list(kept), dtype=object)


def featurize_file(path: Path, schema: FeatureSchema = FULL_SCHEMA) -> FeaturizedBatch:
    return featurize(read_compositions(path), schema)
