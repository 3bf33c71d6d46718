"""A second phase the peaks did not show, decided on the whole profile (issue #29).

When the peak-by-peak analysis found one phase, its lines may hide a second one: broad
nanocrystalline peaks merge an HCP's lines into an FCC's (or an FCC's into an L1₂'s), and a
10–30 % σ / Laves / μ minority shows lines each below the peak finder's threshold. Each phase
such a pattern commonly hides is tried as a candidate — the close-packed partner (FCC ↔ HCP
near the same atomic volume, and at the partner's Vegard lattice), the γ / γ′ partner of an
FCC or L1₂ (0.5–1 % misfit), and the σ / Laves / μ prototypes the alloy admits
(:func:`.prototypes.admits`) at their best peak-matching lattice and, beside an FCC or BCC, at
the lattice their lines match best in the found phase's residual (:mod:`.residual_lattices`:
a minority whose lines no peak placed) — and kept when the
whole-pattern fit (:mod:`.whole_pattern`: the found phase as a Pawley phase, the candidate
with its prototype's relative intensities, a shared zero shift, displacement and Kα2 ratio)
says it is needed by an F-test on the residual. The candidates are screened first by the
residual's projection on each one's profile (one linear step); the best partner and the best
named prototype are refined and tested, and the stronger of those found needed is kept.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from alloyloop.agent.xrd import whole_pattern as wp
from alloyloop.agent.xrd.indexing import IndexedPhase, Match
from alloyloop.agent.xrd.lattices import Reflection, Structure, reflection_table
from alloyloop.agent.xrd.named_phases import fit_prototype
from alloyloop.agent.xrd.peaks import Peak
from alloyloop.agent.xrd.prototypes import NamedStructure, admits, lorentz_polarisation, table
from alloyloop.agent.xrd.residual_lattices import best_lattices
from alloyloop.agent.xrd.shift import Shift

MISFITS = (0.005, 0.0075, 0.01)
"""γ′/γ lattice misfits tried (relative): Ni-based and HEA γ′ are 0.5–1 % larger than γ."""
SCREEN_F = 25.0
"""A candidate's screening F (scale alone, at its start lattice) must reach this to be refined."""
SAME_LATTICE = 0.0025
"""A partner of the found phase's own structure refined to within this relative lattice
difference (half the smallest γ/γ′ misfit tried) is the found phase's profile, not a phase."""


@dataclass(frozen=True)
class ProfileMinority:
    """The phase added (or None), the F-test of the best candidate, what to say, and the
    whole-pattern fit of the phases the result keeps (the found one, and the added one if any):
    its zero shift, displacement and Kα2 ratio are the profile's, reported with the result
    (None when no candidate was there to test, and so no fit ran)."""

    phase: IndexedPhase | None
    test: wp.PhaseTest | None
    note: str | None
    fit: wp.WholeFit | None = None


def profile_signal(two_theta: np.ndarray, intensity: np.ndarray, background: np.ndarray,
                   noise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The background-free profile (Kα2 kept) and each point's σ: counting noise ∝ √counts,
    its gain from the robust local noise where there are no peaks (lower quartile), so scaled
    or transcribed scans are weighted alike."""
    counts = np.maximum(intensity.astype(float), 1.0)
    gain = float(np.percentile(noise ** 2 / counts, 25))
    return intensity - background, np.sqrt(max(gain, 1e-12) * counts)


def _candidates(phase: IndexedPhase, peaks: Sequence[Peak], wavelength: float, two_theta_range: tuple[float, float],
                composition: Mapping[str, float] | None, starts: Mapping) -> list[wp.Candidate]:
    out: list[wp.Candidate] = []
    s = phase.structure
    partner = {Structure.FCC: Structure.HCP, Structure.HCP: Structure.FCC}.get(s)
    if partner is not None and partner in starts:  # the partner's Vegard lattice (an alloy's two phases differ)
        start = starts[partner]
        out.append(wp.candidate(partner, start.a, start.c, scaled=True))
    if s is Structure.FCC:
        for f in (0.98, 0.99, 1.0, 1.01, 1.02):
            a = phase.a / math.sqrt(2) * f
            out += [wp.candidate(Structure.HCP, a, a * ca, scaled=True) for ca in (1.59, 1.62, 1.65)]
        out += [wp.candidate(Structure.FCC, phase.a * (1 + m), scaled=True) for m in MISFITS]
        out += [wp.candidate(Structure.FCC, phase.a * (1 - m), scaled=True) for m in MISFITS]
    elif s is Structure.HCP and phase.c is not None:
        volume = math.sqrt(3) / 2 * phase.a ** 2 * phase.c / 2  # per atom
        out += [wp.candidate(Structure.FCC, (4 * volume) ** (1 / 3) * f, scaled=True)
                for f in (0.97, 0.98, 0.99, 1.0, 1.01, 1.02, 1.03)]
    elif s is Structure.L12:
        out += [wp.candidate(Structure.FCC, phase.a / (1 + m), scaled=True) for m in MISFITS]
    if s in (Structure.FCC, Structure.BCC):
        for named in NamedStructure:
            if not admits(named, composition):
                continue
            fit = fit_prototype(named, peaks, wavelength=wavelength, two_theta_range=two_theta_range,
                                composition=composition)
            if fit is not None:
                out.append(wp.candidate(named, fit.a, fit.c, scaled=True))
    return out


def find(x: np.ndarray, net: np.ndarray, sigma: np.ndarray, phase: IndexedPhase, peaks: Sequence[Peak], *,
         shift: Shift, wavelength: float, ka2: float | None, ratio: float, width: float,
         two_theta_range: tuple[float, float], composition: Mapping[str, float] | None,
         tube: Sequence[float] = (), starts: Mapping | None = None,
         also: Sequence[wp.Candidate] = ()) -> ProfileMinority:
    """A second phase beside the one ``phase`` found on the shift-corrected ``peaks`` (module notes);
    ``tube``: the tube lines the pattern shows (modelled); ``also``: further candidates to test."""
    extras = _candidates(phase, peaks, wavelength, two_theta_range, composition, starts or {}) + list(also)
    if not extras and phase.structure not in (Structure.FCC, Structure.BCC):
        # nothing to test (a σ / Laves / μ phase alone): no whole-pattern fit (a σ's dozens of
        # Pawley lines cost 0.5–0.8 s); beside an FCC or BCC the residual may still give one
        return ProfileMinority(None, None, None)
    first = wp.candidate(phase.structure, phase.a, phase.c)
    values = wp.start_values([first], zero=shift.zero, displacement=shift.displacement, ratio=ratio,
                             fwhm=max(0.02, width), eta=0.5)
    for i in range(len(tube)):
        values[f"k{i}"] = 0.02
    # the found phase alone refined on the whole profile (shift, Kα2 ratio, lattice, widths):
    # the shift the result reports when no phase is added, and the F-test's start
    anchor = {"z": shift.zero, "D": shift.displacement}  # every fit's shift priors centred on the peaks'
    base = wp.fit(x, net, sigma, [first], ka1=wavelength, ka2=ka2, values=values, tube=tube, anchor=anchor,
                  scan=shift.scan)
    if phase.structure in (Structure.FCC, Structure.BCC):
        # σ / Laves / μ whose lines the peaks could not place: at the lattice their lines
        # match best in what the found phase's fit leaves, on every point of the scan
        whole = wp.fit(x, net, sigma, [first], ka1=wavelength, ka2=ka2, values=base.values, free=[], tube=tube,
                       points=np.arange(len(x)), scan=shift.scan)
        extras += best_lattices(x, net - whole.model, sigma, base.values, wavelength=wavelength, ka2=ka2,
                                composition=composition, scan=shift.scan)
    # screened on the peaks' own shift, lattice and width (intensities only: one linear step);
    # only a candidate that stands out is refined, with the found phase, on the whole profile
    rough = wp.fit(x, net, sigma, [first], ka1=wavelength, ka2=ka2, values=values, free=[], tube=tube,
                   scan=shift.scan)
    screened = wp.screen(x, net, sigma, [first], rough, extras, ka1=wavelength, ka2=ka2, tube=tube, scan=shift.scan)
    # the best of each kind (a close-packed or γ/γ′ partner, a named prototype) is refined and
    # tested: a σ minority's lines near an FCC's can screen an HCP partner higher
    best = _best_of_each_kind(extras, screened)
    if not best:
        return ProfileMinority(None, None, None, base)
    # a σ / μ phase's many lines carry much of the intensity at a modest volume share; a partner
    # of the found phase's family starts the larger fit from the peaks' lattice and width: alone
    # on the profile, an L1₂ broadens and moves onto its γ's lines (1 % misfit)
    tests = [(wp.needs_phase(x, net, sigma, [first], extras[i], ka1=wavelength, ka2=ka2, base=base, tube=tube,
                             max_share=0.9 if named else 0.5, restart=None if named else values, anchor=anchor, scan=shift.scan),
              extras[i])
             for named, i in best.items()]
    test, extra = _preferred(x, net, sigma, first, tests, wavelength=wavelength, ka2=ka2, width=width, tube=tube,
                             scan=shift.scan)
    if not test.present:
        return ProfileMinority(None, test, None, base)
    a, c = test.with_.lattices[-1]
    if _same_lattice(extra, a, phase, test):
        # a real lab profile is asymmetric (axial divergence: a low-angle tail) and the Pawley
        # phases are symmetric pseudo-Voigts; a second copy of the found lattice a few 0.01 %
        # off fits that tail: it is the found phase's profile, not a second phase
        return ProfileMinority(None, test, None, base)
    a_sigma, c_sigma = test.with_.lattice_sigmas[-1]
    found = as_phase(extra, a, c, a_sigma, c_sigma, peaks, wavelength, two_theta_range, float(test.f))
    return ProfileMinority(found, test, _found_note(extra, a, c, test), test.with_)


def _best_of_each_kind(extras: Sequence[wp.Candidate], screened: Sequence[float]) -> dict[bool, int]:
    """Index of the best-screened candidate that stands out (≥ :data:`SCREEN_F`), per kind:
    ``True`` a named prototype (σ / Laves / μ), ``False`` a partner of the found phase."""
    best: dict[bool, int] = {}
    for i, value in enumerate(screened):
        named = isinstance(extras[i].kind, NamedStructure)
        if value >= SCREEN_F and (named not in best or value > screened[best[named]]):
            best[named] = i
    return best


def _preferred(x: np.ndarray, net: np.ndarray, sigma: np.ndarray, first: wp.Candidate,
               tests: list[tuple[wp.PhaseTest, wp.Candidate]], *, wavelength: float, ka2: float | None,
               width: float, tube: Sequence[float], scan: float | None = None) -> tuple[wp.PhaseTest, wp.Candidate]:
    """The test to report: the one candidate found needed; when a partner and a named phase both
    are, the one whose fit leaves the smaller residual on the same points (their F statistics
    were taken on different points: each candidate's own lines'). Both add a scale, lattice and
    widths, so the residuals compare directly (a 13 % σ's two lines near an FCC's were also fitted
    by an HCP partner, whose F on its few points was the larger)."""
    present = [t for t in tests if t[0].present]
    if len(present) < 2:
        return max(tests, key=lambda t: (t[0].present, t[0].f))
    points = wp.points_near(x, [first, *(extra for _, extra in present)], wavelength, 4 * width + 0.3, tube)
    rss = [wp.fit(x, net, sigma, [first, extra], ka1=wavelength, ka2=ka2, values=test.with_.values, free=[],
                  points=points, tube=tube, scan=scan).rss for test, extra in present]
    return present[int(np.argmin(rss))]


def _found_note(extra: wp.Candidate, a: float, c: float | None, test: wp.PhaseTest) -> str:
    """What the whole-pattern fit found, in the words of the analysis' notes."""
    return (f"{extra.label} (a = {a:.4f} Å{'' if c is None else f', c = {c:.4f} Å'}) found by the whole-pattern "
            f"fit: {test.with_.shares[-1]:.0%} of the fitted intensity, F = {test.f:.0f} (p = {test.p:.1e}); shift "
            f"refined on the profile: zero {test.with_.zero:+.3f}°, displacement {test.with_.displacement:+.3f}° × "
            f"cos θ, Kα2 ratio {test.with_.ratio:.2f}")


def _same_lattice(extra: wp.Candidate, a: float, phase: IndexedPhase, test: wp.PhaseTest) -> bool:
    """Whether the refined candidate is the found phase's own structure at (nearly) its lattice."""
    if extra.kind is not phase.structure:
        return False
    found = test.with_.lattices[0][0]
    return abs(a - found) <= SAME_LATTICE * found


def as_phase(extra: wp.Candidate, a: float, c: float | None, a_sigma: float | None, c_sigma: float | None,
             peaks: Sequence[Peak], wavelength: float, two_theta_range: tuple[float, float],
             score: float) -> IndexedPhase:
    """The added phase in the indexing's terms: its reflections in range, each matched to the
    nearest peak within half that peak's width (0.06–1°: the profile, not the peak fit, placed it), if any."""
    structure = extra.kind
    if isinstance(structure, NamedStructure):
        tab = table(structure)
        hkl, planar, axial, weight = tab.hkl, tab.planar, tab.axial, tab.weight
    else:
        rt = reflection_table(structure)
        hkl = tuple(r.hkl for r in rt.reflections)
        planar, axial, weight = rt.planar, rt.axial, rt.weight
    inv_d2 = planar / a ** 2 + (axial / c ** 2 if c is not None else 0.0)
    s = wavelength * np.sqrt(inv_d2) / 2
    lo, hi = two_theta_range
    tt = np.degrees(2 * np.arcsin(np.minimum(s, 1.0)))
    keep = np.flatnonzero((s < 1) & (tt >= lo) & (tt <= hi) & (weight > 0))
    rel = weight[keep] * lorentz_polarisation(tt[keep])
    strong = keep[rel >= 0.05 * rel.max()] if rel.size else keep
    ptt = np.array([p.two_theta for p in peaks])
    matches, offsets, seen, total = [], [], 0.0, 0.0
    for i in strong.tolist():
        j = int(np.argmin(np.abs(ptt - tt[i]))) if ptt.size else -1
        hit = j >= 0 and abs(ptt[j] - tt[i]) <= max(0.06, min(1.0, 0.5 * peaks[j].fwhm))
        r = float(weight[i] * lorentz_polarisation(np.array([tt[i]]))[0])
        total += r
        if hit:
            seen += r
            offsets.append(ptt[j] - tt[i])
        matches.append(Match(Reflection(tuple(hkl[i]), 1, float(weight[i])), float(tt[i]), j if hit else None, 0.0))
    rms = float(math.sqrt(sum(o * o for o in offsets) / len(offsets))) if offsets else 0.0
    # the profile, not the peaks, found it: the share of its strong lines a peak shows, at least 0.5
    confidence = round(max(0.5, seen / total) if total else 0.5, 3)
    a_err = float("nan") if a_sigma is None else float(a_sigma)
    c_err = None if c is None else (float("nan") if c_sigma is None else float(c_sigma))
    return IndexedPhase(structure, float(a), c, a_err, c_err,  # type: ignore[arg-type]
                        tuple(matches), score, confidence, rms, None)
