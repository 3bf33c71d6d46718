"""The pattern readers: two-column text in its dialects, .xrdml, and refusals that name the
file, the line and the fix."""

from __future__ import annotations

import numpy as np
import pytest

from alloyloop.agent.xrd.pattern import ANODES, Radiation
from alloyloop.agent.xrd.readers import PatternFileError, read_pattern, read_pattern_bytes

X = np.round(np.arange(20.0, 30.0, 0.05), 4)
Y = np.round(100 + 50 * np.sin(X), 2)


def _rows(sep: str = " ", comma: bool = False) -> str:
    out = []
    for x, y in zip(X, Y):
        a, b = f"{x:.4f}", f"{y:.2f}"
        if comma:
            a, b = a.replace(".", ","), b.replace(".", ",")
        out.append(f"{a}{sep}{b}")
    return "\n".join(out) + "\n"


def _read(text: str, name: str = "scan.xy", **kw):  # noqa: ANN003, ANN202
    return read_pattern_bytes(text.encode("utf-8"), name, **kw)


def test_point_decimals_with_comments_and_a_header() -> None:
    p = _read("# Sample: CoCrFeMnNi\n# Wavelength: 1.78897\n2Theta Intensity\n" + _rows())
    np.testing.assert_array_equal(p.two_theta, X)
    np.testing.assert_array_equal(p.intensity, Y)
    assert p.radiation.ka1 == ANODES["Co"][0] and p.radiation.ka2 == ANODES["Co"][1]
    assert "from the file" in p.radiation.origin


@pytest.mark.parametrize(("sep", "name"), [(" ", "scan.xy"), ("\t", "scan.txt"), (";", "scan.csv")])
def test_comma_decimals_read_to_the_same_numbers(sep: str, name: str) -> None:
    p = _read("; Bruker export\n" + _rows(sep, comma=True), name)
    np.testing.assert_array_equal(p.two_theta, X)
    np.testing.assert_array_equal(p.intensity, Y)


def test_comma_separated_csv_with_point_decimals() -> None:
    p = _read("two_theta,intensity\n" + _rows(","), "scan.csv")
    np.testing.assert_array_equal(p.two_theta, X)
    assert p.radiation == Radiation()  # Cu Kα with Kα2 by default


def test_extra_columns_are_noted_and_the_given_wavelength_is_used() -> None:
    text = "\n".join(f"{x:.4f} {y:.2f} {np.sqrt(y):.2f}" for x, y in zip(X, Y))
    p = _read(text, "scan.xye", radiation=Radiation.of("Mo"))
    assert p.notes == ("1 column(s) after 2θ and intensity ignored",)
    assert p.radiation.ka1 == ANODES["Mo"][0]


def test_decreasing_two_theta_is_reversed() -> None:
    text = "\n".join(f"{x:.4f} {y:.2f}" for x, y in zip(X[::-1], Y[::-1]))
    p = _read(text)
    np.testing.assert_array_equal(p.two_theta, X)
    assert "reversed" in p.notes[0]


def test_a_truncated_file_names_its_last_line() -> None:
    text = "# scan\n" + _rows() + "30.0500"
    with pytest.raises(PatternFileError) as err:
        _read(text, "cut.xy")
    assert err.value.line == len(X) + 2
    assert str(err.value).startswith(f"cut.xy, line {len(X) + 2}:")
    assert "truncated" in str(err.value)


def test_a_text_cell_names_its_line_and_column() -> None:
    lines = _rows().splitlines()
    lines[10] = "20.5000 n/a"
    with pytest.raises(PatternFileError) as err:
        _read("\n".join(lines), "bad.xy")
    assert err.value.line == 11
    assert "intensity 'n/a' is not a number" in str(err.value)


def test_one_column_in_the_middle_is_a_wrong_column_count() -> None:
    lines = _rows().splitlines()
    lines[5] = "20.2500"
    with pytest.raises(PatternFileError) as err:
        _read("\n".join(lines), "one.xy")
    assert err.value.line == 6 and "two columns" in err.value.fix


def test_mixed_decimal_marks_are_refused_not_guessed() -> None:
    lines = _rows(";").splitlines()
    lines[3] = "20.1500;1.234,5"
    with pytest.raises(PatternFileError) as err:
        _read("\n".join(lines), "mixed.csv")
    assert err.value.line == 4 and "one decimal mark" in err.value.fix


def test_a_comma_separated_file_with_a_third_column() -> None:
    text = "\n".join(f"{x:.4f},{y:.2f},5" for x, y in zip(X, Y))
    p = _read(text, "three.csv")
    np.testing.assert_array_equal(p.intensity, Y)
    assert p.notes == ("1 column(s) after 2θ and intensity ignored",)


def test_two_scans_in_one_file_name_the_line_where_two_theta_goes_back() -> None:
    text = _rows() + _rows()
    with pytest.raises(PatternFileError) as err:
        _read(text, "two.xy")
    assert err.value.line == len(X) + 1 and "increase" in str(err.value)


def test_d_spacings_instead_of_two_theta_are_refused() -> None:
    text = "\n".join(f"{-x:.3f} {y}" for x, y in zip(X[::-1], Y))
    with pytest.raises(PatternFileError, match="outside 0–180"):
        _read(text)


def test_too_few_points_and_binary_files() -> None:
    with pytest.raises(PatternFileError, match="at least 50"):
        _read("20 1\n21 2\n")
    with pytest.raises(PatternFileError, match="binary"):
        read_pattern_bytes(b"\x00\x01\x02", "scan.xy")
    with pytest.raises(PatternFileError, match="not supported"):
        read_pattern_bytes(b"PK\x03\x04", "scan.brml")
    with pytest.raises(PatternFileError, match="not a pattern format"):
        read_pattern_bytes(b"20 1", "scan.pdf")


XRDML = """<?xml version="1.0" encoding="UTF-8"?>
<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5">
  <xrdMeasurement measurementType="Scan" status="Completed">
    <usedWavelength intended="K-Alpha 1">
      <kAlpha1 unit="Angstrom">1.5405980</kAlpha1>
      <kAlpha2 unit="Angstrom">1.5444260</kAlpha2>
      <kBeta unit="Angstrom">1.3922500</kBeta>
      <ratioKAlpha2KAlpha1>0.5000</ratioKAlpha2KAlpha1>
    </usedWavelength>
    <scan appendNumber="0" mode="Continuous" scanAxis="Gonio" status="Completed">
      <dataPoints>
        <positions axis="2Theta" unit="deg">
          <startPosition>20.00</startPosition>
          <endPosition>29.95</endPosition>
        </positions>
        <positions axis="Omega" unit="deg">
          <startPosition>10.00</startPosition>
          <endPosition>14.975</endPosition>
        </positions>
        <commonCountingTime unit="seconds">2.0</commonCountingTime>
        <counts unit="counts">COUNTS</counts>
      </dataPoints>
    </scan>
  </xrdMeasurement>
</xrdMeasurements>
"""


def test_xrdml_positions_counts_and_wavelength(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "scan.xrdml"
    path.write_text(XRDML.replace("COUNTS", " ".join(f"{2 * y:g}" for y in Y)), encoding="utf-8")
    p = read_pattern(path)
    np.testing.assert_allclose(p.two_theta, X, atol=1e-9)
    np.testing.assert_allclose(p.intensity, Y)  # counts / counting time
    assert p.radiation.ka1 == pytest.approx(1.540598) and p.radiation.ka2 == pytest.approx(1.544426)
    assert p.radiation.ratio == 0.5


def test_truncated_xrdml_names_the_line() -> None:
    text = XRDML.replace("COUNTS", " ".join(f"{y:g}" for y in Y))
    cut = text[: text.index("</counts>")]
    with pytest.raises(PatternFileError) as err:
        read_pattern_bytes(cut.encode(), "cut.xrdml")
    assert err.value.line is not None and err.value.line >= 20
    assert "truncated" in str(err.value) and str(err.value).startswith("cut.xrdml, line ")


def test_xrdml_without_counts_for_every_position_or_a_2theta_axis() -> None:
    short = XRDML.replace("COUNTS", "1 2 3")
    with pytest.raises(PatternFileError, match="at least 50"):
        read_pattern_bytes(short.encode(), "short.xrdml")
    no_axis = XRDML.replace('axis="2Theta"', 'axis="Chi"').replace("COUNTS", " ".join("1" for _ in Y))
    with pytest.raises(PatternFileError, match="no 2Theta positions"):
        read_pattern_bytes(no_axis.encode(), "chi.xrdml")


def test_radiation_words() -> None:
    assert Radiation.of("CuKa1").ka2 is None
    assert Radiation.of("co").ka1 == ANODES["Co"][0]
    assert Radiation.of("1,5406").ka1 == 1.5406
    with pytest.raises(ValueError, match="anode"):
        Radiation.of("copper-ish")


@pytest.mark.parametrize(("header", "anode"), [
    ('\'Id: "NbMoTaTiW" Comment: "" Operator: "lab" Anode: "Co" Scantype: "locked coupled"', "Co"),  # Bruker
    ("# ANODE: CO", "Co"),
    ("# Tube: copper, 40 kV 40 mA", "Cu"),
    ("# target = mo", "Mo"),
    ('*HW_XG_TARGET_NAME "Cr"', "Cr"),  # Rigaku, without wavelengths
])
def test_the_anode_is_read_from_any_header_in_any_case(header: str, anode: str) -> None:
    p = _read(header + "\n" + _rows())
    assert (p.radiation.ka1, p.radiation.ka2) == ANODES[anode]
    assert p.radiation.origin.startswith(f"{anode} Kα, from the file header")
    assert "from the file header" in p.radiation.label


def test_a_rigaku_header_gives_both_wavelengths_and_kbeta_is_not_taken() -> None:
    header = "\n".join(['*RAS_HEADER_START', '*HW_XG_TARGET_NAME "Co"', '*HW_XG_WAVE_LENGTH_BETA "1.620830"',
                        '*HW_XG_WAVE_LENGTH_ALPHA1 "1.788996"', '*HW_XG_WAVE_LENGTH_ALPHA2 "1.792835"',
                        '*HW_XG_WAVE_LENGTH_UNIT "Angstrom"', '*RAS_HEADER_END', '*RAS_INT_START'])
    p = _read(header + "\n" + _rows(), "scan.txt")
    assert (p.radiation.ka1, p.radiation.ka2) == (1.788996, 1.792835)
    assert "ALPHA1" in p.radiation.origin
    beta_only = _read("# Wavelength Kbeta 1.39222\n# Wavelength 1.78897\n" + _rows())
    assert beta_only.radiation.ka1 == ANODES["Co"][0]


def test_a_bruker_uxd_header_gives_wavelengths_and_ratio() -> None:
    p = _read("; UXD\n_WL1=0.709300\n_WL2=0.713590\n_WLRATIO=0.500000\n" + _rows())
    assert (p.radiation.ka1, p.radiation.ka2, p.radiation.ratio) == (0.7093, 0.71359, 0.5)


def test_where_the_wavelength_came_from() -> None:
    default = _read(_rows())
    assert default.radiation.origin == "default Cu Kα (the file states no wavelength)"
    given = _read("# Anode: Co\n" + _rows(), radiation=Radiation.of("Cu", "given with --wavelength"))
    assert given.radiation.ka1 == ANODES["Cu"][0] and given.radiation.origin == "Cu Kα, given with --wavelength"
    assert any("the file states λ 1.78900 Å" in n for n in given.notes)


def test_comma_and_space_separated_csv_as_nist_writes_it() -> None:
    text = "2theta, intensity\n" + "\n".join(f"  {x:.5f}, {y:.5f}" for x, y in zip(X, Y))
    p = _read(text, "srm.csv")
    np.testing.assert_allclose(p.two_theta, X)
    np.testing.assert_allclose(p.intensity, Y)
    # and the European dialect is still read as decimal commas
    euro = _read(_rows(" ", comma=True), "euro.xy")
    np.testing.assert_array_equal(euro.two_theta, X)


def test_xrdml_anode_without_used_wavelength() -> None:
    text = (XRDML.replace("COUNTS", " ".join(f"{y:g}" for y in Y))
            .replace('<usedWavelength intended="K-Alpha 1">', "<xRayTube><anodeMaterial>Co</anodeMaterial></xRayTube><x>")
            .replace("</usedWavelength>", "</x>"))
    p = read_pattern_bytes(text.encode(), "co.xrdml")
    assert p.radiation.ka1 == ANODES["Co"][0] and "from the file header" in p.radiation.origin
