"""C14 or C15: which Laves polytype the whole profile says, once the peaks named one.

The two Laves polytypes stack the same layers (C15 cubic ABC, C14 hexagonal AB): with
a(C14) = a(C15)/√2 and c(C14) = 2·a(C15)/√3 their strongest lines nearly coincide, and C14 has
more lines. On broad peaks (FWHM ≥ 1°) every C14 line finds a merged peak to sit in, so the
peak matching (:mod:`.named_phases`) named C14 where a BCC matrix held 35–47 % C15. Their
relative intensities differ: the whole-pattern fit (:mod:`.whole_pattern`) of the matrix with
each polytype — each a scaled prototype on the same points, lattice, widths and shift refined,
as many parameters but c — keeps the one that leaves the smaller residual; C14's extra lattice
parameter must buy a drop of at least one χ² unit per point of correlation length.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from alloyloop.agent.xrd import whole_pattern as wp
from alloyloop.agent.xrd.indexing import IndexedPhase
from alloyloop.agent.xrd.lattices import Structure
from alloyloop.agent.xrd.minority import as_phase
from alloyloop.agent.xrd.peaks import Peak
from alloyloop.agent.xrd.prototypes import NamedStructure
from alloyloop.agent.xrd.shift import Shift

OTHER = {NamedStructure.C14: NamedStructure.C15, NamedStructure.C15: NamedStructure.C14}


def _other_lattice(phase: IndexedPhase) -> tuple[NamedStructure, float, float | None]:
    """The other polytype at the lattice of the same layers."""
    if phase.structure is NamedStructure.C14:
        cubic = [phase.a * math.sqrt(2)] + ([phase.c * math.sqrt(3) / 2] if phase.c else [])
        return NamedStructure.C15, float(np.mean(cubic)), None
    return NamedStructure.C14, phase.a / math.sqrt(2), 2 * phase.a / math.sqrt(3)


def polytype(x: np.ndarray, net: np.ndarray, sigma: np.ndarray, phases: Sequence[IndexedPhase],
             peaks: Sequence[Peak], *, shift: Shift, wavelength: float, ka2: float | None, ratio: float,
             width: float, two_theta_range: tuple[float, float]) -> tuple[list[IndexedPhase], str | None]:
    """``phases`` with a C14 / C15 beside one cubic matrix replaced by the other polytype when
    the profile fits it better (module notes), and a note saying so; unchanged otherwise."""
    laves = [k for k, p in enumerate(phases) if p.structure in OTHER]
    cubic = [p for p in phases if p.structure in (Structure.FCC, Structure.BCC)]
    if len(laves) != 1 or len(cubic) != 1 or len(phases) != 2:
        return list(phases), None
    k = laves[0]
    found, matrix = phases[k], cubic[0]
    kind, a, c = _other_lattice(found)
    first = wp.candidate(matrix.structure, matrix.a)
    own = wp.candidate(found.structure, found.a, found.c, scaled=True)
    alt = wp.candidate(kind, a, c, scaled=True)
    points = wp.points_near(x, [first, own, alt], wavelength, 4 * width + 0.3)
    anchor = {"z": shift.zero, "D": shift.displacement}
    fits = []
    for extra in (own, alt):
        values = wp.start_values([first, extra], zero=shift.zero, displacement=shift.displacement, ratio=ratio,
                                 fwhm=max(0.02, width), eta=0.5)
        free = [n for n in values if n != "rho"]
        fits.append(wp.fit(x, net, sigma, [first, extra], ka1=wavelength, ka2=ka2, values=values, free=free,
                           points=points, anchor=anchor, max_nfev=10, scan=shift.scan))
    mine, other = fits
    correlation = max(0.0, other.correlation, mine.correlation)
    cost = 1.0 + 2 * correlation / max(1e-6, 1 - correlation)  # χ² units one parameter must earn
    penalty = cost if kind is NamedStructure.C14 else -cost  # C14 has the one more (c)
    if other.rss + penalty >= mine.rss or other.shares[-1] < wp.MIN_SHARE:
        return list(phases), None
    a_new, c_new = other.lattices[-1]
    a_sigma, c_sigma = other.lattice_sigmas[-1]
    replaced = as_phase(alt, a_new, c_new, a_sigma, c_sigma, peaks, wavelength, two_theta_range, found.score)
    out = list(phases)
    out[k] = replaced
    note = (f"{found.structure.value} (a = {found.a:.4f} Å) is {kind.value} (a = {a_new:.4f} Å"
            f"{'' if c_new is None else f', c = {c_new:.4f} Å'}): the whole-pattern fit with {kind.value} leaves "
            f"χ² {other.rss:.0f} against {mine.rss:.0f} on the same {other.points} points")
    return out, note

