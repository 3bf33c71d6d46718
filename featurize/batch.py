"""Featurize a batch of compositions given in any notation, with a per-row error report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from alloyloop.featurize.composition import RowError, parse_many
from alloyloop.featurize.descriptors import FULL_SCHEMA, FeatureSchema, descriptor_matrix
from alloyloop.featurize.matrix import elements_in, fraction_matrix


@dataclass
class FeaturizedBatch:
    """Descriptors of the rows that parsed (``table``: key + one column per feature,
    indexed by the input row) and the rows that did not (``errors``)."""

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
    return FeaturizedBatch(table=frame, errors=errors, schema=schema)


def read_compositions(path: Path) -> pd.Series:
    """Compositions from a CSV with a ``composition`` column, or from a text file with one
    per line (blank lines and ``#`` comments skipped). Index = 1-based line number."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "composition" not in df.columns:
            raise ValueError(
                f"{path} has no 'composition' column (columns: {', '.join(df.columns)}): "
                "add a header line with a column named composition")
        return pd.Series(df["composition"].tolist(), index=range(2, len(df) + 2))
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = {i + 1: ln.strip() for i, ln in enumerate(lines)
            if ln.strip() and not ln.lstrip().startswith("#")}
    return pd.Series(list(kept.values()), index=list(kept), dtype=object)


def featurize_file(path: Path, schema: FeatureSchema = FULL_SCHEMA) -> FeaturizedBatch:
    return featurize(read_compositions(path), schema)
