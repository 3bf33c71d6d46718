"""Synthetic powder patterns simulated with pymatgen's ``XRDCalculator`` (tests, benchmark).

Each phase is a pymatgen structure (disordered sites for solid solutions); its reflections
(Cu Kα1) are rendered as pseudo-Voigt peaks, each with a Kα2 twin at the Kα2 angle and half
the intensity, scaled by the phase's volume fraction over its cell volume squared (the
intensity per unit volume of a phase), with a March–Dollase preferred-orientation factor
along a chosen direction, a sloped background and Poisson counting noise.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from alloyloop.agent.xrd.lattices import Structure
from alloyloop.agent.xrd.pattern import ANODES, Pattern, Radiation

CU_KA1, CU_KA2 = ANODES["Cu"]


@dataclass(frozen=True)
class PhaseSpec:
    """A phase of a synthetic sample: structure, lattice (Å), site species, volume fraction."""

    structure: Structure
    a: float
    species: tuple[tuple[tuple[str, float], ...], ...]
    """One ((element, fraction), …) per site: B2 (corner, centre), L1₂ (corner, faces), else one."""
    fraction: float = 1.0
    c: float | None = None


def site(fractions: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted(fractions.items()))


CANTOR = site({"Co": 0.2, "Cr": 0.2, "Fe": 0.2, "Mn": 0.2, "Ni": 0.2})
SENKOV = site({"Nb": 0.25, "Mo": 0.25, "Ta": 0.25, "W": 0.25})


def fcc_cantor(a: float = 3.59, fraction: float = 1.0) -> PhaseSpec:
    return PhaseSpec(Structure.FCC, a, (CANTOR,), fraction)


def bcc_senkov(a: float = 3.22, fraction: float = 1.0) -> PhaseSpec:
    return PhaseSpec(Structure.BCC, a, (SENKOV,), fraction)


def bcc_alcrfe(a: float = 2.88, fraction: float = 1.0) -> PhaseSpec:
    """A Cr-Fe-rich BCC of AlCoCrFeNi-type alloys."""
    return PhaseSpec(Structure.BCC, a, (site({"Cr": 0.4, "Fe": 0.4, "Al": 0.2}),), fraction)


def hcp_rare_earth(a: float = 3.60, c: float = 5.66, fraction: float = 1.0) -> PhaseSpec:
    """HoDyYGdTb, the HCP high-entropy alloy (Feuerbacher et al. 2015)."""
    return PhaseSpec(Structure.HCP, a, (site({"Ho": 0.2, "Dy": 0.2, "Y": 0.2, "Gd": 0.2, "Tb": 0.2}),),
                     fraction, c)


def b2_alni(a: float = 2.88, fraction: float = 1.0) -> PhaseSpec:
    """An AlNi-type B2 (Ni, Co, Fe on the corners, Al on the centres)."""
    return PhaseSpec(Structure.B2, a, (site({"Ni": 0.5, "Co": 0.3, "Fe": 0.2}), site({"Al": 1.0})), fraction)


def l12_ni3al(a: float = 3.615, fraction: float = 1.0) -> PhaseSpec:
    """A γ′ (Ni,Co)₃(Al,Ti) L1₂ precipitate phase."""
    return PhaseSpec(Structure.L12, a, (site({"Al": 0.7, "Ti": 0.3}), site({"Ni": 0.8, "Co": 0.2})), fraction)


def _pmg_structure(phase: PhaseSpec):  # noqa: ANN202 - pymatgen Structure
    from pymatgen.core import Lattice, Structure as PmgStructure

    sp = [dict(s) for s in phase.species]
    if phase.structure is Structure.FCC:
        return PmgStructure.from_spacegroup("Fm-3m", Lattice.cubic(phase.a), [sp[0]], [[0, 0, 0]])
    if phase.structure is Structure.BCC:
        return PmgStructure.from_spacegroup("Im-3m", Lattice.cubic(phase.a), [sp[0]], [[0, 0, 0]])
    if phase.structure is Structure.B2:
        return PmgStructure(Lattice.cubic(phase.a), sp[:2], [[0, 0, 0], [0.5, 0.5, 0.5]])
    if phase.structure is Structure.L12:
        return PmgStructure(Lattice.cubic(phase.a), [sp[0], sp[1], sp[1], sp[1]],
                            [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    c = phase.c or phase.a * math.sqrt(8 / 3)
    return PmgStructure.from_spacegroup("P6_3/mmc", Lattice.hexagonal(phase.a, c), [sp[0]],
                                        [[1 / 3, 2 / 3, 0.25]])


@lru_cache(maxsize=256)
def _sticks(phase: PhaseSpec, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """2θ (Kα1), unscaled intensities, the reflections' plane normals (cartesian, unit) and
    the cell volume of ``phase``."""
    from pymatgen.analysis.diffraction.xrd import XRDCalculator

    structure = _pmg_structure(phase)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pattern = XRDCalculator(wavelength="CuKa1").get_pattern(structure, scaled=False,
                                                                two_theta_range=(lo, hi))
    normals = []
    for fam in pattern.hkls:
        hkl = fam[0]["hkl"]
        if len(hkl) == 4:  # hexagonal (h, k, i, l)
            hkl = (hkl[0], hkl[1], hkl[3])
        g = structure.lattice.reciprocal_lattice.get_cartesian_coords(hkl)
        normals.append(g / np.linalg.norm(g))
    return (np.asarray(pattern.x), np.asarray(pattern.y), np.asarray(normals),
            float(structure.lattice.volume))


def _pseudo_voigt(x: np.ndarray, center: float, fwhm: float, eta: float) -> np.ndarray:
    dx = (x - center) / (fwhm / 2)
    return eta / (1 + dx * dx) + (1 - eta) * np.exp(-math.log(2) * dx * dx)


@dataclass(frozen=True)
class Conditions:
    """How the pattern is measured: range, step, peak widths, counts, background, texture."""

    lo: float = 20.0
    hi: float = 100.0
    step: float = 0.02
    fwhm: float = 0.12
    """Peak FWHM at 2θ = 40° (degrees); widths grow as 1/cos θ."""
    eta: float = 0.5
    peak_counts: float = 5000.0
    """Counts at the strongest Kα1 peak's maximum."""
    background: tuple[float, float] = (200.0, -1.0)
    """Background counts at ``lo`` and its slope per degree."""
    texture: float = 1.0
    """March–Dollase r (1 = random powder)."""
    texture_axis: tuple[float, float, float] = (0.0, 0.0, 1.0)
    ka2: bool = True
    seed: int = 0
    extra: Sequence[float] = field(default_factory=tuple)


def simulate(phases: Sequence[PhaseSpec], conditions: Conditions = Conditions()) -> Pattern:
    """A counted pattern of the mixture ``phases`` under ``conditions``."""
    c = conditions
    rng = np.random.default_rng(c.seed)
    x = np.arange(c.lo, c.hi + c.step / 2, c.step)
    signal = np.zeros_like(x)
    axis = np.asarray(c.texture_axis, dtype=float)
    axis /= np.linalg.norm(axis)
    for phase in phases:
        tt, inten, normals, volume = _sticks(phase, c.lo - 2, c.hi + 2)
        if c.texture != 1.0:
            cos = np.abs(normals @ axis)
            r = c.texture
            inten = inten * (r * r * cos**2 + (1 - cos**2) / r) ** -1.5
        inten = inten * phase.fraction / volume**2
        for t, i in zip(tt, inten):
            fwhm = c.fwhm * math.cos(math.radians(20)) / math.cos(math.radians(t / 2))
            signal += i * _pseudo_voigt(x, t, fwhm, c.eta)
            if c.ka2:
                s = math.sin(math.radians(t / 2)) * CU_KA2 / CU_KA1
                if s < 1:
                    t2 = math.degrees(2 * math.asin(s))
                    signal += 0.5 * i * _pseudo_voigt(x, t2, fwhm, c.eta)
    signal *= c.peak_counts / max(signal.max(), 1e-30)
    background = np.maximum(c.background[0] + c.background[1] * (x - c.lo), 1.0)
    counts = rng.poisson(signal + background).astype(float)
    radiation = Radiation() if c.ka2 else Radiation(CU_KA1, None, 0.0, "Cu Kα1 (synthetic)")
    return Pattern(x, counts, radiation, "synthetic")


def example_pattern(seed: int = 2) -> Pattern:
    """The worked example of the tests, screenshots and docs: as-cast Al0.5CoCrFeNi, FCC
    (a = 3.59 Å) with 20 % BCC (a = 2.88 Å)."""
    return simulate([fcc_cantor(3.59, 0.8), bcc_alcrfe(2.88, 0.2)], Conditions(seed=seed))


def write_xy(pattern: Pattern, path, *, comma_decimal: bool = False, header: str = "") -> None:  # noqa: ANN001
    """Write ``pattern`` as a two-column ``.xy`` file (optionally with decimal commas)."""
    lines = [f"# {line}" for line in header.splitlines()] if header else []
    for t, i in zip(pattern.two_theta, pattern.intensity):
        row = f"{t:.4f} {i:.1f}"
        lines.append(row.replace(".", ",") if comma_decimal else row)
    from pathlib import Path

    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
