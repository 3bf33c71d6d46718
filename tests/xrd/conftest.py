"""Patterns with instrument effects for the analysis tests: pymatgen reflections drawn as
pseudo-Voigt peaks with or without the Kα2 twin, a zero shift and sample displacement
(Δ2θ = z + D·cos θ), any peak width, an amorphous hump, and Poisson counting noise."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
import pytest

from alloyloop.agent.xrd.pattern import ANODES, Pattern, Radiation
from alloyloop.agent.xrd.profile import pseudo_voigt

SPECIES = {"BCC": {"Fe": 1.0}, "FCC": {"Fe": 0.7, "Ni": 0.3}, "HCP": {"Ru": 1.0}}


@lru_cache(maxsize=None)
def _sticks(kind: str, a: float, c: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Kα1 2θ and intensity per unit volume of an Fe BCC, Fe-Ni FCC or Ru HCP lattice."""
    from pymatgen.analysis.diffraction.xrd import XRDCalculator
    from pymatgen.core import Lattice, Structure

    if kind == "HCP":
        cell = Structure.from_spacegroup("P6_3/mmc", Lattice.hexagonal(a, c), [SPECIES[kind]], [[1 / 3, 2 / 3, .25]])
    else:
        group = "Im-3m" if kind == "BCC" else "Fm-3m"
        cell = Structure.from_spacegroup(group, Lattice.cubic(a), [SPECIES[kind]], [[0, 0, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sticks = XRDCalculator("CuKa1").get_pattern(cell, scaled=False, two_theta_range=(5, 150))
    return np.asarray(sticks.x), np.asarray(sticks.y) / cell.lattice.volume ** 2


def effect_pattern(phases: Sequence[tuple[str, float, float | None, float]], *, zero: float = 0.0,
                   displacement: float = 0.0, fwhm: float = 0.1, ka2: bool = True, lo: float = 20.0,
                   hi: float = 100.0, step: float = 0.02, counts: float = 5000.0, background: float = 200.0,
                   hump: tuple[float, float, float] | None = None, seed: int = 0) -> Pattern:
    """``phases``: (kind, a, c, volume fraction); ``fwhm`` at 2θ = 40° (grows as 1/cos θ);
    ``hump``: (height in counts, centre, FWHM) of an amorphous contribution. The file is read
    as stating Cu Kα with Kα2, whether or not the twins are drawn."""
    x = np.arange(lo, hi, step)
    y = np.zeros_like(x)
    a1, a2 = ANODES["Cu"]
    for kind, a, c, fraction in phases:
        for t, i in zip(*_sticks(kind, a, c)):
            for lam, ratio in ((a1, 1.0), (a2, 0.5)) if ka2 else ((a1, 1.0),):
                s = math.sin(math.radians(t / 2)) * lam / a1
                if s >= 1:
                    continue
                at = math.degrees(2 * math.asin(s))
                at += zero + displacement * math.cos(math.radians(at / 2))
                width = fwhm * math.cos(math.radians(20)) / math.cos(math.radians(at / 2))
                y += fraction * ratio * i * pseudo_voigt(x, at, width, 0.5)
    y *= counts / y.max()
    if hump:
        y += hump[0] * np.exp(-4 * math.log(2) * ((x - hump[1]) / hump[2]) ** 2)
    counted = np.random.default_rng(seed).poisson(y + background).astype(float)
    return Pattern(x, counted, Radiation(), "effects")


@pytest.fixture(scope="session")
def effects() -> Callable[..., Pattern]:
    return effect_pattern
