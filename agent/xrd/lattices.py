"""Reflections of the lattices the analysis indexes against, with rough relative intensities.

FCC (A1), BCC (A2) and HCP (A3) solid solutions and the ordered cubic variants B2 (CsCl type,
on the BCC lattice) and L1₂ (Cu₃Au type, on the FCC lattice). An ordered variant has its
parent's *fundamental* reflections plus *superlattice* reflections (B2: h+k+l odd; L1₂:
mixed parity), whose strength depends on the degree of order and the scattering contrast of
the sublattices, so only their positions are predicted.

The relative intensity of a fundamental reflection is multiplicity × |F|² × Lorentz-
polarisation × a form-factor fall-off ``exp(-6.5 s²)`` (s = sin θ/λ = 1/2d, a mean transition
metal's f² with a Debye-Waller factor): good to a factor of about 1.5 against pymatgen's
simulated patterns, which is all the analysis uses it for (which reflections should be
visible at the phase's observed scale).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import numpy as np


class Structure(StrEnum):
    FCC = "FCC"
    BCC = "BCC"
    HCP = "HCP"
    B2 = "B2"
    L12 = "L12"

    @property
    def parent(self) -> Structure:
        """The disordered lattice an ordered variant sits on (itself for FCC, BCC, HCP)."""
        return {Structure.B2: Structure.BCC, Structure.L12: Structure.FCC}.get(self, self)

    @property
    def ordered(self) -> bool:
        return self in (Structure.B2, Structure.L12)


@dataclass(frozen=True)
class Reflection:
    """One reflection family: Miller indices, multiplicity, |F|² (per atom², fundamental) and
    whether it is a superlattice reflection of an ordered variant."""

    hkl: tuple[int, int, int]
    multiplicity: int
    f2: float
    superlattice: bool = False

    @property
    def label(self) -> str:
        return "".join(str(i) for i in self.hkl)


def _cubic_multiplicity(h: int, k: int, l: int) -> int:  # noqa: E741
    seen = set()
    for perm in itertools.permutations((h, k, l)):
        for signs in itertools.product((1, -1), repeat=3):
            seen.add(tuple(p * s for p, s in zip(perm, signs)))
    return len(seen)


def _hcp_multiplicity(h: int, k: int, l: int) -> int:  # noqa: E741
    if h == 0 and k == 0:
        return 2
    planar = 6 if (k == 0 or h == k) else 12
    return planar if l == 0 else planar * 2


@lru_cache(maxsize=None)
def reflections(structure: Structure, max_index: int = 6) -> tuple[Reflection, ...]:
    """The allowed reflection families of ``structure``, low angle first (cubic by h²+k²+l²)."""
    out: list[tuple[float, Reflection]] = []
    if structure is Structure.HCP:
        for h in range(max_index + 1):
            for k in range(h + 1):
                for l in range(max_index + 1):  # noqa: E741
                    if h == k == l == 0:
                        continue
                    g = (h + 2 * k) % 3
                    if g == 0 and l % 2:
                        continue
                    f2 = 4.0 if g == 0 else (3.0 if l % 2 else 1.0)
                    key = 4 / 3 * (h * h + h * k + k * k) / 1.0 + l * l / (1.633 ** 2)
                    out.append((key, Reflection((h, k, l), _hcp_multiplicity(h, k, l), f2)))
        return tuple(r for _, r in sorted(out, key=lambda t: (t[0], t[1].hkl)))
    for h in range(max_index + 1):
        for k in range(h + 1):
            for l in range(k + 1):  # noqa: E741
                if h == k == l == 0:
                    continue
                same_parity = h % 2 == k % 2 == l % 2
                even_sum = (h + k + l) % 2 == 0
                fcc_like = structure.parent is Structure.FCC
                fundamental = same_parity if fcc_like else even_sum
                if not fundamental and not structure.ordered:
                    continue
                f2 = (16.0 if fcc_like else 4.0) if fundamental else 0.0
                refl = Reflection((h, k, l), _cubic_multiplicity(h, k, l), f2, superlattice=not fundamental)
                out.append((h * h + k * k + l * l, refl))
    return tuple(r for _, r in sorted(out, key=lambda t: (t[0], t[1].hkl)))


@dataclass(frozen=True)
class ReflectionTable:
    """The reflections of a structure as arrays (for evaluating many lattice parameters)."""

    reflections: tuple[Reflection, ...]
    planar: np.ndarray
    """Cubic: h²+k²+l²; HCP: 4/3 (h²+hk+k²)."""
    axial: np.ndarray
    """HCP: l² (0 for cubic)."""
    weight: np.ndarray
    """multiplicity × |F|² (0 for superlattice reflections)."""
    superlattice: np.ndarray

    def d(self, a: float, c: float | None = None) -> np.ndarray:
        if c is None:
            return a / np.sqrt(self.planar)
        return 1.0 / np.sqrt(self.planar / a**2 + self.axial / c**2)


@lru_cache(maxsize=None)
def reflection_table(structure: Structure) -> ReflectionTable:
    refl = reflections(structure)
    hcp = structure is Structure.HCP
    planar = np.array([4 / 3 * (h * h + h * k + k * k) if hcp else h * h + k * k + l * l
                       for h, k, l in (r.hkl for r in refl)], float)  # noqa: E741
    axial = np.array([r.hkl[2] ** 2 if hcp else 0 for r in refl], float)
    weight = np.array([0.0 if r.superlattice else r.multiplicity * r.f2 for r in refl])
    return ReflectionTable(refl, planar, axial, weight, np.array([r.superlattice for r in refl]))


def relative_intensities(table: ReflectionTable, index: np.ndarray, d: np.ndarray, wavelength: float) -> np.ndarray:
    """:func:`relative_intensity` of the reflections ``index`` of ``table`` at spacings ``d``."""
    theta = np.arcsin(np.minimum(1.0, wavelength / (2 * d)))
    lp = (1 + np.cos(2 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta) + 1e-12)
    s = 1.0 / (2 * d)
    return table.weight[index] * lp * np.exp(-6.5 * s * s)


def d_spacing(structure: Structure, refl: Reflection, a: float, c: float | None = None) -> float:
    h, k, l = refl.hkl  # noqa: E741
    if structure is Structure.HCP:
        assert c is not None
        return 1.0 / math.sqrt(4 / 3 * (h * h + h * k + k * k) / a**2 + l * l / c**2)
    return a / math.sqrt(h * h + k * k + l * l)


def two_theta(d: float | np.ndarray, wavelength: float) -> float | np.ndarray:
    """2θ (degrees) of spacing ``d`` (NaN where λ/2d > 1)."""
    s = np.asarray(wavelength / (2.0 * np.asarray(d, dtype=float)))
    with np.errstate(invalid="ignore"):
        out = np.degrees(2.0 * np.arcsin(np.where(s <= 1.0, s, np.nan)))
    return float(out) if out.ndim == 0 else out


def d_of(two_theta_deg: float | np.ndarray, wavelength: float) -> float | np.ndarray:
    return wavelength / (2.0 * np.sin(np.radians(np.asarray(two_theta_deg)) / 2.0))


def relative_intensity(refl: Reflection, d: float, wavelength: float) -> float:
    """Rough intensity of a fundamental reflection (see the module notes); 0 for superlattice ones."""
    if refl.superlattice:
        return 0.0
    theta = math.asin(min(1.0, wavelength / (2 * d)))
    lp = (1 + math.cos(2 * theta) ** 2) / (math.sin(theta) ** 2 * math.cos(theta) + 1e-12)
    s = 1.0 / (2 * d)
    return refl.multiplicity * refl.f2 * lp * math.exp(-6.5 * s * s)
