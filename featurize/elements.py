"""Per-element property table, with the provenance of every column.

Columns (``ElementTable`` arrays are aligned with ``ElementTable.symbols``):

======================  ======  ===============================================================
column                  unit    source
======================  ======  ===============================================================
radius_pm               pm      Goldschmidt 12-coordinate metallic radius, as tabulated by
                                hea-bench (Teatum, Gschneidner & Waber, LA-4003, 1968; Housecroft
                                & Sharpe for the original 24). This is the convention of the HEA
                                literature's δ. pymatgen's ``metallic_radius`` mixes coordination
                                numbers (e.g. Mn 1.27 Å vs CN12 1.35 Å) and is used only as a
                                fallback for elements hea-bench lacks.
electronegativity       —       Pauling scale, pymatgen ``Element.X``.
vec                     e/atom  valence-electron count in the Guo & Liu (2011) convention (s + d
                                for transition metals, group number for s/p block), as tabulated
                                by hea-bench; pymatgen has no such column.
valence_all             e/atom  all electrons outside the noble-gas core (s, p, d and f), from
                                pymatgen's ground-state configuration: the seed paper's "vac"
                                (it is *not* the usual VEC; Hf counts 4f14 5d2 6s2 = 18).
melting_K               K       pymatgen ``Element.melting_point``, except Th: pymatgen has 2115 K,
                                the CRC Handbook (and hea-bench, LA-4003) 2023 K (1750 °C); the
                                CRC value is used (:data:`MELTING_K_OVERRIDE`).
bulk_modulus_GPa        GPa     pymatgen ``Element.bulk_modulus``; pymatgen has none for Zr, Os,
                                Ga, Ge, In, Sr: Kittel, *Introduction to Solid State Physics*, 8th
                                ed., ch. 3 table 3 (room temperature) is used for those (In and Sr
                                agree to 0.2 % with the bulk moduli of de Boer et al. 1988 that
                                hea-bench vendors in ``miedema_parameters.csv``: 41.09, 11.62).
molar_volume_cm3        cm³/mol pymatgen ``Element.molar_volume``.
atomic_mass             g/mol   pymatgen ``Element.atomic_mass``.
======================  ======  ===============================================================

Binary mixing enthalpies (``pair_enthalpy_kJ``) are the Miedema liquid equiatomic pair
values of the table hea-bench ships (matminer's Miedema table, cross-checked against
Takeuchi & Inoue 2005, Mater. Trans. 46, 2817).

Element groups follow the seed paper's latent-space discussion (Zeng, Khan & Post 2024):
magnetic {Fe, Co, Ni, Ru, Rh, Ir}, noble {Ag, Cu, Pd, Au, Pt, Zn}, refractory
{Ti, V, Cr, Zr, Nb, Mo, Ta, W, Hf}.

The table covers the elements for which every column is available: hea-bench's
elemental table (which deliberately excludes B, C, N, P, As, …) intersected with the
Miedema pair table, so every element of hea-bench's benchmark rows is in it. The pair
table has one hole, Th-U (de Boer et al. tabulate no actinide-actinide pair): both
elements stay, an alloy with both is refused by the parser (``missing_pairs``), and the
matrix holds 0 there so that the other alloys' ΔH_mix stays defined in a batch.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MAGNETIC = frozenset({"Fe", "Co", "Ni", "Ru", "Rh", "Ir"})
NOBLE = frozenset({"Ag", "Cu", "Pd", "Au", "Pt", "Zn"})
REFRACTORY = frozenset({"Ti", "V", "Cr", "Zr", "Nb", "Mo", "Ta", "W", "Hf"})
GROUPS: dict[str, frozenset[str]] = {
    "magnetic": MAGNETIC,
    "noble": NOBLE,
    "refractory": REFRACTORY,
}

# Kittel, Introduction to Solid State Physics, 8th ed., ch. 3, table 3 (10^11 N/m^2 -> GPa).
BULK_MODULUS_FALLBACK_GPA: dict[str, float] = {"Zr": 83.3, "Os": 418.0, "Ga": 56.9, "Ge": 77.2,
                                                "In": 41.1, "Sr": 11.6}

# CRC Handbook of Chemistry and Physics, "Melting, boiling, triple and critical points of the
# elements" (Th 1750 °C), as hea-bench's elemental table has it; pymatgen prints 2115 K.
MELTING_K_OVERRIDE: dict[str, float] = {"Th": 2023.0}

PROVENANCE: dict[str, str] = {
    "radius_pm": "Goldschmidt CN12 metallic radius via hea_bench.descriptors.data.elemental "
    "(LA-4003 1968 / Housecroft & Sharpe); fallback pymatgen Element.metallic_radius",
    "electronegativity": "pymatgen Element.X (Pauling)",
    "vec": "Guo & Liu 2011 valence count via hea_bench.descriptors.data.elemental",
    "valence_all": "electrons outside the noble-gas core, pymatgen full_electronic_structure",
    "melting_K": "pymatgen Element.melting_point; CRC Handbook for Th (2023 K, pymatgen 2115 K)",
    "bulk_modulus_GPa": "pymatgen Element.bulk_modulus; Kittel 8th ed. table 3 for Zr, Os, Ga, Ge, In, Sr",
    "molar_volume_cm3": "pymatgen Element.molar_volume",
    "atomic_mass": "pymatgen Element.atomic_mass",
    "pair_enthalpy_kJ": "Miedema equiatomic liquid pair enthalpies via "
    "hea_bench.descriptors.data.pair_enthalpies (matminer table; Takeuchi & Inoue 2005)",
}

_NOBLE_GAS_CORE = {"He": 2, "Ne": 10, "Ar": 18, "Kr": 36, "Xe": 54, "Rn": 86}


@dataclass(frozen=True)
class ElementTable:
    """Element properties as arrays aligned with ``symbols`` (length E)."""

    symbols: tuple[str, ...]
    radius_pm: np.ndarray
    electronegativity: np.ndarray
    vec: np.ndarray
    valence_all: np.ndarray
    melting_K: np.ndarray
    bulk_modulus_GPa: np.ndarray
    molar_volume_cm3: np.ndarray
    atomic_mass: np.ndarray
    pair_enthalpy_kJ: np.ndarray
    """E × E symmetric Miedema pair enthalpies, zero diagonal (and 0 at a missing pair)."""
    missing_pairs: frozenset[frozenset[str]] = frozenset()
    """Pairs the Miedema table lacks (Th-U): ΔH_mix of an alloy with both is undefined."""

    def missing_pair_in(self, symbols: Sequence[str]) -> tuple[str, str] | None:
        """The first pair of ``symbols`` without a pair enthalpy, if any."""
        present = set(symbols)
        for pair in sorted(tuple(sorted(p)) for p in self.missing_pairs):
            if present.issuperset(pair):
                return pair
        return None

    def index(self, symbols: Sequence[str]) -> np.ndarray:
        """Column indices of ``symbols`` in this table.

        Raises:
            KeyError: naming the first symbol the table lacks and the covered set.
        """
        pos = {s: i for i, s in enumerate(self.symbols)}
        missing = [s for s in symbols if s not in pos]
        if missing:
            raise KeyError(
                f"element {missing[0]} has no entry in the property table (covered: "
                f"{', '.join(self.symbols)}): drop alloys with it or choose a palette "
                "inside the table"
            )
        return np.array([pos[s] for s in symbols], dtype=np.intp)

    def subset(self, symbols: Sequence[str]) -> ElementTable:
        """The table restricted (and reordered) to ``symbols``."""
        idx = self.index(symbols)
        return ElementTable(
            symbols=tuple(symbols),
            radius_pm=self.radius_pm[idx],
            electronegativity=self.electronegativity[idx],
            vec=self.vec[idx],
            valence_all=self.valence_all[idx],
            melting_K=self.melting_K[idx],
            bulk_modulus_GPa=self.bulk_modulus_GPa[idx],
            molar_volume_cm3=self.molar_volume_cm3[idx],
            atomic_mass=self.atomic_mass[idx],
            pair_enthalpy_kJ=self.pair_enthalpy_kJ[np.ix_(idx, idx)],
            missing_pairs=frozenset(p for p in self.missing_pairs if p <= set(symbols)),
        )

    def group_of(self, symbol: str) -> str | None:
        for name, members in GROUPS.items():
            if symbol in members:
                return name
        return None

    def to_frame(self):
        """The per-element columns as a pandas DataFrame indexed by symbol."""
        import pandas as pd

        return pd.DataFrame(
            {
                "radius_pm": self.radius_pm,
                "electronegativity": self.electronegativity,
                "vec": self.vec,
                "valence_all": self.valence_all,
                "melting_K": self.melting_K,
                "bulk_modulus_GPa": self.bulk_modulus_GPa,
                "molar_volume_cm3": self.molar_volume_cm3,
                "atomic_mass": self.atomic_mass,
                "group": [self.group_of(s) for s in self.symbols],
            },
            index=pd.Index(self.symbols, name="element"),
        )


def _valence_all(el) -> int:
    structure = el.full_electronic_structure
    core = 0
    for gas, n in _NOBLE_GAS_CORE.items():
        if n < el.Z and n > core:
            core = n
    # Count electrons beyond the preceding noble-gas core, i.e. all s/p/d/f valence shells.
    return int(sum(occ for _n, _l, occ in structure) - core)


@lru_cache(maxsize=1)
def element_table() -> ElementTable:
    """Build the element table once per process (about 0.1 s)."""
    from hea_bench.descriptors.data.elemental import ELEMENTAL_DATA
    from hea_bench.descriptors.data.pair_enthalpies import covered_elements, pair_enthalpy
    from pymatgen.core.periodic_table import Element

    covered = covered_elements()
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pymatgen warns for each missing property
        for sym in sorted(ELEMENTAL_DATA):
            if sym not in covered:
                continue
            hb = ELEMENTAL_DATA[sym]
            el = Element(sym)
            k = el.bulk_modulus
            k = float(k) if k is not None else BULK_MODULUS_FALLBACK_GPA.get(sym)
            vm = el.molar_volume
            tm = MELTING_K_OVERRIDE.get(sym, el.melting_point)
            chi = el.X
            if k is None or vm is None or tm is None or not np.isfinite(chi):
                continue
            radius = hb.radius_pm if hb.radius_pm else float(el.metallic_radius) * 100.0
            rows.append(
                (sym, radius, float(chi), float(hb.valence), _valence_all(el), float(tm),
                 float(k), float(vm), float(el.atomic_mass))
            )
    h = np.full((len(rows), len(rows)), np.nan)
    np.fill_diagonal(h, 0.0)
    for i, a in enumerate(rows):
        for j in range(i + 1, len(rows)):
            try:
                h[i, j] = h[j, i] = pair_enthalpy(a[0], rows[j][0])
            except KeyError:
                pass
    # The pair table's holes (Th-U only) stay holes: no value is invented for them.
    holes = np.isnan(h)
    missing = frozenset(frozenset((rows[i][0], rows[j][0])) for i, j in zip(*np.nonzero(holes)) if i < j)
    h[holes] = 0.0
    symbols = tuple(r[0] for r in rows)
    cols = list(zip(*(r[1:] for r in rows)))
    return ElementTable(
        symbols=symbols,
        radius_pm=np.array(cols[0]),
        electronegativity=np.array(cols[1]),
        vec=np.array(cols[2]),
        valence_all=np.array(cols[3], dtype=float),
        melting_K=np.array(cols[4]),
        bulk_modulus_GPa=np.array(cols[5]),
        molar_volume_cm3=np.array(cols[6]),
        atomic_mass=np.array(cols[7]),
        pair_enthalpy_kJ=h,
        missing_pairs=missing,
    )
