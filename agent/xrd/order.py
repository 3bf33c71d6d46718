"""Which of two FCC lattices is the ordered L1₂ one, from its superlattice lines together.

A γ/γ′ pattern (FCC + L1₂, 0.5–1 % misfit) at a few thousand counts shows the γ′
superlattice reflections — (100), (110), (210), (211), … — each below the peak finder's
threshold, and the indexing (which accepts an L1₂ only on a superlattice peak it found, see
:mod:`.indexing`) reports two FCC lattices. Their superlattice lines *together* are still
evidence (:func:`.evidence.line_evidence`): the lattice whose superlattice lines stand
:data:`MIN_Z` standard errors out of the noise, and clearly more than the other's
(:data:`MARGIN`), is the L1₂ one. The lines' relative weights are multiplicity × Lorentz-
polarisation × the form-factor fall-off of :mod:`.lattices` (a constant sublattice contrast);
their positions are the lattice's, moved by the pattern's refined zero shift and displacement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from alloyloop.agent.xrd.evidence import Net, line_evidence
from alloyloop.agent.xrd.indexing import IndexedPhase
from alloyloop.agent.xrd.lattices import Structure, reflection_table
from alloyloop.agent.xrd.shift import Shift

MIN_Z = 4.0
MARGIN = 3.0
"""The ordered lattice's z must exceed the other's by this much (the two lattices' superlattice
lines lie 0.5–1 % apart and partly overlap when the peaks are broad)."""


def superlattice_z(net: Net, a: float, wavelength: float, shift: Shift) -> float:
    """The matched-filter z of the L1₂ superlattice reflections of lattice ``a`` (Å)."""
    tab = reflection_table(Structure.L12)
    sup = np.flatnonzero(tab.superlattice)
    d = tab.d(a)[sup]
    s = wavelength / (2 * d)
    ok = s < 1
    theta = np.arcsin(s[ok])
    tt = np.degrees(2 * theta)
    lp = (1 + np.cos(2 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta))
    mult = np.array([tab.reflections[i].multiplicity for i in sup[ok]], float)
    weights = mult * lp * np.exp(-6.5 / (4 * d[ok] ** 2))
    return line_evidence(net, tt + np.asarray(shift.at(tt)), weights)


def ordered_of_two(phases: Sequence[IndexedPhase], net: Net, wavelength: float,
                   shift: Shift) -> tuple[list[IndexedPhase], str | None]:
    """``phases`` with one of exactly two disordered FCC lattices made L1₂ when its
    superlattice lines show (module notes), and a note saying so; unchanged otherwise."""
    fcc = [k for k, p in enumerate(phases) if p.structure is Structure.FCC]
    if len(fcc) != 2 or any(p.structure is Structure.L12 for p in phases):
        return list(phases), None
    z = [superlattice_z(net, phases[k].a, wavelength, shift) for k in fcc]
    best = int(np.argmax(z))
    if z[best] < MIN_Z or z[best] - z[1 - best] < MARGIN:
        return list(phases), None
    k = fcc[best]
    out = list(phases)
    out[k] = replace(phases[k], structure=Structure.L12)
    note = (f"FCC a = {phases[k].a:.4f} Å is L12: its superlattice reflections together stand {z[best]:.1f} "
            f"standard errors out of the noise (the other FCC lattice's {z[1 - best]:.1f}), though none is a peak "
            "on its own")
    return out, note
