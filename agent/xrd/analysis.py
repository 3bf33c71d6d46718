"""The whole analysis of one pattern, and its result as a validated, serialisable record.

``analyse(pattern, composition)``: SNIP background → Kα2 doublet or not (:mod:`.doublet`) and
Rachinger stripping → peaks at the pattern's own width → zero shift and sample displacement
found and refined with the indexing against FCC, BCC, HCP, B2 and L1₂ (starting lattice
parameters from the composition by Vegard's law) → on the shift-corrected peaks, Kβ / W Lα
twins labelled and σ / Laves / μ fitted (:mod:`.named_phases`) → a proposed label. The
proposal is ``single`` when one disordered solid solution (FCC, BCC or HCP) explains the
pattern, ``multi`` otherwise — two or more phases, an ordered or named intermetallic phase
(the store's ``single`` means one solid solution), or strong peaks no lattice explains
(reported as phase ``other``); each structure is proposed once. No phase indexed: no outcome
is proposed and the person decides (an *unindexed structure* when strong peaks remain).

:class:`XrdAnalysis` goes to JSON through the one cattrs converter
(:func:`alloyloop.featurize.converter.unstructure`) and back (:meth:`XrdAnalysis.from_json`);
it is what a label's provenance keeps (with what the person changed, see
:mod:`alloyloop.agent.xrd.provenance`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from alloyloop.agent.xrd import angle_scale, inclusions, laves, tilt
from alloyloop.agent.xrd import whole_pattern as wp
from alloyloop.agent.xrd.doublet import detect_ka2, without_ka2_residue
from alloyloop.agent.xrd.evidence import Net
from alloyloop.agent.xrd.indexing import IndexedPhase, index_peaks
from alloyloop.agent.xrd.lattices import Structure
from alloyloop.agent.xrd.minority import find as find_minority
from alloyloop.agent.xrd.minority import profile_signal
from alloyloop.agent.xrd.named_phases import complete
from alloyloop.agent.xrd.order import ordered_of_two
from alloyloop.agent.xrd.pattern import Pattern, Radiation
from alloyloop.agent.xrd.peaks import DEFAULT_MIN_SNR, find_pattern_peaks, interpolated, noise_level, pattern_width
from alloyloop.agent.xrd.profile import background_window, snip_background, strip_ka2
from alloyloop.agent.xrd.prototypes import STORE_PHASE, NamedStructure
from alloyloop.agent.xrd.shift import Shift, refine_shift, search_shift
from alloyloop.agent.xrd.significance import MIN_SIGNIFICANCE, noise_peaks, without_noise_phases
from alloyloop.agent.xrd.tube_lines import LINES as TUBE_LINES
from alloyloop.agent.xrd.tube_lines import anode_of
from alloyloop.agent.xrd.tube_lines import assign as tube_line_peaks
from alloyloop.agent.xrd.tube_lines import without_line_phases
from alloyloop.agent.xrd.vegard import starting_lattice
from alloyloop.agent.xrd.whole_pattern import WholeFit
from alloyloop.featurize.converter import structure, unstructure

ANALYSIS_VERSION = "xrd-1.11"
"""Changes whenever the analysis could give another result for the same file."""
UNEXPLAINED_SHARE = 0.03
"""An unexplained peak counts when its area is at least this share of the strongest peak's."""
SOLID_SOLUTIONS = ("FCC", "BCC", "HCP")
SHIFT_SOURCES = ("peaks", "whole-pattern fit")
"""Where a result's zero shift and displacement come from: the peak positions' refinement, or
the whole-pattern (Pawley-style) fit of the phases on the profile (:mod:`.whole_pattern`)."""
SHIFT_GAIN = 0.02
"""A refined shift that raises the phases' total score by this much over the unshifted peaks is kept."""


@dataclass(frozen=True)
class PeakRow:
    """One found peak: position, spacing, intensity (area, and % of the strongest), width,
    signal/noise, and the phase and reflection it was indexed as (None if unexplained)."""

    two_theta: float
    d: float
    area: float
    relative: float
    fwhm: float
    snr: float
    phase: int | None = None
    """Index into :attr:`XrdAnalysis.phases`."""
    hkl: str | None = None

    def __post_init__(self) -> None:
        if not 0 < self.two_theta < 180 or self.d <= 0:
            raise ValueError(f"peak at 2θ {self.two_theta!r}, d {self.d!r} is not a reflection")


@dataclass(frozen=True)
class PhaseResult:
    """A phase of the proposal: structure, least-squares lattice parameters (Å) and their
    standard errors, the Vegard start, confidence (0–1), and how many reflections matched."""

    structure: str
    a: float
    a_sigma: float | None
    c: float | None
    c_sigma: float | None
    vegard_a: float | None
    confidence: float
    peaks_matched: int
    reflections_expected: int
    rms_two_theta: float

    def __post_init__(self) -> None:
        known = [s.value for s in Structure] + [s.value for s in NamedStructure]
        if self.structure not in known:
            raise ValueError(f"structure {self.structure!r}: use one of {', '.join(known)}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence!r} must be in [0, 1]")
        if not 1.0 < self.a < 20.0:
            raise ValueError(f"lattice parameter {self.a!r} Å is not a metal's")

    @property
    def lattice(self) -> str:
        c = f", c = {self.c:.4f} Å" if self.c else ""
        return f"a = {self.a:.4f} Å{c}"


@dataclass(frozen=True)
class XrdAnalysis:
    """The analysis of one pattern and the label it proposes."""

    version: str
    file: str
    wavelength: float
    ka2: float | None
    radiation: str
    two_theta_range: tuple[float, float]
    composition: str | None
    phases: tuple[PhaseResult, ...]
    peaks: tuple[PeakRow, ...]
    unexplained: tuple[int, ...]
    outcome: str | None
    proposed_phases: tuple[str, ...]
    notes: tuple[str, ...] = ()
    unindexed: bool = False
    """Strong peaks and no lattice of the analysis fits them: not an FCC/BCC/HCP solid solution."""
    zero_shift: float = 0.0
    """Refined zero shift z (degrees 2θ): observed = predicted + z + D·cos θ."""
    zero_shift_sigma: float | None = None
    displacement: float = 0.0
    """Refined sample displacement D (degrees 2θ at θ → 0)."""
    displacement_sigma: float | None = None
    ka2_ratio: float | None = None
    """Kα2/Kα1 intensity ratio of the whole-pattern fit (refined; 0 when the analysis found no
    Kα2 line); None when only the peaks were used (and in records of before xrd-1.6)."""
    shift_source: str = "peaks"
    """Where ``zero_shift``, ``displacement`` (and ``ka2_ratio``) come from: one of
    :data:`SHIFT_SOURCES`. Records of before xrd-1.6 read as ``peaks``, which they were."""
    shift_wavelength: float | None = None
    """None: ``zero_shift`` and ``displacement`` are on the scan's own 2θ (every record since
    xrd-1.10, short-wavelength scans analysed on the Cu Kα1 scale too: :mod:`.angle_scale`). Set
    in records of xrd-1.9, whose shift of such a scan was fitted on that scale: the wavelength
    (Å) of that scale, and :attr:`shift_text` adds what the values mean on the scan's angles."""

    def __post_init__(self) -> None:
        if self.outcome not in (None, "single", "multi"):
            raise ValueError(f"outcome {self.outcome!r}: single, multi or none")
        if self.shift_source not in SHIFT_SOURCES:
            raise ValueError(f"shift source {self.shift_source!r}: use one of {', '.join(SHIFT_SOURCES)}")
        if any(not 0 <= i < len(self.peaks) for i in self.unexplained):
            raise ValueError("an unexplained peak index is outside the peak table")

    def to_dict(self) -> dict:
        return unstructure(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping) -> XrdAnalysis:
        return structure(dict(data), cls, what="XRD analysis field")

    @property
    def shift_text(self) -> str:
        """The refined shift in words, and where it came from (the CLI and the web page show it)."""
        def pm(sigma: float | None) -> str:
            return f" ± {sigma:.3f}" if sigma is not None else ""

        ratio = "" if self.ka2_ratio is None else f", Kα2 ratio {self.ka2_ratio:.2f}"
        text = (f"zero shift {self.zero_shift:+.3f}°{pm(self.zero_shift_sigma)}, displacement "
                f"{self.displacement:+.3f}°{pm(self.displacement_sigma)} × cos θ{ratio} ({self.shift_source})")
        if self.shift_wavelength is None:
            return text
        ends = angle_scale.analysed_range(self.two_theta_range, self.wavelength)
        lo, hi = (angle_scale.scan_shift(t, self.zero_shift, self.displacement, self.wavelength) for t in ends)
        return (f"{text}, on the 2θ scale of λ {self.shift_wavelength:.5f} Å (Cu Kα1) the scan was analysed on; "
                f"on the scan's own 2θ: {lo:+.4f}° at {ends[0]:.3f}° to {hi:+.4f}° at {ends[1]:.3f}°")

    @property
    def summary(self) -> str:
        if self.unindexed:
            return "unindexed structure (no FCC/BCC/HCP solid solution recognised)"
        if self.outcome is None:
            return "no phase indexed"
        phases = " + ".join(f"{p.structure} ({p.lattice}, confidence {p.confidence:.2f})" for p in self.phases)
        other = " + unexplained peaks" if "other" in self.proposed_phases else ""
        return f"{self.outcome}: {phases or 'none'}{other}"


def _profile_tests(x, y, background, radiation, done, peaks, unexplained, shift, width, two_theta_range,  # noqa: ANN001
                   composition, notes, lines, starts):
    """The whole-profile tests of a powder scan: a second phase the peaks missed, an HCP of two
    peaks re-tested, a Laves phase's polytype. Returns ``(done, unexplained, profile)``, ``profile`` the
    whole-pattern fit that ran (its refined shift is the result's), else None."""
    profile = None
    if len(done.phases) == 1:
        # one phase by its peaks: the whole profile may need a second (broad merged lines, a
        # minority whose lines are each below the peak threshold) — the F-test decides
        done, unexplained, profile = _profile_minority(x, y, background, radiation, done, peaks, unexplained, shift,
                                                       width, two_theta_range, composition, notes, lines, starts)
    elif (weak := _underdetermined(done.phases)) is not None:
        done, unexplained, profile = _retest(weak, x, y, background, radiation, done, peaks, unexplained,
                                             shift, width, two_theta_range, composition, notes, lines, starts)
    done, unexplained = _laves_polytype(x, y, background, radiation, done, peaks, unexplained, shift, width,
                                        two_theta_range, notes, profile)
    return done, unexplained, profile


def analyse(pattern: Pattern, composition: Mapping[str, float] | None = None, *,
            composition_key: str | None = None, min_snr: float = DEFAULT_MIN_SNR) -> XrdAnalysis:
    """Analyse ``pattern``; ``composition`` (element → fraction) gives the Vegard starts. A
    short-wavelength scan is analysed on the Cu Kα1 scale, its noise estimated knowing how many
    resampled points each measured step spans (:func:`.angle_scale.stretch`)."""
    mapped = angle_scale.to_reference(pattern)
    with interpolated(None if mapped is None else angle_scale.stretch(pattern, mapped.two_theta)):
        return _analyse(pattern, mapped, composition, composition_key, min_snr)


def _analyse(pattern: Pattern, mapped: Pattern | None, composition: Mapping[str, float] | None,
             composition_key: str | None, min_snr: float) -> XrdAnalysis:
    scan = pattern
    pattern = mapped or scan
    x, y = pattern.two_theta, pattern.intensity
    notes = list(pattern.notes) + ([angle_scale.note(scan.radiation.ka1)] if mapped else [])
    background, width = _background(x, y)
    ka2 = detect_ka2(x, y - background, pattern.radiation, float(np.median(noise_level(y - background))))
    if ka2.note:
        notes.append(ka2.note)
    stated = pattern.radiation
    pattern = replace(pattern, radiation=ka2.radiation)
    net = strip_ka2(x, y - background, pattern.radiation)
    lam = pattern.radiation.ka1
    search = find_pattern_peaks(x, net, lam, min_snr=min_snr, width=width)
    peaks, noise = without_ka2_residue(search.peaks, pattern.radiation), search.noise
    notes += [f"broad hump at {hump.two_theta:.1f}° (FWHM {hump.fwhm:.1f}°, {hump.fwhm / search.width:.0f} × "
              "the peaks' width): amorphous or background, not indexed as a phase" for hump in search.humps]
    starts = _vegard_starts(composition, notes)
    two_theta_range = (float(x[0]), float(x[-1]))
    options = dict(noise=float(np.median(noise)), starts=starts, min_snr=min_snr, ka2_ratio=_ka2_ratio(stated),
                   scan=scan.radiation.ka1 if mapped else None)
    tilted = tilt.tilt_of(scan)
    if tilted is not None:
        notes.append(tilt.note(tilted))
        found, unexplained, shift, other = _index_tilted(peaks, lam, two_theta_range, options)
    else:
        found, unexplained, shift, other = _index_shifted(peaks, lam, two_theta_range, options)
    done, lines, unexplained = _finish(peaks, found, unexplained, shift, pattern.radiation, two_theta_range,
                                       composition)
    (done, lines, unexplained), shift = _second_readings(peaks, (done, lines, unexplained), shift, other, lam,
                                                         two_theta_range, options, pattern.radiation, composition)
    done, lines, unexplained = without_noise_phases(x, y, background, pattern.radiation, peaks,
                                                    (done, lines, unexplained), notes)
    profile = None
    if tilted is None:  # a tilted scan's intensities follow its texture: no whole-profile test
        done, unexplained, profile = _profile_tests(x, y, background, pattern.radiation, done, peaks, unexplained, shift,
                                                    search.width, two_theta_range, composition, notes, lines, starts)
    notes += done.notes
    evidence = Net(x, net, noise_level(net, window=max(51, int(4.0 / float(np.median(np.diff(x)))) // 2 * 2 + 1)),
                   search.width, peaks)
    phases, note = ordered_of_two(done.phases, evidence, lam, shift)
    if note:
        notes.append(note)
        done = replace(done, phases=phases)
    parts = _profile_parts(shift.corrected(peaks, lam), done.phases, unexplained, tilted is not None)
    lines = {**lines, **parts}
    unexplained = [i for i in unexplained if i not in parts]
    if done.phases and abs(float(shift.at(60.0))) >= 0.03:
        notes.append(f"peaks shifted by {float(shift.at(40.0)):+.2f}° at 40° to {float(shift.at(100.0)):+.2f}° at "
                     f"100° ({shift.label}): refined with the phases, lattice parameters corrected")
    phases, unexplained, lines, aside = inclusions.set_aside(done.phases, peaks, unexplained, lines, starts,
                                                             composition)
    notes += aside
    faint = _within_noise(x, y, background, pattern.radiation, peaks, unexplained, notes)
    result = _result(pattern, composition_key, peaks, phases, unexplained, starts, notes, shift, lines,
                     done.unindexed, profile, faint)
    return _on_scan_angles(result, scan) if mapped else result


def _on_scan_angles(result: XrdAnalysis, scan: Pattern) -> XrdAnalysis:
    """A result found on the Cu Kα1 scale (:mod:`.angle_scale`) told in the scan's own angles
    and wavelength (the peak table, the range, the radiation); the shift is on them already."""
    lam = scan.radiation.ka1
    rows = []
    for row in result.peaks:
        two_theta, fwhm = angle_scale.from_reference(row.two_theta, row.fwhm, lam)
        rows.append(replace(row, two_theta=round(two_theta, 4), fwhm=round(fwhm, 5)))
    return replace(result, peaks=tuple(rows), wavelength=lam, ka2=scan.radiation.ka2, radiation=scan.radiation.label,
                   two_theta_range=(round(float(scan.two_theta[0]), 4), round(float(scan.two_theta[-1]), 4)))


def _second_readings(peaks: list, reading: tuple, shift: Shift, other, lam: float,  # noqa: ANN001
                     two_theta_range: tuple[float, float], options: dict, radiation: Radiation,
                     composition: Mapping[str, float] | None) -> tuple[tuple, Shift]:
    """The reading ``(done, lines, unexplained)`` and its shift, or a second reading of the
    peaks that explains them better: unshifted (or shifted), or without a named phase's lines."""
    done, lines, unexplained = reading
    if other is not None and _doubtful(done, unexplained, peaks):
        # the shift was refined with the cubic/HCP phases; when a named phase or strong
        # unexplained peaks say those were the wrong phases, the shift may be wrong too: the
        # unshifted peaks (the named-phase fit has its own offset) get their chance. And the
        # other way round: a displaced BCC + C15 pattern read unshifted makes an HCP of the
        # BCC (110) and a C15 line, which outscores the BCC alone before the C15 is fitted;
        # read shifted, the C15 takes its lines
        again = _finish(peaks, *other, radiation, two_theta_range, composition)
        if _better(again, (done, lines, unexplained), peaks):
            (done, lines, unexplained), shift = again, other[2]
    if any(isinstance(p.structure, NamedStructure) for p in done.phases):
        # the named phase's lines may have misled the shift search and the cubic/HCP indexing
        # (a σ or μ pattern has dozens of lines): index the peaks it does not explain again
        again = _without_named(peaks, done.phases, lam, two_theta_range, options, radiation, composition)
        if again is not None and _better(again[0], (done, lines, unexplained), peaks):
            (done, lines, unexplained), shift = again
    return (done, lines, unexplained), shift


def _vegard_starts(composition: Mapping[str, float] | None, notes: list[str]) -> dict:
    """Each structure's Vegard lattice start for ``composition`` ({} without one, or when an
    element has no tabulated lattice: then said in ``notes`` and the lattice searched freely)."""
    if not composition:
        return {}
    try:
        return {s: starting_lattice(s, composition) for s in Structure}
    except KeyError as exc:
        notes.append(f"no Vegard start ({exc.args[0]}); lattice parameters searched 2.3–4.6 Å")
        return {}


def _profile_minority(x: np.ndarray, y: np.ndarray, background: np.ndarray, radiation: Radiation, done,  # noqa: ANN001
                      peaks: list, unexplained: list[int], shift: Shift, width: float,
                      two_theta_range: tuple[float, float], composition: Mapping[str, float] | None,
                      notes: list[str], lines: Mapping[int, tuple[int, str]], starts: Mapping,
                      also: tuple = ()):  # noqa: ANN202
    """:func:`.minority.find` on the one phase found: the completion with the added phase and
    the peaks it explains taken off the unexplained ones. The tube lines the pattern shows
    (``lines``: peak → its reflection's label, ``111 Kβ``) are modelled in the fit. Last, the
    whole-pattern fit of the phases kept (its shift is reported; the peaks' ``shift`` still
    places the phases' lines for the steps after this one)."""
    anode = anode_of(radiation)
    seen = {label.split(" ", 1)[1] for _, label in lines.values() if " " in label}
    tube = [lam for name, lam in TUBE_LINES.get(anode or "", ()) if name in seen]
    net, sigma = profile_signal(x, y, background, noise_level(y - background))
    corrected = shift.corrected(peaks, radiation.ka1)
    extra = find_minority(x, net, sigma, done.phases[0], corrected, shift=shift, wavelength=radiation.ka1,
                          ka2=radiation.ka2, ratio=radiation.ratio, width=width, two_theta_range=two_theta_range,
                          composition=composition, tube=tube, starts=starts, also=also)
    if extra.phase is None:
        return done, unexplained, extra.fit
    notes.append(extra.note)
    mine = {m.peak for m in extra.phase.matches if m.peak is not None}
    return replace(done, phases=[*done.phases, extra.phase]), [i for i in unexplained if i not in mine], extra.fit


def _retest(weak: IndexedPhase, x: np.ndarray, y: np.ndarray, background: np.ndarray, radiation: Radiation,
            done, peaks: list, unexplained: list[int], shift: Shift, width: float,  # noqa: ANN001
            two_theta_range: tuple[float, float], composition: Mapping[str, float] | None, notes: list[str],
            lines: Mapping[int, tuple[int, str]], starts: Mapping):  # noqa: ANN202
    """A second phase two peaks gave with as many lattice parameters (an HCP's a and c fit any
    two peaks) tested on the whole profile beside the matrix alone, among the σ / Laves / μ
    candidates whose lines those two peaks may be (a 13–18 % σ beside a sharp FCC came out
    FCC + HCP): a named phase found needed replaces it; else the peaks' reading stays
    (``done``, ``unexplained``, no profile fit)."""
    matrix = [p for p in done.phases if p is not weak]
    theirs = {m.peak for m in weak.matches if m.peak is not None}
    said: list[str] = []
    trial = _profile_minority(x, y, background, radiation, replace(done, phases=matrix), peaks,
                              sorted(set(unexplained) | theirs), shift, width, two_theta_range, composition, said,
                              lines, starts, also=(wp.candidate(weak.structure, weak.a, weak.c, scaled=True),))
    if not any(isinstance(p.structure, NamedStructure) for p in trial[0].phases):
        return done, unexplained, None
    notes += [f"{weak.structure.value} a = {weak.a:.4f} Å rested on two peaks, as many as its lattice "
              "parameters: the whole-pattern fit tested it against σ / Laves / μ", *said]
    return trial


def _laves_polytype(x: np.ndarray, y: np.ndarray, background: np.ndarray, radiation: Radiation, done,  # noqa: ANN001
                    peaks: list, unexplained: list[int], shift: Shift, width: float,
                    two_theta_range: tuple[float, float], notes: list[str],
                    profile: WholeFit | None):  # noqa: ANN202
    """:func:`.laves.polytype` on the phases the peaks found: C14 or C15 as the whole profile says,
    the peaks the polytype left unexplained, or those it now explains taken off (unchanged unless
    a C14 / C15 is one of two phases; and after the whole-pattern step, ``profile``, which chose
    its prototype on the profile already)."""
    if profile is not None or len(done.phases) != 2 or not any(p.structure in laves.OTHER for p in done.phases):
        return done, unexplained
    net, sigma = profile_signal(x, y, background, noise_level(y - background))
    phases, note = laves.polytype(x, net, sigma, done.phases, shift.corrected(peaks, radiation.ka1), shift=shift,
                                  wavelength=radiation.ka1, ka2=radiation.ka2, ratio=radiation.ratio, width=width,
                                  two_theta_range=two_theta_range)
    if note is None:
        return done, unexplained
    notes.append(note)
    before = {m.peak for p in done.phases for m in p.matches if m.peak is not None}
    after = {m.peak for p in phases for m in p.matches if m.peak is not None}
    return replace(done, phases=phases), sorted((set(unexplained) | (before - after)) - after)


def _finish(peaks: list, found: list[IndexedPhase], unexplained: list[int], shift: Shift, radiation: Radiation,
            two_theta_range: tuple[float, float], composition: Mapping[str, float] | None):  # noqa: ANN202
    """Tube lines and σ / Laves / μ on the shift-corrected peaks (:func:`analyse`): the completed
    phases, the tube-line peaks and the peaks left unexplained."""
    # Tube lines and σ / Laves / μ see the shift-corrected peaks: the shift is the instrument's,
    # shared by every phase, and was refined on the cubic/HCP phases' many sharp lines. The
    # named-phase fit's own whole-phase 2θ offset (±0.4°, constant) then only takes up what is
    # left — all of the shift when no cubic/HCP phase fixed it — instead of approximating
    # D·cos θ by a constant; Kβ / W Lα twins are predicted from the corrected d of their Kα
    # reflection, so parent and twin are placed alike. Peak indices are unchanged, so the
    # result's peak table keeps the observed positions.
    lam, end = radiation.ka1, two_theta_range[1]
    corrected = shift.corrected(peaks, lam)
    found, unexplained = without_line_phases(corrected, found, unexplained, radiation, end)
    early = tube_line_peaks(corrected, found, unexplained, radiation, end)
    done = complete(corrected, found, [i for i in unexplained if i not in early], wavelength=lam,
                    two_theta_range=two_theta_range, composition=composition, reserved=set(early))
    lines = tube_line_peaks(corrected, done.phases, sorted(set(done.unexplained) | set(early)), radiation, end)
    left = sorted(i for i in set(done.unexplained) | set(early) if i not in lines)
    return done, lines, left


def _without_named(peaks: list, phases: list[IndexedPhase], wavelength: float, two_theta_range: tuple[float, float],
                   options: dict, radiation: Radiation, composition: Mapping[str, float] | None):  # noqa: ANN202
    """The reading that indexes (shift search included) only the peaks the named phases do not
    explain (a peak counts as theirs when they predict at least a third of its area), then
    completes it on all peaks; None if nothing is left to index."""
    theirs = {m.peak for p in phases if isinstance(p.structure, NamedStructure) for m in p.matches
              if m.peak is not None and m.expected >= peaks[m.peak].area / 3}
    rest = [i for i in range(len(peaks)) if i not in theirs]
    if len(rest) < 2 or len(rest) == len(peaks):
        return None
    found, _, shift, _ = _index_shifted([peaks[i] for i in rest], wavelength, two_theta_range, options)
    if not found:
        return None
    found = [replace(p, matches=tuple(replace(m, peak=None if m.peak is None else rest[m.peak]) for m in p.matches),
                     strongest=None if p.strongest is None else rest[p.strongest]) for p in found]
    explained = {m.peak for p in found for m in p.matches if m.peak is not None}
    unexplained = [i for i in range(len(peaks)) if i not in explained]
    return _finish(peaks, found, unexplained, shift, radiation, two_theta_range, composition), shift


def _profile_parts(peaks: list, phases: list[IndexedPhase], unexplained: list[int],
                   tilted: bool = False) -> dict[int, tuple[int, str]]:
    """Unexplained peak → (phase index, reflection) for a peak within the matching tolerance of
    a reflection whose nearer peak was matched to it: one reflection's profile the peak fit
    split in two (a narrow pair on an asymmetric or doubled top), not another phase's line.
    On a tilted scan the tolerance is half the peak's width, uncapped (:func:`.tilt.part_tolerance`)."""
    out: dict[int, tuple[int, str]] = {}
    for j in unexplained:
        peak = peaks[j]
        tol = tilt.part_tolerance(peak.fwhm) if tilted else max(0.06, min(0.5, 0.5 * peak.fwhm))
        for k, phase in enumerate(phases):
            near = [m for m in phase.matches if m.peak is not None and abs(m.predicted_two_theta - peak.two_theta) <= tol]
            if near:
                out[j] = (k, near[0].reflection.label)
                break
    return out


def _within_noise(x: np.ndarray, y: np.ndarray, background: np.ndarray, radiation: Radiation, peaks: list,
                  unexplained: list[int], notes: list[str]) -> set[int]:
    """The unexplained peaks that would count as strong but stand within their flanks' counting
    noise (the SNIP background's low bias lifted them over the peak threshold); said in ``notes``."""
    faint = noise_peaks(x, y, background, radiation, peaks, _strong(peaks, unexplained))
    if faint:
        where = ", ".join(f"{peaks[i].two_theta:.2f}°" for i in sorted(faint))
        notes.append(f"unexplained peak(s) at {where} stand fewer than {MIN_SIGNIFICANCE:.0f} standard errors of "
                     "their counts above their flanks: noise, not counted as an unidentified phase")
    return faint


def _underdetermined(phases: list[IndexedPhase]) -> IndexedPhase | None:
    """The second of two phases when it is an HCP (two lattice parameters) matched to only two
    peaks beside a cubic matrix: two peaks fit some HCP lattice whatever they are."""
    if len(phases) != 2 or phases[0].structure not in (Structure.FCC, Structure.BCC):
        return None
    second = phases[1]
    if second.structure is not Structure.HCP or sum(m.peak is not None for m in second.matches) > 2:
        return None
    return second


def _strong(peaks: list, unexplained: list[int]) -> list[int]:
    top = max((p.area for p in peaks), default=1.0) or 1.0
    return [i for i in unexplained if peaks[i].area >= UNEXPLAINED_SHARE * top and peaks[i].snr >= 8]


def _doubtful(done, unexplained: list[int], peaks: list) -> bool:  # noqa: ANN001
    """Whether the phases found leave room for another reading (shifted or not): a named
    phase among them, several phases, or strong peaks unexplained."""
    return (len(done.phases) > 1 or any(isinstance(p.structure, NamedStructure) for p in done.phases)
            or bool(_strong(peaks, unexplained)))


def _better(new, old, peaks: list) -> bool:  # noqa: ANN001
    """Whether reading ``new`` (phases, tube lines, unexplained) explains clearly more of the
    pattern's peak area than ``old`` (2 %), or as much with fewer phases; both must have phases."""
    total = sum(p.area for p in peaks) or 1.0

    def explained(reading) -> float:  # noqa: ANN001
        return 1 - sum(peaks[i].area for i in reading[2]) / total

    gain = explained(new) - explained(old)
    if not new[0].phases or not old[0].phases:
        return False  # no phase (an unindexed structure) is not a matter of the shift
    return gain > 0.02 or (gain > -0.02 and len(new[0].phases) < len(old[0].phases))


def _background(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """SNIP background with a clipping window of 2.5° or 4 peak widths (broad
    nanocrystalline peaks), and the pattern's width (FWHM × cos θ), measured over a 6°
    background that leaves even 2° peaks their tails."""
    wide = y - snip_background(y, background_window(x, 6.0))
    width = pattern_width(x, wide, noise_level(wide))
    degrees = max(2.5, 4.0 * width / float(np.cos(np.radians(np.median(x)) / 2)))
    return snip_background(y, background_window(x, degrees)), width


def _index_shifted(peaks: list, wavelength: float, two_theta_range: tuple[float, float],
                   options: dict) -> tuple[list[IndexedPhase], list[int], Shift, tuple | None]:
    """Indexing with the pattern's zero shift and sample displacement: searched, then refined
    with the phases; the refinement's residual widens the final matching tolerance. A shift
    is kept when its phases explain the pattern clearly better (:data:`SHIFT_GAIN`) than the
    unshifted peaks, or as well and the shift is three standard errors from zero: broad peaks
    leave a shift loosely determined, and a loose shift must not move the lattices. The
    other reading comes last (phases, unexplained peaks, shift): the unshifted one when the
    shift is kept, the shifted one (or None) when it is not."""
    def total(phases: list[IndexedPhase]) -> float:
        return sum(p.score for p in phases)

    options = dict(options)
    scan = options.pop("scan", None)
    plain = index_peaks(peaks, wavelength=wavelength, two_theta_range=two_theta_range, **options)
    shift = search_shift(peaks, wavelength=wavelength, two_theta_range=two_theta_range, starts=options["starts"],
                         scan=scan)
    if not shift.moves:
        found, unexplained = plain
    else:
        found, unexplained = index_peaks(shift.corrected(peaks, wavelength), wavelength=wavelength,
                                         two_theta_range=two_theta_range, **options)
    if found:
        refined = refine_shift(found, peaks, wavelength, shift)
        again, left = index_peaks(refined.corrected(peaks, wavelength), wavelength=wavelength,
                                  two_theta_range=two_theta_range, tolerance=3 * (refined.rms or 0.0), **options)
        if total(again) >= total(found) - 1e-6:
            found, unexplained, shift = again, left, refined
    gain = total(found) - total(plain[0])
    if found and (gain > SHIFT_GAIN or (gain > -1e-6 and _significant(shift))):
        return found, unexplained, shift, (plain[0], plain[1], Shift(scan=scan))
    # the shift is set aside; its reading is kept for :func:`analyse`, which judges it after the
    # named phases (a spurious lattice on the unshifted peaks can outscore it here)
    return plain[0], plain[1], Shift(scan=scan), (found, unexplained, shift) if found and shift.moves else None


def _index_tilted(peaks: list, wavelength: float, two_theta_range: tuple[float, float],
                  options: dict) -> tuple[list[IndexedPhase], list[int], Shift, None]:
    """A tilted scan's indexing (:mod:`.tilt`): no shift, half the typical width as tolerance, the
    cubic reading unless the full one explains clearly more."""
    options = dict(options)
    scan = options.pop("scan", None)
    kw = dict(wavelength=wavelength, two_theta_range=two_theta_range, tolerance=tilt.tolerance(peaks), **options)
    full = index_peaks(peaks, **kw)
    cubic = index_peaks(peaks, structures=tilt.CUBIC, **kw)
    found, unexplained = cubic if tilt.prefer_cubic(full, cubic, peaks) else full
    return list(found), list(unexplained), Shift(scan=scan), None


def _significant(shift: Shift) -> bool:
    """Whether the refined shift at 2θ = 60° is three standard errors from zero."""
    return shift.sigma_60 is not None and abs(float(shift.at(60.0))) > 3 * shift.sigma_60


def _result(pattern: Pattern, key: str | None, peaks, found: list[IndexedPhase], unexplained: list[int],  # noqa: ANN001
            starts, notes: list[str], shift: Shift, lines: dict[int, tuple[int, str]] | None = None,
            unindexed: bool = False, profile: WholeFit | None = None,
            faint: set[int] = frozenset()) -> XrdAnalysis:  # noqa: ANN001
    """The result record; ``profile``: the whole-pattern fit, when it ran, whose zero shift,
    displacement and Kα2 ratio are reported instead of the peaks' refinement; ``faint``: the
    unexplained peaks within their flanks' counting noise (never counted as strong)."""
    top = max((p.area for p in peaks), default=1.0) or 1.0
    owner: dict[int, tuple[int, str]] = dict(lines or {})
    for k, phase in enumerate(found):
        for m in phase.matches:
            if m.peak is not None and m.peak not in owner:
                owner[m.peak] = (k, m.reflection.label)
    rows = tuple(PeakRow(two_theta=round(p.two_theta, 4), d=round(p.d, 5), area=round(p.area, 3),
                         relative=round(100 * p.area / top, 2), fwhm=round(p.fwhm, 4), snr=round(p.snr, 1),
                         phase=owner.get(i, (None, None))[0], hkl=owner.get(i, (None, None))[1])
                 for i, p in enumerate(peaks))
    phases = tuple(PhaseResult(
        structure=p.structure.value, a=round(p.a, 5), a_sigma=_finite(p.a_sigma), c=None if p.c is None else round(p.c, 5),
        c_sigma=_finite(p.c_sigma), vegard_a=round(starts[p.structure].a, 4) if p.structure in starts else None,
        confidence=round(p.confidence, 3), peaks_matched=sum(m.peak is not None for m in p.matches),
        reflections_expected=len(p.matches), rms_two_theta=round(p.rms_two_theta, 4)) for p in found)
    strong = [i for i in _strong(peaks, unexplained) if i not in faint]
    names = [STORE_PHASE.get(p.structure, p.structure) for p in phases]
    for name in dict.fromkeys(n for n in names if names.count(n) > 1):
        lattices = ", ".join(p.lattice for p, n in zip(phases, names) if n == name)
        notes.append(f"two {name} phases ({lattices}): the label names {name} once")
    if strong and (len(strong) >= 2 or any(peaks[i].area >= 0.10 * top for i in strong)):
        names.append("other")
        notes.append(f"{len(strong)} strong peak(s) no lattice explains: an unidentified phase?")
    if not phases:
        outcome = None
        if not unindexed:
            notes.append("no FCC, BCC, HCP, B2 or L12 lattice explains the peaks: choose the label yourself")
    elif len(names) == 1 and names[0] in SOLID_SOLUTIONS:
        outcome = "single"
    else:
        outcome = "multi"
    return XrdAnalysis(
        version=ANALYSIS_VERSION, file=pattern.source, wavelength=pattern.radiation.ka1,
        ka2=pattern.radiation.ka2, radiation=pattern.radiation.label,
        two_theta_range=(round(float(pattern.two_theta[0]), 4), round(float(pattern.two_theta[-1]), 4)),
        composition=key, phases=phases, peaks=rows, unexplained=tuple(unexplained), outcome=outcome,
        proposed_phases=tuple(dict.fromkeys(names)), notes=tuple(notes), unindexed=unindexed,
        **_shift_fields(shift, profile))


def _shift_fields(shift: Shift, profile: WholeFit | None) -> dict:
    """The result's shift fields: the whole-pattern fit's when it ran, else the peaks'."""
    if profile is None:
        return dict(zero_shift=round(shift.zero, 4), zero_shift_sigma=_finite(shift.zero_sigma),
                    displacement=round(shift.displacement, 4), displacement_sigma=_finite(shift.displacement_sigma),
                    shift_source="peaks")
    return dict(zero_shift=round(profile.zero, 4), zero_shift_sigma=_finite(profile.zero_sigma),
                displacement=round(profile.displacement, 4), displacement_sigma=_finite(profile.displacement_sigma),
                ka2_ratio=round(profile.ratio, 3), shift_source="whole-pattern fit")


def _ka2_ratio(radiation: Radiation) -> float | None:
    return radiation.ka2 / radiation.ka1 if radiation.ka2 else None


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 5)
