"""Instrument text formats with their own layout: Rigaku ``.ras``, Bruker ``.uxd``, Fit2D ``.chi``.

Each is read for what its header says, not guessed from the columns:

- **Rigaku** ``.ras`` (SmartLab, MiniFlex, Ultima): ``*KEY "value"`` header lines between
  ``*RAS_HEADER_START`` / ``*RAS_HEADER_END``, then ``angle counts attenuator`` lines between
  ``*RAS_INT_START`` / ``*RAS_INT_END``. The third column is the attenuator factor in the beam at
  that point (1 without one; 11.2 at a strong peak): the intensity is counts × factor, else the
  strongest peaks come out an order of magnitude too weak. The scan axis
  (``*MEAS_SCAN_AXIS_X``) must be a 2θ axis; the wavelength is ``*HW_XG_WAVE_LENGTH_ALPHA1`` /
  ``ALPHA2`` or ``*HW_XG_TARGET_NAME``; ``*MEAS_COND_XG_WAVE_TYPE "Ka1"`` (a Kα1 monochromator)
  drops Kα2; a ``Chi`` / ``Psi`` axis position (``*MEAS_COND_AXIS_NAME-n`` /
  ``*MEAS_COND_AXIS_POSITION-n``) is the sample tilt.
- **Bruker** ``.uxd`` (DIFFRAC-AT / EVA text export): ``_KEY=value`` lines, ``;`` comments; each
  range ends with its data under ``_COUNTS`` / ``_CPS`` (intensities only, 2θ from ``_START``
  (or ``_2THETA``) and ``_STEPSIZE``) or ``_2THETACOUNTS`` / ``_2THETACPS`` (2θ, intensity pairs).
  The ``_DRIVE`` must move 2θ (``COUPLED``, ``2THETA``; not a ``THETA`` or ``OMEGA`` rocking
  curve, whatever the marker says); wavelength ``_WL1`` / ``_WL2`` / ``_WLRATIO`` or
  ``_ANODE``; tilt ``_KHI`` / ``_CHI`` / ``_PSI``. The first range is read.
- **Fit2D** ``.chi`` (an area detector's integration): a title line, the x axis label, the y
  label, the number of points, then the points. The x axis is ``2-Theta Angle (Degrees)``,
  ``Q (Inverse Nanometres)`` (or Å⁻¹) or ``D-spacing (Angstroms)`` — Q and d are turned into
  2θ at the wavelength; a radial distance in mm cannot be. The file states no wavelength
  (unless its title does), and a 2θ axis means nothing without one: it must be given.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from alloyloop.agent.xrd.headers import header_radiation
from alloyloop.agent.xrd.pattern import Pattern, Radiation
from alloyloop.agent.xrd.readers import PatternFileError, _chosen_radiation, _pattern

SUFFIXES = (".ras", ".uxd", ".chi")
TILT_AXES = ("chi", "khi", "psi")
"""Goniometer axes whose position tilts the sample out of the diffraction plane."""


def read_vendor(text: str, name: str, suffix: str, *, radiation: Radiation | None = None) -> Pattern:
    """The pattern of a ``.ras``, ``.uxd`` or ``.chi`` file's text."""
    reader = {".ras": read_ras, ".uxd": read_uxd, ".chi": read_chi}[suffix]
    return reader(text, name, radiation=radiation)


def _float(value: str, name: str, what: str, line: int, fix: str) -> float:
    try:
        return float(value.strip().strip('"\'').replace(",", "."))
    except ValueError:
        raise PatternFileError(name, f"{what} {value.strip()[:40]!r} is not a number", fix, line) from None


def _is_two_theta(axis: str) -> bool:
    word = re.sub(r"[^a-z0-9]", "", axis.lower())
    return "2theta" in word or "twotheta" in word or word == "coupled"


def _tilted(pattern: Pattern, tilt: tuple[str, float] | None) -> Pattern:
    """``pattern`` with the tilt (axis symbol, degrees) its header states, and a note."""
    if tilt is None or abs(tilt[1]) < 1e-9:
        return pattern
    axis, value = tilt
    return replace(pattern, tilt=value, notes=pattern.notes + (f"sample tilted {axis} {value:g}° (file header)",))


def _symbol(axis: str) -> str:
    return "ψ" if axis.lower() == "psi" else "χ"


# --- Rigaku .ras -------------------------------------------------------------------------------

_RAS_KEY = re.compile(r'^\*([A-Z0-9_\-]+)\s*(?:"(.*)"|(\S.*))?\s*$', re.IGNORECASE)


def read_ras(text: str, name: str, *, radiation: Radiation | None = None) -> Pattern:
    """A Rigaku ``.ras`` file: its first scan, counts × attenuator factor."""
    header, header_lines, rows, scans = _ras_blocks(text.splitlines())
    if scans == 0 or not rows:
        raise PatternFileError(name, "no *RAS_HEADER_START … *RAS_INT_START … *RAS_INT_END blocks",
                               "the file is not a Rigaku .ras export (or is truncated): export the scan again "
                               "as .ras, or as two-column .xy")
    axis = header.get("MEAS_SCAN_AXIS_X", "")
    if axis and not _is_two_theta(axis):
        raise PatternFileError(name, f"the scan axis is {axis!r}, not 2θ (a rocking curve, pole figure or "
                               "reflectivity scan)", "give a 2θ/θ or 2θ/ω scan: a powder pattern")
    unit = header.get("MEAS_SCAN_UNIT_X", "deg")
    if unit and unit.lower() not in ("deg", "degree", "degrees"):
        raise PatternFileError(name, f"the scan axis unit is {unit!r}", "export the scan with 2θ in degrees")
    x, y, f = _ras_values(rows, name)
    count = header.get("MEAS_DATA_COUNT")
    if count:
        stated = int(_float(count, name, "*MEAS_DATA_COUNT", 0, "export the scan again"))
        if stated != len(x):
            raise PatternFileError(name, f"*MEAS_DATA_COUNT says {stated} points, the scan holds {len(x)}",
                                   "the file looks truncated: export the scan again")
    notes: tuple[str, ...] = ()
    if np.any(f != 1.0):
        notes += (f"attenuator in the beam at {int(np.sum(f != 1.0))} point(s) (factor up to {f.max():g}): "
                  "counts multiplied by it",)
    if scans > 1:
        notes += (f"{scans} scans in the file: the first is read",)
    stated = header_radiation(header_lines)
    if stated is not None and header.get("MEAS_COND_XG_WAVE_TYPE", "").lower().replace("α", "a") == "ka1":
        stated = Radiation(stated.ka1, None, 0.0, stated.origin + "; Kα1 only (*MEAS_COND_XG_WAVE_TYPE)")
    chosen, said = _chosen_radiation(radiation, stated)
    pattern = _pattern(x, y * f, name, chosen, notes + said)
    return _tilted(pattern, _ras_tilt(header))


def _ras_blocks(lines: list[str]) -> tuple[dict[str, str], list[str], list[tuple[int, list[str]]], int]:
    """The first scan's header (key → value, and its lines), its data rows (line number,
    tokens) and how many scans the file holds."""
    header: dict[str, str] = {}
    header_lines: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    scans, state = 0, "out"
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        upper = line.upper()
        if upper == "*RAS_HEADER_START":
            scans += 1
            state = "header" if scans == 1 else "skip"
        elif upper == "*RAS_HEADER_END":
            state = "out" if state == "header" else state
        elif upper == "*RAS_INT_START":
            state = "data" if scans <= 1 else "skip"
        elif upper == "*RAS_INT_END":
            state = "out" if state == "data" else state
        elif state == "header" and line.startswith("*"):
            m = _RAS_KEY.match(line)
            if m:
                header[m.group(1).upper()] = (m.group(2) if m.group(2) is not None else m.group(3) or "").strip()
                header_lines.append(line)
        elif state == "data" and line:
            rows.append((number, line.split()))
    return header, header_lines, rows, scans


def _ras_values(rows: list[tuple[int, list[str]]], name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2θ, counts and attenuator factors of the data rows (a factor must be positive)."""
    fix = "each line between *RAS_INT_START and *RAS_INT_END holds 2θ, counts and the attenuator factor"
    x, y, factors = [], [], []
    for number, tokens in rows:
        if len(tokens) < 2:
            raise PatternFileError(name, f"the line has one value ({' '.join(tokens)[:40]!r})", fix, number)
        x.append(_float(tokens[0], name, "2θ", number, fix))
        y.append(_float(tokens[1], name, "intensity", number, fix))
        factor = _float(tokens[2], name, "attenuator factor", number, fix) if len(tokens) > 2 else 1.0
        if not factor > 0:
            raise PatternFileError(name, f"attenuator factor {tokens[2]!r} is not positive",
                                   "the third column multiplies the counts (1 without an attenuator): "
                                   "export the scan again", number)
        factors.append(factor)
    return np.array(x), np.array(y), np.array(factors)


def _ras_tilt(header: dict[str, str]) -> tuple[str, float] | None:
    """The position of the Chi (or Psi) axis the measurement conditions list: (symbol, degrees)."""
    for key, value in header.items():
        m = re.fullmatch(r"MEAS_COND_AXIS_NAME(?:_INTERNAL)?-(\d+)", key)
        if m and value.strip().lower() in TILT_AXES:
            position = header.get(f"MEAS_COND_AXIS_POSITION-{m.group(1)}", "")
            try:
                return _symbol(value.strip()), float(position)
            except ValueError:
                return None  # a position the file leaves empty or symbolic: not a stated tilt
    return None


# --- Bruker .uxd -------------------------------------------------------------------------------

_UXD_KEY = re.compile(r"^_([A-Z0-9]+)\s*=\s*(.*)$", re.IGNORECASE)
_UXD_MARKERS = ("COUNTS", "CPS", "2THETACOUNTS", "2THETACPS")


def read_uxd(text: str, name: str, *, radiation: Radiation | None = None) -> Pattern:
    """A Bruker ``.uxd`` file: its first range."""
    keys, header_lines, marker, values, ranges = _uxd_sections(text.splitlines(), name)
    if marker is None:
        raise PatternFileError(name, "no _COUNTS, _CPS, _2THETACOUNTS or _2THETACPS data marker",
                               "the file is not a Bruker .uxd export (or is truncated): export the scan again")
    drive = keys.get("DRIVE", ("COUPLED", 0))[0]
    if not _is_two_theta(drive):
        raise PatternFileError(name, f"_DRIVE={drive!r}: the scan moves {drive}, not 2θ (a rocking curve or pole "
                               "figure)", "give a coupled 2θ/θ scan: a powder pattern", keys["DRIVE"][1])
    fix = "the data lines hold numbers only"
    numbers = [_float(t, name, "value", n, fix) for n, t in values]
    if marker.startswith("2THETA"):
        if len(numbers) % 2:
            raise PatternFileError(name, f"{len(numbers)} values under _{marker}: 2θ, intensity pairs expected",
                                   "the file looks truncated: export the scan again", values[-1][0])
        x, y = np.array(numbers[0::2]), np.array(numbers[1::2])
    else:
        start = keys.get("START") or keys.get("2THETA")
        step = keys.get("STEPSIZE")
        for key, found in (("_START (or _2THETA)", start), ("_STEPSIZE", step)):
            if found is None:
                raise PatternFileError(name, f"_{marker} data without {key}", "the range header must state where "
                                       "the scan starts and its step: export the scan again")
        x0 = _float(start[0], name, "_START", start[1], "write the start 2θ in degrees")
        dx = _float(step[0], name, "_STEPSIZE", step[1], "write the step in degrees")
        if not dx > 0:
            raise PatternFileError(name, f"_STEPSIZE={step[0]!r} is not positive", "write the step in degrees",
                                   step[1])
        y = np.array(numbers)
        x = x0 + dx * np.arange(len(y))
    notes = (f"{ranges} ranges in the file: the first is read",) if ranges > 1 else ()
    chosen, said = _chosen_radiation(radiation, header_radiation(header_lines))
    pattern = _pattern(x, y, name, chosen, notes + said)
    key = next((k for k in ("KHI", "CHI", "PSI") if k in keys), None)
    if key is None:
        return pattern
    value, line = keys[key]
    return _tilted(pattern, (_symbol(key), _float(value, name, f"_{key}", line, "write the tilt in degrees")))


def _uxd_sections(lines: list[str], name: str):  # noqa: ANN202 - (keys, header lines, marker, values, ranges)
    """The file's and first range's ``_KEY=value`` entries (value, line), their lines, the first
    range's data marker and values (line, token), and how many ranges the file holds."""
    keys: dict[str, tuple[str, int]] = {}
    header_lines: list[str] = []
    marker: str | None = None
    values: list[tuple[int, str]] = []
    ranges = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("_"):
            word = line[1:].split("=")[0].strip().upper()
            if word in _UXD_MARKERS:
                ranges += 1
                marker = marker or word
            elif ranges == 0 and (m := _UXD_KEY.match(line)):
                # the file's and the first range's keys; those of later ranges are not read
                keys[m.group(1).upper()] = (m.group(2).strip().strip("'\""), number)
                header_lines.append(line)
            continue
        if ranges == 1:
            values.extend((number, t) for t in line.split())
        elif ranges == 0:
            raise PatternFileError(name, f"a data line ({line[:40]!r}) before any _COUNTS, _CPS, _2THETACOUNTS or "
                                   "_2THETACPS marker", "the file is not a Bruker .uxd export: export the scan again "
                                   "(or as two-column .xy)", number)
    return keys, header_lines, marker, values, ranges


# --- Fit2D .chi --------------------------------------------------------------------------------


def read_chi(text: str, name: str, *, radiation: Radiation | None = None) -> Pattern:
    """A Fit2D ``.chi`` file: 2θ, Q or d, at the given (or title-stated) wavelength."""
    lines = text.splitlines()
    if len(lines) < 5:
        raise PatternFileError(name, f"{len(lines)} line(s): a .chi file has a title, two axis labels, the "
                               "number of points and the points", "export the integration again")
    title, x_label = lines[0].strip(), lines[1].strip()
    fix_count = "line 4 of a .chi file is the number of points"
    first = lines[3].split()
    if not first:
        raise PatternFileError(name, "line 4 is empty", fix_count, 4)
    stated_count = int(_float(first[0], name, "the number of points", 4, fix_count))
    x, y = [], []
    fix = "each point line holds the x value and the intensity"
    for number, raw in enumerate(lines[4:], start=5):
        tokens = raw.split()
        if not tokens:
            continue
        if len(tokens) < 2:
            raise PatternFileError(name, f"the line has one value ({raw.strip()[:40]!r})", fix, number)
        x.append(_float(tokens[0], name, "x", number, fix))
        y.append(_float(tokens[1], name, "intensity", number, fix))
    if stated_count != len(x):
        raise PatternFileError(name, f"line 4 says {stated_count} points, the file holds {len(x)}",
                               "the file looks truncated: export the integration again", 4)
    stated = header_radiation([title])
    if radiation is None and stated is None:
        raise PatternFileError(name, "a Fit2D .chi file states no wavelength (it is an area detector's "
                               "integration, often at a synchrotron)",
                               "give the wavelength: --wavelength 0.1432 (Å) or an anode (Cu, Mo, …), or "
                               "the form's wavelength field")
    chosen, said = _chosen_radiation(radiation, stated)
    two_theta, note = _chi_axis(np.array(x), x_label, chosen.ka1, name)
    return _pattern(two_theta, np.array(y), name, chosen, ((note,) if note else ()) + said)


def _chi_axis(x: np.ndarray, label: str, wavelength: float, name: str) -> tuple[np.ndarray, str | None]:
    """The x column as 2θ (degrees): read as it is, or from Q or d at ``wavelength``."""
    word = label.lower()
    if "theta" in word:
        return x, None
    if word.startswith("d") and "spacing" in word:
        if np.any(x <= wavelength / 2):
            raise PatternFileError(name, f"d {float(np.min(x)):g} Å is below λ/2 = {wavelength / 2:g} Å",
                                   "check the wavelength given")
        return np.degrees(2 * np.arcsin(wavelength / (2 * x))), f"d-spacings turned into 2θ at λ {wavelength:.5f} Å"
    if word.startswith("q"):
        per_angstrom = "nano" not in word and "nm" not in word
        q = x if per_angstrom else x / 10.0
        s = q * wavelength / (4 * np.pi)
        if np.any(np.abs(s) >= 1):
            raise PatternFileError(name, f"Q {float(np.max(x)):g} is beyond what λ {wavelength:g} Å reaches",
                                   "check the wavelength given (in Å)")
        unit = "Å⁻¹" if per_angstrom else "nm⁻¹"
        return np.degrees(2 * np.arcsin(s)), f"Q ({unit}) turned into 2θ at λ {wavelength:.5f} Å"
    raise PatternFileError(name, f"the x axis is {label[:50]!r}, not 2θ, Q or d",
                           "integrate the image to 2θ (or Q) in Fit2D and export that", 2)
