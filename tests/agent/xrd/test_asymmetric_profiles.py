"""Asymmetric lab profiles are one peak and one phase (#29, real scans).

A Bragg–Brentano diffractometer's reflections carry a low-angle tail (axial divergence). On a
PANalytical duplex-steel scan the peak fit split each strong reflection into the peak and a
weaker, broader component 0.07° below it ("strong peaks no lattice explains"), and on a single
FCC the whole-pattern fit added a second FCC 0.02 % off the first to model the tail ("multi").
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from alloyloop.agent.xrd.analysis import analyse
from alloyloop.agent.xrd.peaks import Peak, _tails_merged

FE_NI = {"Fe": 0.7, "Ni": 0.3}


def _peak(two_theta: float, area: float, fwhm: float) -> Peak:
    return Peak(two_theta=two_theta, d=1.0, height=area / fwhm, area=area, fwhm=fwhm, snr=100.0)


def test_a_weaker_broader_component_beside_a_peak_is_its_tail() -> None:
    # the shape the fit gave on the NIST PANalytical control scan's BCC (110): 44.521° + 44.453°
    main, tail = _peak(44.5213, 7.698, 0.1059), _peak(44.453, 1.675, 0.1505)
    merged = _tails_merged([main, tail])
    assert len(merged) == 1
    assert merged[0].two_theta == main.two_theta and merged[0].area == pytest.approx(7.698 + 1.675)


@pytest.mark.parametrize(("other", "why"), [
    ((44.453, 4.0, 0.1505), "as strong as half the peak: a second reflection"),
    ((44.453, 1.675, 0.09), "narrower than the peak: not a tail"),
    ((44.30, 1.675, 0.1505), "two widths away: resolved"),
])
def test_a_neighbour_that_is_not_a_tail_is_kept(other: tuple[float, float, float], why: str) -> None:
    assert len(_tails_merged([_peak(44.5213, 7.698, 0.1059), _peak(*other)])) == 2, why


def _with_tail(effects, kind: str, a: float, seed: int, share: float = 0.25, offset: float = -0.07):  # noqa: ANN001, ANN202
    main = effects([(kind, a, None, 1.0)], fwhm=0.1, counts=20000, seed=seed)
    tail = effects([(kind, a, None, 1.0)], fwhm=0.15, zero=offset, counts=20000 * share / 1.5, background=0.0,
                   seed=seed + 100)
    return replace(main, intensity=main.intensity + tail.intensity)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("share", "offset"), [(0.25, -0.07), (0.3, -0.09)])
def test_a_single_fcc_with_an_asymmetric_profile_stays_single(effects, seed: int, share: float,  # noqa: ANN001
                                                              offset: float) -> None:
    """Was 'multi: FCC (a = 3.5903 Å) + FCC (a = 3.5910 Å)', the second found by the
    whole-pattern fit (F = 86) on the tail the symmetric pseudo-Voigts miss."""
    result = analyse(_with_tail(effects, "FCC", 3.59, seed, share, offset), FE_NI)
    assert (result.outcome, result.proposed_phases) == ("single", ("FCC",)), result.summary
    assert result.phases[0].a == pytest.approx(3.59, abs=0.003)
