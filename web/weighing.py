"""The weighing sheet: grams of each element for ingots of a chosen mass.

From mole fractions x_i and atomic masses M_i (pymatgen's ``Element.atomic_mass``, g/mol):
weight fraction w_i = x_i M_i / Σ x_j M_j, and grams_i = w_i × ingot mass. Grams are
given to 0.1 mg (an analytical balance's reading); the column adds up to the ingot mass.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

MIN_MASS_G = 0.01
MAX_MASS_G = 10_000.0
DEFAULT_MASS_G = 20.0
"""A typical arc-melted button."""


@lru_cache(maxsize=128)
def atomic_mass(symbol: str) -> float:
    from pymatgen.core.periodic_table import Element

    return float(Element(symbol).atomic_mass)


@dataclass(frozen=True)
class Weighing:
    element: str
    at_pct: float
    wt_pct: float
    grams: float
    molar_mass: float


def weigh(fractions: Mapping[str, float], mass_g: float) -> list[Weighing]:
    """The element masses of one ingot of ``mass_g`` grams."""
    parts = {el: x * atomic_mass(el) for el, x in fractions.items()}
    total = sum(parts.values())
    return [Weighing(el, 100 * fractions[el], 100 * m / total, mass_g * m / total, atomic_mass(el))
            for el, m in parts.items()]


@dataclass(frozen=True)
class SheetRow:
    suggestion_id: int
    alloy_key: str
    notation: str
    elements: list[Weighing]


def sheet_csv(rows: Sequence[SheetRow], mass_g: float) -> str:
    """The sheet as CSV: one line per element of each alloy."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["suggestion", "alloy", "key", "ingot_g", "element", "at_pct", "wt_pct", "grams",
                     "atomic_mass_g_per_mol"])
    for row in rows:
        for w in row.elements:
            writer.writerow([row.suggestion_id, row.notation, row.alloy_key, f"{mass_g:g}", w.element,
                             f"{w.at_pct:.2f}", f"{w.wt_pct:.2f}", f"{w.grams:.4f}", f"{w.molar_mass:.4f}"])
    return out.getvalue()
