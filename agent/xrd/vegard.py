"""Starting lattice parameters from the composition: Vegard's law on atomic volumes.

The alloy's mean atomic volume is the fraction-weighted mean of the elements' (molar volume
from the element table / Avogadro; Zen's law, Vegard's law in volume). A lattice with ``n``
atoms per cell then has ``a³ = n V`` (FCC n = 4, BCC and B2 n = 2 per cubic cell, L1₂ 4) and
HCP ``(√3/2) a² c = 2 V`` at the ideal c/a = 1.633. For CoCrFeMnNi this gives 3.594 Å (3.59
measured), for NbMoTaW 3.228 Å (3.22). The analysis searches ±6 % around these values
(:func:`alloyloop.agent.xrd.indexing.index_peaks`'s ``window``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from alloyloop.agent.xrd.lattices import Structure
from alloyloop.featurize.elements import element_table

AVOGADRO = 6.02214076e23
IDEAL_C_OVER_A = math.sqrt(8 / 3)
ATOMS_PER_CELL = {Structure.FCC: 4, Structure.L12: 4, Structure.BCC: 2, Structure.B2: 2}


@dataclass(frozen=True)
class StartingLattice:
    """Vegard's estimate for one structure: a (and c for HCP), Å."""

    structure: Structure
    a: float
    c: float | None = None


def mean_atomic_volume(fractions: Mapping[str, float]) -> float:
    """Fraction-weighted mean atomic volume, Å³ (fractions need not be normalised)."""
    table = element_table()
    symbols = list(fractions)
    idx = table.index(symbols)
    x = [fractions[s] for s in symbols]
    total = sum(x)
    if total <= 0:
        raise ValueError("the composition has no element with a positive fraction")
    vm = sum(xi * table.molar_volume_cm3[i] for xi, i in zip(x, idx)) / total
    return vm * 1e24 / AVOGADRO


def starting_lattice(structure: Structure, fractions: Mapping[str, float]) -> StartingLattice:
    v = mean_atomic_volume(fractions)
    if structure is Structure.HCP:
        a = (4 * v / (math.sqrt(3) * IDEAL_C_OVER_A)) ** (1 / 3)
        return StartingLattice(structure, a, a * IDEAL_C_OVER_A)
    return StartingLattice(structure, (ATOMS_PER_CELL[structure] * v) ** (1 / 3))
