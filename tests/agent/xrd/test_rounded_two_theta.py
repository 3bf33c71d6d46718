"""A 2θ column written to too few decimals is given back its steps (#29, real scans).

NIST's APS scan (λ 0.1432 Å) writes its 0.0091° steps to three decimals (1.959, 1.968, 1.977,
1.986, 1.995, 2.005: steps of 0.009 and 0.010). Read as written, the rounding moved the 0.03°
wide peaks' points by up to a sixth of their width and the steel came out BCC + FCC + a second
BCC 0.4 % larger; read on the column's own smooth steps it is BCC + FCC. (The drawn steel below
is FCC + BCC either way: it guards the evened reading, the real scan stays outside the
repository.)"""

from __future__ import annotations

import numpy as np
import pytest

from alloyloop.agent.xrd.analysis import analyse
from alloyloop.agent.xrd.pattern import Radiation
from alloyloop.agent.xrd.readers import read_pattern_bytes

from tests.agent.xrd.test_short_wavelengths import _steel


def _written(x: np.ndarray, y: np.ndarray, decimals: int) -> bytes:
    return ("#x\ty_obs\n" + "".join(f"{round(a, decimals):.{decimals}f}\t{b:.1f}\n" for a, b in zip(x, y))).encode()


def test_a_rounded_smooth_column_is_evened_within_its_last_digit() -> None:
    i = np.arange(1000.0)
    true = 1.959 + 0.00913 * i + 2e-8 * i * i
    pattern = read_pattern_bytes(_written(true, np.full_like(true, 50.0), 3), "S7.txt")
    assert np.max(np.abs(pattern.two_theta - true)) < 2e-4
    assert any("evened" in n for n in pattern.notes)


@pytest.mark.parametrize("decimals", [2, 4])
def test_an_even_column_is_left_as_written(decimals: int) -> None:
    x = 20.0 + 0.02 * np.arange(500.0)
    pattern = read_pattern_bytes(_written(x, np.full_like(x, 50.0), decimals), "lab.xy")
    assert np.allclose(pattern.two_theta, np.round(x, decimals)) and not any("evened" in n for n in pattern.notes)


def test_irregular_positions_are_not_smoothed() -> None:
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.uniform(0.005, 0.015, 800)) + 2.0
    pattern = read_pattern_bytes(_written(x, np.full_like(x, 50.0), 3), "odd.xy")
    assert np.allclose(pattern.two_theta, np.round(x, 3)) and not any("evened" in n for n in pattern.notes)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_synchrotron_steel_written_to_three_decimals_is_fcc_plus_bcc(seed: int) -> None:
    scan = _steel(0.1432, None, 1.959, 11.11, 0.00913, 0.03, seed)
    data = _written(scan.two_theta, scan.intensity, 3)
    pattern = read_pattern_bytes(data, "S7.txt", radiation=Radiation.of("0.1432"))
    result = analyse(pattern, {"Fe": 0.7, "Cr": 0.2, "Ni": 0.1})
    assert (result.outcome, sorted(p.structure for p in result.phases)) == ("multi", ["BCC", "FCC"]), result.summary
