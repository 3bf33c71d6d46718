"""Whether a found peak stands out of the counting noise, judged against its own flanks.

The peak finder's signal/noise is the smoothed curve's height over the SNIP background, in
units of the smoothed noise. SNIP clips into the noise: on a Poisson background of a few
hundred counts it runs 1.5–2 point-σ below the mean, which over a smoothing window of ten or
more points is four or more smoothed-noise σ — so a noise bump of the true 2–3 σ can pass a
threshold of 6.5 or 8 (a sharp FCC at 1,700 counts got two such 'peaks' of S/N 8, 4 % of the
strongest, and was proposed FCC + an unidentified phase).

:func:`significance` asks the counting statistics instead: the counts above a straight line
through the peak's own flanks (2–4 FWHM each side, clear of other peaks), summed over ±1 FWHM,
over their standard error (each point's counting σ, and the line's own uncertainty). A peak
that makes the proposal `other` must stand :data:`MIN_SIGNIFICANCE` standard errors out
(:func:`noise_peaks`), and a further cubic/HCP phase must have one such peak of its own
(:func:`without_noise_phases`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from alloyloop.agent.xrd.minority import profile_signal
from alloyloop.agent.xrd.pattern import Radiation
from alloyloop.agent.xrd.peaks import noise_level
from alloyloop.agent.xrd.profile import ka2_position
from alloyloop.agent.xrd.prototypes import NamedStructure

MIN_SIGNIFICANCE = 5.0
"""Standard errors an unexplained peak's counts must stand above its flanks to count: the usual
discovery level, as a scan holds a few hundred independent peak-wide windows to fluctuate in."""
CORE = 1.0
FLANK = (2.0, 4.0)
"""The counts summed within ±CORE FWHM; the baseline from the points FLANK FWHM away (each side)."""


def significance(two_theta: np.ndarray, net: np.ndarray, sigma: np.ndarray, centre: float, fwhm: float,
                 others: Sequence[tuple[float, float]] = (), twin: float | None = None) -> float | None:
    """How many standard errors the counts of the peak at ``centre`` stand above its flanks
    (:func:`excess`); None when too few flank or core points are left to tell."""
    measured = excess(two_theta, net, sigma, centre, fwhm, others, twin)
    return None if measured is None else measured[0] / float(np.sqrt(max(measured[1], 1e-30)))


def excess(two_theta: np.ndarray, net: np.ndarray, sigma: np.ndarray, centre: float, fwhm: float,
           others: Sequence[tuple[float, float]] = (), twin: float | None = None) -> tuple[float, float] | None:
    """The counts of the peak at ``centre`` (width ``fwhm``) above the line through its flanks,
    and their variance, on the background-free profile ``net`` (Kα2 not stripped: all
    the peak's counts) with point errors ``sigma``; ``twin``: its Kα2 line's 2θ, whose counts are
    the peak's too (the core reaches from ``centre`` to it); ``others``: (2θ, FWHM) of the other
    lines (peaks and their twins), whose points are kept out of the flanks. None when too few
    flank or core points are left to tell."""
    top = max(centre, twin) if twin is not None and np.isfinite(twin) else centre
    dx = np.where(two_theta < centre, two_theta - centre, np.maximum(two_theta - top, 0.0))
    core = np.abs(dx) <= CORE * fwhm
    flank = (np.abs(dx) >= FLANK[0] * fwhm) & (np.abs(dx) <= FLANK[1] * fwhm)
    for t, w in others:
        if abs(t - centre) > 1e-9 and abs(t - top) > 1e-9:
            flank &= np.abs(two_theta - t) > FLANK[0] * w
    left, right = flank & (dx < 0), flank & (dx > 0)
    if core.sum() < 3 or left.sum() < 2 or right.sum() < 2:
        return None
    w = 1.0 / np.maximum(sigma[flank], 1e-12)
    design = np.column_stack([np.ones(int(flank.sum())), dx[flank]])
    coef, *_ = np.linalg.lstsq(design * w[:, None], net[flank] * w, rcond=None)
    cov = np.linalg.pinv((design * w[:, None]).T @ (design * w[:, None]))
    lever = np.array([core.sum(), dx[core].sum()], float)
    return float(np.sum(net[core]) - lever @ coef), float(np.sum(sigma[core] ** 2) + lever @ cov @ lever)


def _excesses(x: np.ndarray, y: np.ndarray, background: np.ndarray, radiation: Radiation, peaks: list,
              which: list[int]) -> dict[int, tuple[float, float] | None]:
    """:func:`excess` of each of the peaks ``which`` (with its Kα2 twin's counts), the flanks
    kept clear of the other peaks and their twins."""
    net, sigma = profile_signal(x, y, background, noise_level(y - background))
    twins = [float(ka2_position(p.two_theta, radiation)) if radiation.ka2 else None for p in peaks]
    lines = [(p.two_theta, p.fwhm) for p in peaks] + [(t, p.fwhm) for t, p in zip(twins, peaks) if t is not None]
    return {i: excess(x, net, sigma, peaks[i].two_theta, peaks[i].fwhm, lines, twins[i]) for i in which}


def noise_peaks(x: np.ndarray, y: np.ndarray, background: np.ndarray, radiation: Radiation, peaks: list,
                which: list[int]) -> set[int]:
    """Of the peaks ``which``, those whose counts stand fewer than :data:`MIN_SIGNIFICANCE`
    standard errors above their own flanks."""
    measured = _excesses(x, y, background, radiation, peaks, which) if which else {}
    return {i for i, m in measured.items() if m is not None and m[0] < MIN_SIGNIFICANCE * np.sqrt(max(m[1], 1e-30))}


def without_noise_phases(x: np.ndarray, y: np.ndarray, background: np.ndarray, radiation: Radiation, peaks: list,
                         reading: tuple, notes: list[str]) -> tuple:
    """The reading ``(done, lines, unexplained)`` without the further cubic/HCP phases whose own
    peaks (those no other phase claims) together stand fewer than :data:`MIN_SIGNIFICANCE`
    standard errors above their flanks (their excess counts summed, over the root of their
    variances summed): an HCP of two peaks beside a B2 fitted two noise bumps (1–2 standard
    errors each, S/N 7 by the smoothed curve's height over SNIP). The first phase and
    σ / Laves / μ are never dropped."""
    done, lines, unexplained = reading
    if len(done.phases) < 2:
        return reading
    owners: dict[int, list[int]] = {}
    for k, phase in enumerate(done.phases):
        for m in phase.matches:
            if m.peak is not None:
                owners.setdefault(m.peak, []).append(k)
    drop = []
    for k, phase in enumerate(done.phases[1:], start=1):
        if isinstance(phase.structure, NamedStructure):
            continue
        own = sorted(i for i, ks in owners.items() if ks == [k])
        measured = [m for m in _excesses(x, y, background, radiation, peaks, own).values() if m is not None]
        if measured and sum(m[0] for m in measured) < MIN_SIGNIFICANCE * np.sqrt(sum(m[1] for m in measured)):
            drop.append(k)
    if not drop:
        return reading
    for k in drop:
        phase = done.phases[k]
        notes.append(f"{phase.structure.value} a = {phase.a:.4f} Å dropped: its own peaks together stand fewer than "
                     f"{MIN_SIGNIFICANCE:.0f} standard errors of their counts above their flanks (noise)")
    kept = [p for k, p in enumerate(done.phases) if k not in drop]
    explained = {m.peak for p in kept for m in p.matches if m.peak is not None}
    freed = {i for k in drop for m in done.phases[k].matches if (i := m.peak) is not None and i not in explained}
    return replace(done, phases=kept), lines, sorted(set(unexplained) | freed)
