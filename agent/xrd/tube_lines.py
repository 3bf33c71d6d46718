"""Peaks made by the tube's other lines: Kβ, and W Lα from tungsten the filament has deposited
on an aged anode.

A Kβ filter or monochromator removes most Kβ, never all of it; a strong reflection of a
phase then shows a weak twin at the Kβ angle (Cu: 1.39222 Å, 2θ about 4° lower at 45°), and
an aged tube adds W Lα₁ (1.47642 Å). Such a peak is the reflection of a phase already found
at another wavelength: :func:`assign` labels it (``110 Kβ``) so it is never counted as an
unexplained phase. A peak is one only when it sits within a few peak widths of a found
reflection's position at that wavelength (computed from the measured d of the Kα peak) and
is weaker than that reflection (:data:`MAX_RATIO`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from alloyloop.agent.xrd.indexing import IndexedPhase
from alloyloop.agent.xrd.lattices import Structure, d_spacing, reflections, relative_intensity
from alloyloop.agent.xrd.pattern import ANODES, Radiation
from alloyloop.agent.xrd.peaks import Peak

W_L_ALPHA1 = 1.47642
LINES: dict[str, tuple[tuple[str, float], ...]] = {
    "Cu": (("Kβ", 1.39222), ("W Lα", W_L_ALPHA1)),
    "Co": (("Kβ", 1.62079), ("W Lα", W_L_ALPHA1)),
    "Fe": (("Kβ", 1.75661),),
    "Cr": (("Kβ", 2.08487),),
    "Mo": (("Kβ", 0.63229),),
}
"""Kβ₁ (Bearden 1967) and W Lα₁ of the common anodes."""
MAX_RATIO = 0.6
"""A tube-line peak is at most this share of its Kα reflection (filtered Kβ ≈ 0.01–0.2)."""


def anode_of(radiation: Radiation) -> str | None:
    """The anode whose Kα1 the pattern was measured with (None: synchrotron or unknown)."""
    for name, (ka1, _) in ANODES.items():
        if abs(radiation.ka1 - ka1) < 5e-4:
            return name
    return None


def without_line_phases(peaks: Sequence[Peak], phases: Sequence[IndexedPhase], unexplained: Sequence[int],
                        radiation: Radiation, scan_end: float | None = None) -> tuple[list[IndexedPhase], list[int]]:
    """Drop a further phase (not the first) whose own peaks are, all but at most one, tube lines
    of the other phases' reflections: the indexing made a lattice of the Kβ / W Lα twins (a
    phase needs two peaks of its own; the one left may be the twin of a reflection whose
    predicted intensity is unknown, a superlattice line past the scan's end)."""
    kept = list(phases)
    for phase in list(phases[1:]):
        others = [p for p in kept if p is not phase]
        shared = {m.peak for p in others for m in p.matches if m.peak is not None}
        own = sorted({m.peak for m in phase.matches if m.peak is not None} - shared)
        if own and len(own) - len(assign(peaks, others, own, radiation, scan_end)) < 2:
            kept = others
    explained = {m.peak for p in kept for m in p.matches if m.peak is not None}
    return kept, sorted(set(unexplained) | ({i for i in range(len(peaks))} - explained))


def _beyond_scan(phases: Sequence[IndexedPhase], ka1: float, line: float,
                 scan_end: float) -> list[tuple[int, str, float, float]]:
    """(phase index, label, d, predicted area) of the cubic/HCP reflections past the scan's end at
    Kα1 whose Kβ twin (a shorter wavelength: a lower angle) may be inside it. Their area is
    predicted at the phase's observed scale (the median ratio of its matched reflections' expected
    intensity to :func:`~.lattices.relative_intensity`), with the Lorentz-polarisation of the
    twin's angle (``line``: a reflection past 180° at Kα has none of its own)."""
    out = []
    for k, phase in enumerate(phases):
        if not isinstance(phase.structure, Structure):
            continue
        ratios = [m.expected / rel for m in phase.matches if m.expected > 0 and
                  (rel := relative_intensity(m.reflection, d_spacing(phase.structure, m.reflection, phase.a, phase.c),
                                             ka1)) > 0]
        if not ratios:
            continue
        scale = float(np.median(ratios))
        for refl in reflections(phase.structure):
            d = d_spacing(phase.structure, refl, phase.a, phase.c)
            if ka1 / (2 * d) < 1 and math.degrees(2 * math.asin(ka1 / (2 * d))) <= scan_end:
                continue
            area = scale * relative_intensity(refl, d, line) if line / (2 * d) < 1 else 0.0
            if area > 0:
                out.append((k, refl.label, d, area))
    return out


def assign(peaks: Sequence[Peak], phases: Sequence[IndexedPhase], unexplained: Sequence[int],
           radiation: Radiation, scan_end: float | None = None) -> dict[int, tuple[int, str]]:
    """Unexplained peak index → (phase index, label such as ``111 Kβ``) for tube-line peaks.
    With ``scan_end`` (2θ), reflections past the end of the scan are parents too: their Kβ
    twins fall inside it."""
    lines = LINES.get(anode_of(radiation) or "", ())
    if not lines:
        return {}
    parents = [(k, m.reflection.label, peaks[m.peak].d, peaks[m.peak].area) for k, phase in enumerate(phases)
               for m in phase.matches if m.peak is not None]
    observed = list(parents)
    if scan_end is not None:
        parents += _beyond_scan(phases, radiation.ka1, min(w for _, w in lines), scan_end)
    found: dict[int, tuple[float, int, str, str, float]] = {}  # peak → (distance, phase, label, line, ratio)
    for j in unexplained:
        peak = peaks[j]
        tol = max(0.08, min(0.3, 0.6 * peak.fwhm))
        for k, label, d, area in parents:
            if peak.area > MAX_RATIO * area:
                continue
            for name, wavelength in lines:
                s = wavelength / (2 * d)
                if s >= 1:
                    continue
                dist = abs(math.degrees(2 * math.asin(s)) - peak.two_theta)
                if dist <= tol and (j not in found or dist < found[j][0]):
                    found[j] = (dist, k, f"{label} {name}", name, peak.area / area)
    seen = {name: _line_seen(wavelength, observed, peaks) for name, wavelength in lines}
    return {j: (k, label) for j, (_, k, label, name, _) in found.items() if seen[name]}


def _line_seen(wavelength: float, parents: Sequence[tuple], peaks: Sequence[Peak]) -> bool:
    """Whether the tube emits this line at all: the twin of the strongest observed reflection
    (where it lies among the peaks' angles) must be a peak — a line's twins scale with their
    reflections, so weaker reflections' "twins" alone are another phase's peaks."""
    # the peaks' range, widened by the matching tolerance: the lowest peak may be the twin itself
    lo = min(p.two_theta - max(0.08, min(0.3, 0.6 * p.fwhm)) for p in peaks)
    hi = max(p.two_theta + max(0.08, min(0.3, 0.6 * p.fwhm)) for p in peaks)
    inside = [(area, math.degrees(2 * math.asin(wavelength / (2 * d)))) for _, _, d, area in parents
              if wavelength / (2 * d) < 1]
    inside = [(area, t) for area, t in inside if lo <= t <= hi]
    if not inside:
        return True
    area, twin = max(inside)
    return any(abs(p.two_theta - twin) <= max(0.08, min(0.3, 0.6 * p.fwhm)) and p.area <= MAX_RATIO * area
               for p in peaks)
