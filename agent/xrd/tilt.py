"""Scans measured with the sample tilted (χ or ψ ≠ 0): texture and residual-stress measurements.

A texture or sin²ψ stress measurement tilts the sample out of the diffraction plane. On a
Bragg–Brentano instrument the tilted sample defocuses the beam: the profiles broaden several
times (0.1° → 1–4° on a PANalytical duplex steel at χ 30° and 54°), turn asymmetric and can
split into two maxima around the reflection; and at each tilt only the grains oriented for it
diffract, so the relative intensities follow the texture, not a powder's (a reflection may be
missing altogether). What a powder analysis takes from the peak maxima then misleads it:

- a **sample displacement** fitted to the maxima of split, lopsided profiles is invented (+0.9°
  at χ 30°, −1.2° at χ 54°, where the untilted control scan needs none): a tilted scan's shift
  is not searched, the lattice parameters take the maxima as they are (they then carry the
  stress, as a sin²ψ analysis wants them);
- the matching tolerance is half the pattern's **typical width** (the maxima are that loose), not
  half of each peak's width capped at 0.5°; a second maximum within its own width of a
  reflection whose nearer maximum was matched is that reflection's split profile
  (:func:`part_tolerance`: the two maxima of a split profile lie about a width apart), not
  another phase;
- with 1–4° peaks and free intensities an HCP lattice (two parameters, dense lines) fits almost
  any set of maxima: the **cubic reading** (FCC/BCC and their ordered forms) is kept unless the
  full one explains clearly more of the peak area (:data:`CUBIC_MARGIN`);
- the whole-profile search for a minority phase (which compares a candidate's powder
  intensities and profile with the measured ones) is not run.

The result carries the tilt in a note, so a person reads its phases as what the line positions
say and its lattice parameters as strained, not as a powder scan's.
"""

from __future__ import annotations

import numpy as np

from alloyloop.agent.xrd.lattices import Structure
from alloyloop.agent.xrd.pattern import Pattern

TILTED = 5.0
"""A sample tilt (degrees) from which a scan is treated as a texture / stress measurement."""
CUBIC_MARGIN = 0.03
"""The full reading must leave this share of the peak area less unexplained than the cubic one."""
CUBIC = (Structure.FCC, Structure.BCC, Structure.B2, Structure.L12)
PART_LIMIT = 1.5
"""The widest distance (degrees 2θ) at which a maximum is taken as part of a reflection's profile."""


def tilt_of(pattern: Pattern) -> float | None:
    """The pattern's tilt when it is a texture / stress measurement (:data:`TILTED`), else None."""
    return pattern.tilt if pattern.tilt is not None and abs(pattern.tilt) >= TILTED else None


def tolerance(peaks: list) -> float:
    """The matching tolerance (degrees) of a tilted scan: half its peaks' median width."""
    return 0.5 * float(np.median([p.fwhm for p in peaks])) if peaks else 0.0


def part_tolerance(fwhm: float) -> float:
    """How far a maximum of a tilted scan may lie from a matched reflection and be part of its profile."""
    return min(PART_LIMIT, max(0.06, fwhm))


def prefer_cubic(full: tuple[list, list[int]], cubic: tuple[list, list[int]], peaks: list) -> bool:
    """Whether the cubic reading ``(phases, unexplained)`` explains about as much as the full one."""
    if not cubic[0]:
        return False
    total = sum(p.area for p in peaks) or 1.0

    def left(reading: tuple[list, list[int]]) -> float:
        return sum(peaks[i].area for i in reading[1]) / total

    return left(cubic) <= left(full) + CUBIC_MARGIN


def note(tilt: float) -> str:
    return (f"tilted scan: the sample is tilted {tilt:g}° (a texture or stress measurement): relative intensities "
            "follow the texture and the profiles are broadened and split by the tilt's defocusing, so phases are "
            "read from the line positions alone (no sample displacement fitted, cubic lattices preferred, no "
            "whole-profile minority search) and lattice parameters carry the stress; for phase fractions and "
            "lattice parameters measure the sample untilted")
