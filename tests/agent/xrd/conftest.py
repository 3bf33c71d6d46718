"""Patterns with instrument effects for the analysis tests, drawn by the one generator
(:func:`alloyloop.agent.xrd.synthetic.simulate`): an Fe BCC, Fe-Ni FCC or Ru HCP lattice with or
without the Kα2 twin, a zero shift and sample displacement (Δ2θ = z + D·cos θ), any peak width,
an amorphous hump, and Poisson counting noise on a flat background."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest

from alloyloop.agent.xrd.lattices import Structure
from alloyloop.agent.xrd.pattern import Pattern, Radiation
from alloyloop.agent.xrd.synthetic import Conditions, PhaseSpec, simulate, site

SPECIES = {"BCC": {"Fe": 1.0}, "FCC": {"Fe": 0.7, "Ni": 0.3}, "HCP": {"Ru": 1.0}}


def effect_pattern(phases: Sequence[tuple[str, float, float | None, float]], *, zero: float = 0.0,
                   displacement: float = 0.0, fwhm: float = 0.1, ka2: bool = True, lo: float = 20.0,
                   hi: float = 100.0, step: float = 0.02, counts: float = 5000.0, background: float = 200.0,
                   hump: tuple[float, float, float] | None = None, seed: int = 0) -> Pattern:
    """``phases``: (kind, a, c, volume fraction); ``fwhm`` at 2θ = 40° (grows as 1/cos θ);
    ``hump``: (height in counts, centre, FWHM) of an amorphous contribution. The file is read
    as stating Cu Kα with Kα2, whether or not the twins are drawn (a stripped export)."""
    specs = [PhaseSpec(Structure(kind), a, (site(SPECIES[kind]),), fraction, c) for kind, a, c, fraction in phases]
    conditions = Conditions(lo=lo, hi=hi, step=step, fwhm=fwhm, peak_counts=counts, background=(background, 0.0),
                            ka2=ka2, seed=seed, zero_shift=zero, displacement=displacement,
                            hump=None if hump is None else (hump[1], hump[2], hump[0] / counts))
    return replace(simulate(specs, conditions), radiation=Radiation(), source="effects")


@pytest.fixture(scope="session")
def effects() -> Callable[..., Pattern]:
    return effect_pattern
