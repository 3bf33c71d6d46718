"""Kα2 or not (#28 item 9): the pattern decides whether its reflections carry a Kα2 twin
before it is stripped, so a monochromated or already-stripped scan is not given ghost phases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from alloyloop.agent.xrd.analysis import analyse
from alloyloop.agent.xrd.pattern import ANODES, Pattern, Radiation
from alloyloop.agent.xrd.profile import pseudo_voigt

CANTOR = {"Co": .2, "Cr": .2, "Fe": .2, "Mn": .2, "Ni": .2}


def _pymatgen_fcc(*, doublet: bool, fwhm: float = 0.1, seed: int = 0) -> Pattern:
    """An FCC pattern from pymatgen's ``XRDCalculator`` (one line at Cu Kα's mean wavelength,
    no doublet), optionally with the Kα1/Kα2 twins drawn in, read as a file stating Cu Kα."""
    from pymatgen.analysis.diffraction.xrd import XRDCalculator
    from pymatgen.core import Lattice, Structure

    cell = Structure.from_spacegroup("Fm-3m", Lattice.cubic(3.59), [CANTOR], [[0, 0, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sticks = XRDCalculator("CuKa1" if doublet else "CuKa").get_pattern(cell, two_theta_range=(20, 100))
    x = np.arange(20, 100, 0.02)
    y = np.zeros_like(x)
    a1, a2 = ANODES["Cu"]
    for t, i in zip(sticks.x, sticks.y):
        y += i * pseudo_voigt(x, t, fwhm, 0.5)
        if doublet:
            t2 = np.degrees(2 * np.arcsin(np.sin(np.radians(t / 2)) * a2 / a1))
            y += 0.5 * i * pseudo_voigt(x, t2, fwhm, 0.5)
    counts = np.random.default_rng(seed).poisson(50 * y / y.max() * 100 + 150).astype(float)
    return Pattern(x, counts, Radiation(), "pymatgen")


@pytest.mark.parametrize("seed", [0, 1])
def test_pymatgen_cuka_fcc_without_a_doublet_is_single_fcc(seed: int) -> None:
    result = analyse(_pymatgen_fcc(doublet=False, seed=seed), CANTOR)
    assert (result.outcome, result.proposed_phases) == ("single", ("FCC",)), result.summary
    (phase,) = result.phases
    assert phase.a == pytest.approx(3.59, abs=0.01)
    assert result.ka2 is None and any("no Kα2 doublet" in n for n in result.notes)


def test_the_same_fcc_with_its_doublet_is_single_fcc_and_keeps_ka2() -> None:
    result = analyse(_pymatgen_fcc(doublet=True), CANTOR)
    assert (result.outcome, result.proposed_phases) == ("single", ("FCC",)), result.summary
    assert result.phases[0].a == pytest.approx(3.59, abs=0.005)
    assert result.ka2 == pytest.approx(ANODES["Cu"][1])


def test_a_duplicate_structure_is_never_proposed_twice() -> None:
    """Two FCC lattices 1 % apart are two phases (multi), but the label names FCC once."""
    from alloyloop.agent.xrd.synthetic import Conditions, fcc_cantor, simulate

    result = analyse(simulate([fcc_cantor(3.59, 0.6), fcc_cantor(3.55, 0.4)], Conditions(seed=11, fwhm=0.08)),
                     CANTOR)
    assert [p.structure for p in result.phases] == ["FCC", "FCC"], result.summary
    assert result.outcome == "multi" and result.proposed_phases == ("FCC",)
    assert any("two FCC phases" in n for n in result.notes)


def test_ghost_lattices_of_a_wrongly_stripped_scan_are_not_new_phases() -> None:
    """The safety net behind the decision: strip a doublet that is not there (as the analysis
    did before #28) and the Kα2 ghosts index as FCC lattices 0.5 % and 1 % smaller; with the
    tube's λ₂/λ₁ they are recognised as the first FCC seen again."""
    from alloyloop.agent.xrd.indexing import index_peaks
    from alloyloop.agent.xrd.peaks import find_pattern_peaks
    from alloyloop.agent.xrd.profile import background_window, snip_background, strip_ka2

    pattern = _pymatgen_fcc(doublet=False)
    x, y = pattern.two_theta, pattern.intensity
    net = strip_ka2(x, y - snip_background(y, background_window(x)), Radiation())
    search = find_pattern_peaks(x, net, ANODES["Cu"][0])
    options = dict(wavelength=ANODES["Cu"][0], two_theta_range=(20.0, 100.0), noise=float(np.median(search.noise)))
    naive, _ = index_peaks(search.peaks, **options)
    assert [p.structure.value for p in naive].count("FCC") >= 2  # the defect this guards against
    merged, _ = index_peaks(search.peaks, **options, ka2_ratio=ANODES["Cu"][1] / ANODES["Cu"][0])
    assert [p.structure.value for p in merged].count("FCC") == 1
