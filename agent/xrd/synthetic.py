"""Synthetic powder patterns simulated with pymatgen's ``XRDCalculator`` (tests, benchmark).

Each phase is a pymatgen structure (disordered sites for solid solutions; σ, Laves C14/C15
and μ from :mod:`.prototypes`); its reflections are rendered as pseudo-Voigt peaks, each with
a Kα2 twin at the Kα2 angle and half the intensity, scaled by the phase's volume fraction over
its cell volume squared (the intensity per unit volume of a phase), with a March–Dollase
preferred-orientation factor along a chosen direction, a sloped background and Poisson
counting noise.

Instrument effects (:class:`Conditions`): the anode (Cu or Co), Kα2 or a monochromated Kα1,
Kβ and W Lα lines at a share of the Kα1 intensity, a zero shift and a sample displacement
(Δ2θ = D cos θ), peak widths from synchrotron-sharp to nanocrystalline, and an amorphous hump.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from alloyloop.agent.xrd.lattices import Structure
from alloyloop.agent.xrd.pattern import ANODES, Pattern, Radiation
from alloyloop.agent.xrd.prototypes import PROTOTYPES, NamedStructure, build, lorentz_polarisation
from alloyloop.agent.xrd.tube_lines import LINES

CU_KA1, CU_KA2 = ANODES["Cu"]


@dataclass(frozen=True)
class PhaseSpec:
    """A phase of a synthetic sample: structure, lattice (Å), site species, volume fraction."""

    structure: Structure | NamedStructure
    a: float
    species: tuple[tuple[tuple[str, float], ...], ...]
    """One ((element, fraction), …) per site: B2 (corner, centre), L1₂ (corner, faces), a
    prototype's Wyckoff sites in :data:`~.prototypes.PROTOTYPES` order (empty: its own
    elements), else one."""
    fraction: float = 1.0
    c: float | None = None
    compound: str | None = None
    """A named compound built instead of ``structure`` (``LaB6``: the calibrant, Pm-3m)."""


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


def sigma_phase(a: float = 8.80, c: float = 4.56, fraction: float = 1.0) -> PhaseSpec:
    """A Cr-Fe(-Co-Ni) σ phase of Cantor-type alloys (Cr on the CN 14–15 sites)."""
    small, large = site({"Fe": 0.4, "Co": 0.3, "Ni": 0.3}), site({"Cr": 0.8, "Fe": 0.2})
    return PhaseSpec(NamedStructure.SIGMA, a, (small, large, small, large, small), fraction, c)


def laves_c14(a: float = 4.83, c: float = 7.88, fraction: float = 1.0) -> PhaseSpec:
    """A (Fe,Co,Cr)₂Nb C14 Laves phase of Nb-containing HEAs."""
    big, small = site({"Nb": 1.0}), site({"Fe": 0.4, "Co": 0.3, "Cr": 0.3})
    return PhaseSpec(NamedStructure.C14, a, (big, small, small), fraction, c)


def laves_c15(a: float = 7.05, fraction: float = 1.0) -> PhaseSpec:
    """A (Co,Ni,Fe)₂Zr-type C15 Laves phase."""
    return PhaseSpec(NamedStructure.C15, a, (site({"Zr": 1.0}), site({"Co": 0.5, "Ni": 0.3, "Fe": 0.2})), fraction)


def mu_phase(a: float = 4.76, c: float = 25.7, fraction: float = 1.0) -> PhaseSpec:
    """A (Fe,Co)₇(W,Mo)₆ μ phase."""
    small, large = site({"Fe": 0.6, "Co": 0.4}), site({"W": 0.6, "Mo": 0.4})
    return PhaseSpec(NamedStructure.MU, a, (small, large, large, large, small), fraction, c)


def lab6(a: float = 4.1569, fraction: float = 1.0) -> PhaseSpec:
    """LaB₆ (NIST SRM 660 calibrant): simple cubic Pm-3m, La 1a, B 6f (x 0.1996). Not an alloy
    phase: the analysis must not call it B2 (:mod:`.named_phases`)."""
    return PhaseSpec(Structure.B2, a, (), fraction, compound="LaB6")


def _pmg_structure(phase: PhaseSpec):  # noqa: ANN202 - pymatgen Structure
    """The phase's structure: its sites from a cached template (pymatgen's space-group
    expansion costs about a second each time), on the phase's own lattice."""
    from pymatgen.core import Lattice, Structure as PmgStructure

    template = _template(replace(phase, a=1.0, c=None, fraction=1.0))
    if isinstance(phase.structure, NamedStructure) or phase.structure is Structure.HCP:
        c = phase.c or (phase.a * PROTOTYPES[phase.structure].c / PROTOTYPES[phase.structure].a
                        if isinstance(phase.structure, NamedStructure) and PROTOTYPES[phase.structure].c
                        else phase.a * math.sqrt(8 / 3))
        system = PROTOTYPES[phase.structure].system if isinstance(phase.structure, NamedStructure) else "hexagonal"
        lattice = {"cubic": lambda: Lattice.cubic(phase.a), "tetragonal": lambda: Lattice.tetragonal(phase.a, c),
                   "hexagonal": lambda: Lattice.hexagonal(phase.a, c)}[system]()
    else:
        lattice = Lattice.cubic(phase.a)
    return PmgStructure(lattice, [site.species for site in template], template.frac_coords)


@lru_cache(maxsize=64)
def _template(phase: PhaseSpec):  # noqa: ANN202 - pymatgen Structure
    from pymatgen.core import Lattice, Structure as PmgStructure

    if phase.compound == "LaB6":
        return PmgStructure.from_spacegroup("Pm-3m", Lattice.cubic(phase.a), ["La", "B"],
                                            [[0, 0, 0], [0.1996, 0.5, 0.5]])
    sp = [dict(s) for s in phase.species]
    if isinstance(phase.structure, NamedStructure):
        return build(phase.structure, phase.a, phase.c, dict(enumerate(sp)) if sp else None)
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
    """2θ (Cu Kα1), unscaled intensities, the reflections' plane normals (cartesian, unit) and
    the cell volume of ``phase``. A prototype phase is computed once at its own lattice and
    scaled (its intensities change little over a few per cent of a)."""
    if isinstance(phase.structure, NamedStructure):
        return _scaled_sticks(phase, lo, hi)
    return _pmg_sticks(phase, lo, hi)


def _scaled_sticks(phase: PhaseSpec, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    proto = PROTOTYPES[phase.structure]
    ratio = (phase.c / phase.a) if phase.c else (proto.c / proto.a if proto.c else None)
    nominal_c = None if ratio is None else round(ratio, 3) * proto.a
    ref = PhaseSpec(phase.structure, proto.a, phase.species, 1.0, nominal_c)
    tt, inten, normals, volume = _pmg_sticks(ref, 1.0, 179.0)
    scale = phase.a / proto.a
    d = CU_KA1 / (2 * np.sin(np.radians(tt / 2))) * scale
    s = CU_KA1 / (2 * d)
    ok = s < 1
    new_tt = np.degrees(2 * np.arcsin(s[ok]))
    w = inten[ok] / lorentz_polarisation(tt[ok]) * lorentz_polarisation(new_tt)
    keep = (new_tt >= lo) & (new_tt <= hi)
    return new_tt[keep], w[keep], normals[ok][keep], volume * scale**3


@lru_cache(maxsize=256)
def _pmg_sticks(phase: PhaseSpec, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
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
    anode: str = "Cu"
    kbeta: float = 0.0
    """Kβ intensity as a share of Kα1 (0: filtered away; 0.01–0.05 behind a Ni filter)."""
    w_lalpha: float = 0.0
    """W Lα₁ from an aged tube, share of Kα1."""
    zero_shift: float = 0.0
    """Added to every 2θ (degrees)."""
    displacement: float = 0.0
    """Sample displacement: every peak moves by ``displacement`` × cos θ (degrees)."""
    hump: tuple[float, float, float] | None = None
    """An amorphous hump: centre 2θ, FWHM (degrees) and height as a share of ``peak_counts``."""


def simulate(phases: Sequence[PhaseSpec], conditions: Conditions = Conditions()) -> Pattern:
    """A counted pattern of the mixture ``phases`` under ``conditions``."""
    c = conditions
    rng = np.random.default_rng(c.seed)
    x = np.arange(c.lo, c.hi + c.step / 2, c.step)
    signal = np.zeros_like(x)
    axis = np.asarray(c.texture_axis, dtype=float)
    axis /= np.linalg.norm(axis)
    ka1, ka2 = ANODES[c.anode]
    lines = [(ka1, 1.0, True)] + [(lam, share, False) for (name, lam), share in
                                   zip(LINES.get(c.anode, ()), (c.kbeta, c.w_lalpha)) if share > 0]
    d_lo = min(lam for lam, _, _ in lines) / (2 * math.sin(math.radians(c.hi + 2) / 2))
    d_hi = max(lam for lam, _, _ in lines) / (2 * math.sin(math.radians(max(c.lo - 2, 1.0)) / 2))
    cu_hi = 179.0 if CU_KA1 / (2 * d_lo) >= 1 else math.degrees(2 * math.asin(CU_KA1 / (2 * d_lo)))
    cu_lo = math.degrees(2 * math.asin(min(1.0, CU_KA1 / (2 * d_hi))))
    cu_lo, cu_hi = math.floor(cu_lo), math.ceil(cu_hi)
    if (c.anode, c.kbeta, c.w_lalpha) == ("Cu", 0.0, 0.0):
        cu_lo, cu_hi = c.lo - 2, c.hi + 2  # the range the seeded benchmarks were made with
    for phase in phases:
        tt_cu, inten_cu, normals, volume = _sticks(phase, cu_lo, cu_hi)
        if c.texture != 1.0:
            cos = np.abs(normals @ axis)
            r = c.texture
            inten_cu = inten_cu * (r * r * cos**2 + (1 - cos**2) / r) ** -1.5
        inten_cu = inten_cu * phase.fraction / volume**2
        d = CU_KA1 / (2 * np.sin(np.radians(tt_cu / 2)))
        weight = inten_cu / lorentz_polarisation(tt_cu)
        for lam, share, with_ka2 in lines:
            s = lam / (2 * d)
            ok = s < 1
            tt = np.degrees(2 * np.arcsin(s[ok]))
            inten = share * weight[ok] * lorentz_polarisation(tt) if lam != CU_KA1 else share * inten_cu[ok]
            for t, i in zip(tt, inten):
                shift = c.zero_shift + c.displacement * math.cos(math.radians(t / 2))
                fwhm = c.fwhm * math.cos(math.radians(20)) / math.cos(math.radians(t / 2))
                signal += i * _pseudo_voigt(x, t + shift, fwhm, c.eta)
                if c.ka2 and with_ka2:
                    s2 = math.sin(math.radians(t / 2)) * ka2 / ka1
                    if s2 < 1:
                        t2 = math.degrees(2 * math.asin(s2))
                        signal += 0.5 * i * _pseudo_voigt(x, t2 + shift, fwhm, c.eta)
    signal *= c.peak_counts / max(signal.max(), 1e-30)
    if c.hump is not None:
        centre, width, height = c.hump
        signal += height * c.peak_counts * _pseudo_voigt(x, centre, width, 0.3)
    background = np.maximum(c.background[0] + c.background[1] * (x - c.lo), 1.0)
    counts = rng.poisson(signal + background).astype(float)
    if c.ka2:
        radiation = Radiation(ka1, ka2, 0.5, f"{c.anode} Kα (synthetic)") if c.anode != "Cu" else Radiation()
    else:
        radiation = Radiation(ka1, None, 0.0, f"{c.anode} Kα1 (synthetic)")
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
