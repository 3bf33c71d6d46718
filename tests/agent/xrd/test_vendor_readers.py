"""Rigaku .ras, Bruker .uxd and Fit2D .chi files, written here in their formats (the layouts of
public readers and exports: ``*KEY "value"`` headers and angle / counts / attenuator lines;
``_KEY=value`` ranges with ``_COUNTS`` or ``_2THETACOUNTS``; title, axis labels, point count),
read to the numbers they hold, their wavelength, their tilt, and refused with the value and
the fix when they are not powder patterns or are cut short."""

from __future__ import annotations

import numpy as np
import pytest

from alloyloop.agent.xrd.analysis import analyse
from alloyloop.agent.xrd.pattern import ANODES, Radiation
from alloyloop.agent.xrd.readers import SUFFIXES, PatternFileError, read_pattern, read_pattern_bytes
from alloyloop.agent.xrd.synthetic import Conditions, bcc_alcrfe, simulate

X = np.round(np.arange(20.0, 30.0, 0.05), 4)
COUNTS = np.round(300 + 200 * np.sin(X) ** 2).astype(int)


def _read(text: str, name: str, **kw):  # noqa: ANN003, ANN202
    return read_pattern_bytes(text.encode("utf-8"), name, **kw)


def _ras(rows: list[str], *, axis: str = "TwoThetaTheta", count: int | None = None, extra: str = "") -> str:
    header = ["*RAS_DATA_START", "*RAS_HEADER_START", '*FILE_SAMPLE "CoCrFeNi"', '*HW_XG_TARGET_NAME "Co"',
              '*HW_XG_WAVE_LENGTH_ALPHA1 "1.788996"', '*HW_XG_WAVE_LENGTH_ALPHA2 "1.792835"',
              '*HW_XG_WAVE_LENGTH_BETA "1.620830"', '*MEAS_COND_AXIS_NAME-0 "TwoTheta"',
              '*MEAS_COND_AXIS_POSITION-0 "20.0000"', f'*MEAS_DATA_COUNT "{len(rows) if count is None else count}"',
              f'*MEAS_SCAN_AXIS_X "{axis}"', '*MEAS_SCAN_UNIT_X "deg"', '*MEAS_SCAN_UNIT_Y "counts"', *extra.splitlines(),
              "*RAS_HEADER_END", "*RAS_INT_START"]
    return "\r\n".join(header + rows + ["*RAS_INT_END", "*RAS_DATA_END"]) + "\r\n"


def _ras_rows(factors: np.ndarray | None = None) -> list[str]:
    f = np.ones(len(X)) if factors is None else factors
    return [f"{x:.4f} {c:.4f} {a:.4f}" for x, c, a in zip(X, COUNTS, f)]


def test_every_format_the_readers_take_is_listed() -> None:
    assert {".ras", ".uxd", ".chi", ".xrdml", ".xy"} <= set(SUFFIXES)


def test_ras_counts_are_multiplied_by_the_attenuator_factor_and_the_wavelength_is_the_header_s() -> None:
    factors = np.where(COUNTS > 450, 11.23, 1.0)
    p = _read(_ras(_ras_rows(factors)), "scan.ras")
    np.testing.assert_array_equal(p.two_theta, X)
    np.testing.assert_allclose(p.intensity, COUNTS * factors)
    assert (p.radiation.ka1, p.radiation.ka2) == ANODES["Co"]
    assert "HW_XG_WAVE_LENGTH_ALPHA1" in p.radiation.origin
    assert any(f"attenuator in the beam at {int(np.sum(factors != 1))} point(s)" in n for n in p.notes)
    assert p.tilt is None


def test_ras_chi_position_is_the_tilt_and_a_ka1_monochromator_drops_ka2() -> None:
    extra = '*MEAS_COND_AXIS_NAME-5 "Chi"\n*MEAS_COND_AXIS_POSITION-5 "45.0000"\n*MEAS_COND_XG_WAVE_TYPE "Ka1"'
    p = _read(_ras(_ras_rows(), extra=extra), "tilted.ras")
    assert p.tilt == 45.0 and "sample tilted χ 45° (file header)" in p.notes
    assert p.radiation.ka1 == ANODES["Co"][0] and p.radiation.ka2 is None


def test_ras_rocking_curve_truncation_and_a_bad_attenuator_are_refused() -> None:
    with pytest.raises(PatternFileError, match="scan axis is 'Omega', not 2θ.*give a 2θ/θ or 2θ/ω scan"):
        _read(_ras(_ras_rows(), axis="Omega"), "rock.ras")
    with pytest.raises(PatternFileError, match=f"says {len(X) + 10} points, the scan holds {len(X)}.*truncated"):
        _read(_ras(_ras_rows(), count=len(X) + 10), "cut.ras")
    rows = _ras_rows()
    rows[3] = rows[3].rsplit(" ", 1)[0] + " 0.0000"
    with pytest.raises(PatternFileError) as err:
        _read(_ras(rows), "att.ras")
    assert "attenuator factor '0.0000' is not positive" in str(err.value) and err.value.line == 19  # 15 header lines, the fourth point
    with pytest.raises(PatternFileError, match="no \\*RAS_HEADER_START"):
        _read("20.0 100 1\n" * 60, "plain.ras")


def _uxd(data: list[str], *, marker: str, drive: str = "COUPLED", extra: str = "", more: str = "") -> str:
    lines = ["; (Data for Range number 1)", "_FILEVERSION=1", "_SAMPLE='CoCrFeMnNi'", "_WL1=1.540600", "_WL2=1.544390",
             "_WLRATIO=0.500000", "_ANODE=Cu", f"_DRIVE='{drive}'", "_STEPTIME=1.000000", "_STEPSIZE=0.050000",
             "_START=20.000000", *extra.splitlines(), marker, *data, *more.splitlines()]
    return "\n".join(lines) + "\n"


def test_uxd_counts_and_two_theta_counts_read_to_the_same_pattern() -> None:
    rows = ["  ".join(str(c) for c in COUNTS[i:i + 8]) for i in range(0, len(COUNTS), 8)]
    implied = _read(_uxd(rows, marker="_COUNTS", extra="_KHI=30.000000"), "a.uxd")
    paired = _read(_uxd([f"{x:.4f}  {c}" for x, c in zip(X, COUNTS)], marker="_2THETACOUNTS"), "b.uxd")
    np.testing.assert_allclose(implied.two_theta, X)
    np.testing.assert_allclose(paired.two_theta, X)
    np.testing.assert_array_equal(implied.intensity, paired.intensity)
    assert implied.radiation.ka1 == 1.5406 and implied.radiation.ka2 == 1.54439  # as the file states them
    assert "_WL1=1.540600" in implied.radiation.origin
    assert implied.tilt == 30.0 and paired.tilt is None


def test_uxd_second_range_is_left_and_rocking_curves_and_missing_steps_are_refused() -> None:
    rows = [f"{x:.4f}  {c}" for x, c in zip(X, COUNTS)]
    second = "_DRIVE='COUPLED'\n_START=40.0\n_2THETACOUNTS\n40.0 10\n40.05 12"
    p = _read(_uxd(rows, marker="_2THETACOUNTS", more=second), "two.uxd")
    assert len(p.two_theta) == len(X) and "2 ranges in the file: the first is read" in p.notes
    with pytest.raises(PatternFileError, match="_DRIVE='THETA'.*not 2θ"):
        _read(_uxd(rows, marker="_2THETACOUNTS", drive="THETA"), "rock.uxd")
    text = _uxd([" ".join(map(str, COUNTS))], marker="_CPS").replace("_STEPSIZE=0.050000\n", "")
    with pytest.raises(PatternFileError, match="_CPS data without _STEPSIZE"):
        _read(text, "nostep.uxd")
    with pytest.raises(PatternFileError, match="no _COUNTS, _CPS"):
        _read("_WL1=1.5406\n", "empty.uxd")


def _chi(x: np.ndarray, y: np.ndarray, label: str = "2-Theta Angle (Degrees)", count: int | None = None,
         title: str = "LaB6_0003.mar3450: Azimuth/2-theta") -> str:
    rows = [f"  {a:.6E}  {b:.6E}" for a, b in zip(x, y)]
    return "\n".join([title, label, "Intensity", f"{len(x) if count is None else count:>12}", *rows]) + "\n"


def test_chi_needs_a_wavelength_and_reads_two_theta_q_and_d_alike() -> None:
    lam = 0.1432
    tt = np.linspace(2.0, 11.0, 400)
    y = 100 + 50 * np.cos(tt)
    with pytest.raises(PatternFileError, match="states no wavelength.*--wavelength"):
        _read(_chi(tt, y), "s.chi")
    given = Radiation.of(str(lam), "given")
    plain = _read(_chi(tt, y), "s.chi", radiation=given)
    np.testing.assert_allclose(plain.two_theta, tt, rtol=1e-6)  # written to 7 digits
    q_nm = 4 * np.pi / (lam / 10) * np.sin(np.radians(tt / 2))
    from_q = _read(_chi(q_nm, y, "Q (Inverse Nanometres)"), "q.chi", radiation=given)
    d = lam / (2 * np.sin(np.radians(tt / 2)))
    from_d = _read(_chi(d[::-1], y[::-1], "D-spacing (Angstroms)"), "d.chi", radiation=given)
    np.testing.assert_allclose(from_q.two_theta, tt, rtol=1e-6)
    np.testing.assert_allclose(from_d.two_theta, tt, rtol=1e-6)
    np.testing.assert_allclose(from_d.intensity, y, rtol=1e-6)  # reversed: d falls as 2θ rises
    titled = _read(_chi(tt, y, title="ceria wavelength 0.1432 A"), "t.chi")
    assert titled.radiation.ka1 == pytest.approx(lam)


def test_chi_truncation_and_a_radial_axis_are_refused() -> None:
    tt = np.linspace(2.0, 11.0, 100)
    given = Radiation.of("0.1432", "given")
    with pytest.raises(PatternFileError, match="line 4 says 120 points, the file holds 100"):
        _read(_chi(tt, tt, count=120), "cut.chi", radiation=given)
    with pytest.raises(PatternFileError, match="'Radial Distance \\(mm\\)', not 2θ, Q or d"):
        _read(_chi(tt, tt, "Radial Distance (mm)"), "r.chi", radiation=given)


def test_a_ras_scan_with_attenuated_peaks_is_analysed_like_the_pattern_it_holds(tmp_path) -> None:  # noqa: ANN001
    pattern = simulate([bcc_alcrfe(2.88, 1.0)], Conditions(lo=30, hi=100, step=0.02, peak_counts=60000, seed=4))
    counts = pattern.intensity
    factors = np.where(counts > 8000, 10.0, 1.0)  # the attenuator goes in at the strong peaks
    rows = [f"{x:.4f} {c / f:.4f} {f:.4f}" for x, c, f in zip(pattern.two_theta, counts, factors)]
    path = tmp_path / "bcc.ras"
    path.write_text(_ras(rows).replace("Co", "Cu").replace("1.788996", "1.540593").replace("1.792835", "1.544414"),
                    encoding="utf-8")
    read = read_pattern(path)
    np.testing.assert_allclose(read.intensity, counts, rtol=1e-6)
    result = analyse(read)
    assert result.outcome == "single" and [p.structure for p in result.phases] == ["BCC"]
    assert result.phases[0].a == pytest.approx(2.88, abs=0.003)
