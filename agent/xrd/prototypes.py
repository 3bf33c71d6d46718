"""The intermetallic phases high-entropy alloys form besides solid solutions: σ, Laves C14 and
C15, μ — as pymatgen structures and reflection tables.

Each prototype is built with pymatgen's ``Structure.from_spacegroup`` from its Wyckoff
positions (pymatgen's default settings: Fd-3m origin choice 1, R-3m hexagonal axes):

- **σ** (tP30, CrFe type, P4₂/mnm): 2a, 4f (x 0.3981), 8i (0.4632, 0.1316), 8i (0.7376, 0.0653),
  8j (0.1823, z 0.2524); FeCr a 8.80, c 4.56 Å.
- **C14** (hP12, MgZn₂ type, P6₃/mmc): large atom 4f (z 0.0629), small 2a and 6h (x −0.1697);
  as NbFe₂, a 4.83, c 7.88 Å.
- **C15** (cF24, MgCu₂ type, Fd-3m): large atom 8a, small 16d; as ZrCo₂, a 6.95 Å.

The Laves phases are built with the chemistry they have in HEAs (a 4d/5d large atom, 3d small
ones), not as MgZn₂ / MgCu₂: their relative intensities depend on which sublattice scatters
more.
- **μ** (hR39, Fe₇W₆, R-3m): Fe 3a, W 6c (z 0.1667, 0.3458, 0.4487), Fe 18h (x 0.8305, z 0.2573);
  a 4.757, c 25.87 Å (approximate site parameters; they give the coordination numbers
  12/15/16/14/12 of the μ structure and Fe–Fe 2.39 Å, W–W ≥ 2.59 Å).

pymatgen's ``XRDCalculator`` (atomic scattering factors, Lorentz-polarisation) gives each
reflection's intensity at a short wavelength; dividing by the Lorentz-polarisation factor
leaves multiplicity × |F|², which :func:`intensities` turns into relative intensities at any
wavelength. The tables are computed once per process, when a pattern first needs them
(pymatgen is imported lazily: it costs about a second).

Lattice parameters come from the composition the way :mod:`.vegard` does for the cubic
phases: the alloy's mean atomic volume × the atoms per cell × the prototype's packing
(its cell volume over its atoms' mean volume, from the element table), at the prototype's
c/a; the search then varies a and c/a within :attr:`Prototype.window` and
:attr:`Prototype.c_over_a`.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import numpy as np


class NamedStructure(StrEnum):
    SIGMA = "sigma"
    C14 = "C14"
    C15 = "C15"
    MU = "mu"

    @property
    def parent(self) -> NamedStructure:
        return self

    @property
    def ordered(self) -> bool:
        return True


STORE_PHASE = {NamedStructure.SIGMA: "sigma", NamedStructure.C14: "Laves", NamedStructure.C15: "Laves",
               NamedStructure.MU: "intermetallic"}
"""The word each prototype is stored as (db/vocab.py ``Phase``): μ has no word of its own."""


@dataclass(frozen=True)
class Prototype:
    structure: NamedStructure
    spacegroup: str
    system: str
    """cubic, tetragonal or hexagonal."""
    a: float
    c: float | None
    sites: tuple[tuple[str, tuple[float, float, float]], ...]
    c_over_a: tuple[float, float] | None
    """The c/a range searched (None for cubic)."""
    a_range: tuple[float, float]
    """Where a is searched when the composition gives no rule (a of real compounds of the type)."""
    vegard: bool = False
    """Whether the alloy's mean atomic volume predicts a (σ: FeCr 8.806 Å from the element
    volumes, 8.80 measured); Laves and μ phases take up the alloy's large atoms (Nb, Zr, Ta,
    W, Mo), so the whole alloy's volume says little about theirs: a is searched in ``a_range``."""
    window: float = 0.06
    """± relative range of a around the composition's estimate (``vegard`` prototypes)."""
    large_atom: bool = False
    """Whether the structure needs an atom clearly larger than the others (:func:`admits`):
    Laves AB₂ (ideal radius ratio 1.225; Fe₂Mo at 1.10 among the smallest) and μ (Fe₇W₆,
    Co₇Mo₆); σ forms from atoms of nearly one size (FeCr)."""

    @property
    def atoms(self) -> int:
        return len(build(self.structure))


PROTOTYPES: dict[NamedStructure, Prototype] = {
    NamedStructure.SIGMA: Prototype(
        NamedStructure.SIGMA, "P4_2/mnm", "tetragonal", 8.80, 4.56,
        (("Fe", (0, 0, 0)), ("Cr", (0.3981, 0.3981, 0)), ("Fe", (0.4632, 0.1316, 0)),
         ("Cr", (0.7376, 0.0653, 0)), ("Fe", (0.1823, 0.1823, 0.2524))), (0.505, 0.535), (8.4, 9.3), vegard=True),
    NamedStructure.C14: Prototype(
        NamedStructure.C14, "P6_3/mmc", "hexagonal", 4.83, 7.88,
        (("Nb", (1 / 3, 2 / 3, 0.0629)), ("Fe", (0, 0, 0)), ("Fe", (-0.1697, -0.3394, 0.25))), (1.60, 1.66), (4.6, 5.6),
        large_atom=True),
    NamedStructure.C15: Prototype(
        NamedStructure.C15, "Fd-3m", "cubic", 6.95, None, (("Zr", (0, 0, 0)), ("Co", (0.625, 0.625, 0.625))), None,
        (6.6, 7.9), large_atom=True),
    NamedStructure.MU: Prototype(
        NamedStructure.MU, "R-3m", "hexagonal", 4.757, 25.87,
        (("Fe", (0, 0, 0)), ("W", (0, 0, 0.1667)), ("W", (0, 0, 0.3458)), ("W", (0, 0, 0.4487)),
         ("Fe", (0.8305, -0.8305, 0.2573))), (5.30, 5.50), (4.6, 4.95),
        large_atom=True),
}
TABLE_WAVELENGTH = 0.709317
D_MIN = 0.78
"""The tables reach d = 0.78 Å: Cu Kα to 2θ 160°, Co Kα to 2θ 140°."""


def lattice_of(proto: Prototype, a: float, c: float | None = None):  # noqa: ANN201 - pymatgen Lattice
    from pymatgen.core import Lattice

    if proto.system == "cubic":
        return Lattice.cubic(a)
    c = c if c is not None else a * proto.c / proto.a
    return Lattice.tetragonal(a, c) if proto.system == "tetragonal" else Lattice.hexagonal(a, c)


def build(structure: NamedStructure, a: float | None = None, c: float | None = None,
          species: Mapping[int, Mapping[str, float]] | None = None):  # noqa: ANN201 - pymatgen Structure
    """The prototype as a pymatgen Structure (``species``: site index → occupancy to replace
    the prototype's element on that Wyckoff site)."""
    from pymatgen.core import Structure as PmgStructure

    proto = PROTOTYPES[structure]
    a = a or proto.a
    occupancy = [dict(species[i]) if species and i in species else el for i, (el, _) in enumerate(proto.sites)]
    return PmgStructure.from_spacegroup(proto.spacegroup, lattice_of(proto, a, c), occupancy,
                                        [list(xyz) for _, xyz in proto.sites])


@dataclass(frozen=True)
class NamedTable:
    """Reflections of a prototype: Miller indices, the two terms of 1/d² and m|F|²."""

    structure: NamedStructure
    hkl: tuple[tuple[int, int, int], ...]
    planar: np.ndarray
    axial: np.ndarray
    weight: np.ndarray

    def d(self, a: float, c: float | None) -> np.ndarray:
        if c is None:
            return a / np.sqrt(self.planar)
        return 1.0 / np.sqrt(self.planar / a**2 + self.axial / c**2)


def _terms(system: str, h: int, k: int, l: int) -> tuple[float, float]:  # noqa: E741
    if system == "cubic":
        return float(h * h + k * k + l * l), 0.0
    if system == "tetragonal":
        return float(h * h + k * k), float(l * l)
    return 4 / 3 * (h * h + h * k + k * k), float(l * l)


def lorentz_polarisation(two_theta_deg: np.ndarray) -> np.ndarray:
    t = np.radians(np.asarray(two_theta_deg) / 2)
    return (1 + np.cos(2 * t) ** 2) / (np.sin(t) ** 2 * np.cos(t))


TABLES_FILE = Path(__file__).with_name("prototype_tables.json")
"""The tables as computed by :func:`compute_table` (``python -m alloyloop.agent.xrd.prototypes``
rewrites it; a test checks it against pymatgen), so an analysis does not import pymatgen."""


def fingerprint() -> str:
    """What the tables depend on: the prototypes and the table range."""
    text = repr((sorted((k.value, v.spacegroup, v.a, v.c, v.sites) for k, v in PROTOTYPES.items()),
                 TABLE_WAVELENGTH, D_MIN))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def compute_table(structure: NamedStructure) -> NamedTable:
    """The reflection table from pymatgen at the prototype's own lattice."""
    from pymatgen.analysis.diffraction.xrd import XRDCalculator

    proto = PROTOTYPES[structure]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pattern = XRDCalculator(wavelength=TABLE_WAVELENGTH).get_pattern(
            build(structure), scaled=False, two_theta_range=(1, 2 * math.degrees(math.asin(TABLE_WAVELENGTH / (2 * D_MIN)))))
    rows: dict[tuple[float, float], list] = {}
    for tt, inten, fams in zip(pattern.x, pattern.y, pattern.hkls):
        per = inten / lorentz_polarisation(np.array(tt))
        total = sum(f["multiplicity"] for f in fams)
        for fam in fams:
            hkl = fam["hkl"]
            hkl = (hkl[0], hkl[1], hkl[3]) if len(hkl) == 4 else tuple(hkl)
            key = tuple(round(v, 6) for v in _terms(proto.system, *hkl))
            row = rows.setdefault(key, [hkl, 0.0])
            row[1] += float(per) * fam["multiplicity"] / total
    keys = sorted(rows, key=lambda k: k[0] / proto.a**2 + (k[1] / proto.c**2 if proto.c else 0))
    top = max(rows[k][1] for k in keys)
    return NamedTable(structure, tuple(tuple(int(v) for v in rows[k][0]) for k in keys),
                      np.array([k[0] for k in keys]), np.array([k[1] for k in keys]),
                      np.array([round(rows[k][1] / top, 6) for k in keys]))


def _as_json(tab: NamedTable) -> dict:
    return {"hkl": [list(h) for h in tab.hkl], "planar": tab.planar.tolist(), "axial": tab.axial.tolist(),
            "weight": tab.weight.tolist()}


@lru_cache(maxsize=1)
def _stored() -> dict:
    if not TABLES_FILE.is_file():
        return {}
    data = json.loads(TABLES_FILE.read_text(encoding="utf-8"))
    return data["tables"] if data.get("fingerprint") == fingerprint() else {}


@lru_cache(maxsize=None)
def table(structure: NamedStructure) -> NamedTable:
    """The reflection table: the stored one when it matches the prototypes, else pymatgen's."""
    row = _stored().get(structure.value)
    if row is None:
        return compute_table(structure)
    return NamedTable(structure, tuple(tuple(h) for h in row["hkl"]), np.array(row["planar"], float),
                      np.array(row["axial"], float), np.array(row["weight"], float))


def write_tables(path: Path = TABLES_FILE) -> None:
    data = {"fingerprint": fingerprint(), "source": "pymatgen XRDCalculator, alloyloop.agent.xrd.prototypes",
            "tables": {s.value: _as_json(compute_table(s)) for s in NamedStructure}}
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")


def intensities(tab: NamedTable, d: np.ndarray, wavelength: float) -> np.ndarray:
    """Relative intensities of the reflections at spacings ``d`` (NaN-free; 0 beyond 2θ 180°)."""
    s = wavelength / (2 * d)
    out = np.zeros_like(d)
    ok = s < 1
    out[ok] = tab.weight[ok] * lorentz_polarisation(np.degrees(2 * np.arcsin(s[ok])))
    return out


LARGE_ATOM_RATIO = 1.07
"""An element this much larger in radius than the rest of the alloy (mean atomic volume of the
others, radius ∝ V^⅓) can be a Laves or μ phase's large atom: Mo in a CoCrFeNi base is 1.11,
Nb 1.16, Zr 1.23; Mn or Cr in CoCrFeNi 1.02."""
LARGE_ATOM_SHARE = 0.02


def admits(structure: NamedStructure, fractions: Mapping[str, float] | None) -> bool:
    """Whether an alloy of ``fractions`` can form ``structure`` by atomic size: a Laves or μ
    phase needs an element (≥ 2 %) :data:`LARGE_ATOM_RATIO` larger in radius than the others.
    Without a composition (or with an element the table lacks) anything is admitted."""
    if not PROTOTYPES[structure].large_atom or not fractions:
        return True
    from alloyloop.agent.xrd.vegard import mean_atomic_volume

    total = sum(fractions.values())
    try:
        for element, x in fractions.items():
            rest = {e: f for e, f in fractions.items() if e != element and f > 0}
            if x < LARGE_ATOM_SHARE * total or not rest:
                continue
            ratio = (mean_atomic_volume({element: 1.0}) / mean_atomic_volume(rest)) ** (1 / 3)
            if ratio >= LARGE_ATOM_RATIO:
                return True
    except KeyError:
        return True
    return False


def packing(structure: NamedStructure) -> float:
    """Cell volume of the prototype over its atoms' summed element volumes."""
    from alloyloop.agent.xrd.vegard import mean_atomic_volume

    proto = PROTOTYPES[structure]
    counts: dict[str, float] = {}
    for site in build(structure):
        counts[site.specie.symbol] = counts.get(site.specie.symbol, 0) + 1
    n = sum(counts.values())
    volume = float(lattice_of(proto, proto.a).volume)
    return volume / (n * mean_atomic_volume(counts))


@lru_cache(maxsize=None)
def _atoms_and_packing(structure: NamedStructure) -> tuple[int, float]:
    return PROTOTYPES[structure].atoms, packing(structure)


def starting_a(structure: NamedStructure, fractions: Mapping[str, float] | None) -> float:
    """a (Å) of the prototype for an alloy of ``fractions`` (the prototype's own a without one)."""
    proto = PROTOTYPES[structure]
    if not fractions:
        return proto.a
    from alloyloop.agent.xrd.vegard import mean_atomic_volume

    atoms, pack = _atoms_and_packing(structure)
    volume = pack * atoms * mean_atomic_volume(fractions)
    ratio = proto.c / proto.a if proto.c else 1.0
    shape = {"cubic": 1.0, "tetragonal": ratio, "hexagonal": ratio * math.sqrt(3) / 2}[proto.system]
    return (volume / shape) ** (1 / 3)


if __name__ == "__main__":
    write_tables()
