"""Read the files diffractometers export into a :class:`~alloyloop.agent.xrd.pattern.Pattern`.

- **Two-column text** (``.xy``, ``.xye``, ``.csv``, ``.txt``, ``.dat``): 2θ and intensity per
  line; further columns (an ``.xye`` file's error) are ignored and noted. Comment lines start
  with ``#``, ``;``, ``!``, ``*``, ``%`` or ``//``; non-numeric lines before the first data line
  are a header. Columns are split by a tab or ``;`` if the data lines have one, else by
  spaces, else by ``,`` (also ``35.62961, 265.41788``: a comma with spaces beside it between
  numbers is a separator). When the columns are split by tabs, ``;`` or spaces a comma is a
  decimal comma (``43,62 1234,5`` is 43.62 and 1234.5, as European instruments write it); a
  number with both ``.`` and ``,`` is refused rather than guessed.
- **PANalytical** ``.xrdml`` (XML, read with the standard library): the first scan's
  ``2Theta`` positions (start/end or a list) and its ``counts`` or ``intensities``; the
  wavelength from ``usedWavelength`` (Kα1, Kα2, their ratio); the sample tilt from the ``Chi``
  (or ``Psi``) axis position of a texture or stress measurement.
- **Rigaku** ``.ras``, **Bruker** ``.uxd``, **Fit2D** ``.chi``: :mod:`.vendor_readers` (their
  headers say the scan axis, the attenuator factors, the ranges and the x axis).
- **Bruker** ``.brml`` / ``.raw`` are not read: no maintained reader is on PyPI; export the
  scan from DIFFRAC.EVA as ``.xy`` or ``.xrdml``.

A smoothly stepped 2θ column written to too few decimals (a synchrotron scan's 0.0091° steps as
1.959, 1.968, …, 2.005) is read on the line or parabola through it that stays within ¾ of its
last digit, and noted; even and irregular columns are read as written.

The wavelength is the one given, else the file's when its header states one (see
:mod:`.headers`: ``# wavelength 1.5406``, ``Anode: "Co"``, Rigaku ``*HW_XG_TARGET_NAME``,
``.xrdml`` ``<usedWavelength>`` / ``<anodeMaterial>``), else Cu Kα with Kα2; the radiation's
``origin`` says which. Every refusal names the file, the line and the fix.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import numpy as np

from alloyloop.agent.xrd.headers import header_radiation
from alloyloop.agent.xrd.pattern import Pattern, Radiation

TEXT_SUFFIXES = (".xy", ".xye", ".csv", ".txt", ".dat")
XRDML_SUFFIXES = (".xrdml",)
VENDOR_SUFFIXES = (".ras", ".uxd", ".chi")
"""Read by :mod:`.vendor_readers` (kept in step with its ``SUFFIXES``)."""
UNSUPPORTED = {".brml": "Bruker DIFFRAC.SUITE .brml", ".raw": "Bruker .raw",
               ".rd": "Philips .rd", ".sd": "Philips .sd"}
SUFFIXES = TEXT_SUFFIXES + XRDML_SUFFIXES + VENDOR_SUFFIXES
COMMENT = ("#", ";", "!", "*", "%", "//")
MIN_POINTS = 50


class PatternFileError(ValueError):
    """A pattern file that cannot be read: names the file, the line (if any) and the fix."""

    def __init__(self, name: str, problem: str, fix: str, line: int | None = None) -> None:
        self.name, self.problem, self.fix, self.line = name, problem, fix, line
        where = f"{name}, line {line}" if line is not None else name
        super().__init__(f"{where}: {problem}: {fix}")


def read_pattern(path: Path | str, *, radiation: Radiation | None = None) -> Pattern:
    """Read a pattern file of any supported type (chosen by its extension)."""
    path = Path(path)
    return read_pattern_bytes(path.read_bytes(), path.name, radiation=radiation)


def read_pattern_bytes(data: bytes, name: str, *, radiation: Radiation | None = None) -> Pattern:
    """Read a pattern from its bytes; ``name`` (its file name) gives the type and the messages."""
    suffix = Path(name).suffix.lower()
    if suffix in UNSUPPORTED:
        raise PatternFileError(name, f"{UNSUPPORTED[suffix]} files are not supported (no maintained "
                               "reader on PyPI)", "export the scan as .xy (two columns) or .xrdml "
                               "and read that")
    if suffix in XRDML_SUFFIXES:
        return read_xrdml(data, name, radiation=radiation)
    if suffix in VENDOR_SUFFIXES:
        from alloyloop.agent.xrd.vendor_readers import read_vendor  # it builds on this module's helpers

        return read_vendor(_decode(data, name), name, suffix, radiation=radiation)
    if suffix in TEXT_SUFFIXES:
        return read_two_column(_decode(data, name), name, radiation=radiation)
    raise PatternFileError(name, f"type {suffix or '(no extension)'} is not a pattern format",
                           f"give one of {', '.join(SUFFIXES)}")


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data:
        raise PatternFileError(name, "the file is binary (it holds NUL bytes)",
                               "export the scan as text (.xy) or .xrdml")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # comment lines of old Windows exports


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_STARTS_NUMERIC = re.compile(r"^[+-]?[.,]?\d")
_COMMA_SEPARATED = re.compile(r"\d\s*,\s+[+-]?[.\d]|\d\s+,\s*[+-]?[.\d]")
"""A comma with spaces beside it between two numbers separates columns (``35.63, 265.4``)."""


def _separator(lines: list[str]) -> str | None:
    """The column separator of the data lines: tab, ';', None (spaces) or ','."""
    sample = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith(COMMENT)][:200]
    # a header may use another separator than the data: judge the lines that start like a number
    data = [ln for ln in sample if _STARTS_NUMERIC.match(ln)] or sample
    if any("\t" in ln for ln in data):
        return "\t"
    if any(";" in ln for ln in data):
        return ";"
    if any(_COMMA_SEPARATED.search(ln) for ln in data):
        return ","
    if any(len(ln.split()) >= 2 for ln in data):
        return None
    return ","


def _number(token: str, comma_decimal: bool) -> float | None:
    t = token.strip()
    if not _NUMBER.match(t):
        return None
    if "," in t:
        if not comma_decimal:
            return None
        t = t.replace(",", ".")
    return float(t)


def read_two_column(text: str, name: str, *, radiation: Radiation | None = None) -> Pattern:
    """A two-column (2θ, intensity) text pattern; see the module notes for the rules."""
    lines = text.splitlines()
    sep = _separator(lines)
    comma_decimal = sep != ","
    header: list[str] = []
    x: list[float] = []
    y: list[float] = []
    extra_columns = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(COMMENT):
            header.append(line)
            continue
        tokens = [t for t in (line.split(sep) if sep else line.split())]
        tokens = [t.strip() for t in tokens if t.strip() or sep is not None]
        values = [_number(t, comma_decimal) for t in tokens]
        if not x and (not values or values[0] is None):
            header.append(line)  # a header line before the data ("2Theta,Intensity")
            continue
        if len(tokens) < 2:
            problem = (f"the line has one value ({line[:40]!r}), 2θ and intensity expected" if tokens
                       else "the line is empty")
            last = number == len(lines) or not any(ln.strip() for ln in lines[number:])
            fix = ("the file looks truncated: export the scan again" if last else
                   "each data line needs two columns, 2θ then intensity")
            raise PatternFileError(name, problem, fix, number)
        bad = next((i for i, v in enumerate(values[:2]) if v is None), None)
        if bad is not None:
            what = "2θ" if bad == 0 else "intensity"
            token = tokens[bad]
            fix = ("write the number with one decimal mark" if "," in token and "." in token else
                   f"the {what} column must hold a number; remove the line or mark it as a comment with #")
            raise PatternFileError(name, f"{what} {token[:40]!r} is not a number", fix, number)
        extra_columns = max(extra_columns, len(tokens) - 2)
        x.append(values[0])  # type: ignore[arg-type]
        y.append(values[1])  # type: ignore[arg-type]
    notes = (f"{extra_columns} column(s) after 2θ and intensity ignored",) if extra_columns else ()
    chosen, said = _chosen_radiation(radiation, header_radiation(header))
    return _pattern(np.array(x), np.array(y), name, chosen, notes + said, line_of=lambda i: _data_line(lines, i))


def _chosen_radiation(given: Radiation | None, stated: Radiation | None) -> tuple[Radiation, tuple[str, ...]]:
    """The given wavelength, else the file's, else Cu Kα; a note when the given one overrules
    another the file states."""
    if given is not None:
        if stated is not None and abs(stated.ka1 - given.ka1) > 2e-3:
            return given, (f"the file states λ {stated.ka1:.5f} Å ({stated.origin}); the given "
                           f"{given.ka1:.5f} Å is used",)
        return given, ()
    return stated or Radiation(), ()


def _data_line(lines: list[str], index: int) -> int | None:
    """The file line of the ``index``-th data value (for messages)."""
    seen = -1
    started = False
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith(COMMENT):
            continue
        if not started and not _STARTS_NUMERIC.match(line):
            continue
        started = True
        seen += 1
        if seen == index:
            return number
    return None


def _pattern(x: np.ndarray, y: np.ndarray, name: str, radiation: Radiation, notes: tuple[str, ...],
             line_of=lambda i: None) -> Pattern:  # noqa: ANN001
    if len(x) < MIN_POINTS:
        raise PatternFileError(name, f"{len(x)} data point(s), at least {MIN_POINTS} needed",
                               "export the whole scan (2θ and intensity, one point a line)")
    steps = np.diff(x)
    if np.all(steps < 0):
        x, y = x[::-1], y[::-1]
        notes += ("2θ decreasing in the file: reversed",)
        steps = np.diff(x)
    back = np.flatnonzero(steps <= 0)
    if back.size:
        i = int(back[0]) + 1
        raise PatternFileError(name, f"2θ {x[i]:g} does not increase after {x[i - 1]:g}",
                               "give one scan with increasing 2θ (are two scans in the file?)", line_of(i))
    if x[0] <= 0 or x[-1] >= 180:
        i = 0 if x[0] <= 0 else len(x) - 1
        raise PatternFileError(name, f"2θ {x[i]:g}° is outside 0–180°",
                               "the first column must be 2θ in degrees (not d, q or a channel number)",
                               line_of(i))
    if not np.all(np.isfinite(y)):
        i = int(np.flatnonzero(~np.isfinite(y))[0])
        raise PatternFileError(name, "an intensity is not finite", "remove or fix the point", line_of(i))
    x, said = _evened(x.astype(float))
    return Pattern(x, y.astype(float), radiation, name, notes + said)


ROUNDED_STEP = 0.02
"""A 2θ column whose last written digit is more than this share of its step is rounded coarsely."""


def _quantum(x: np.ndarray) -> float | None:
    """The unit of the last decimal the 2θ column is written to (0.001 for ``1.959``), or None."""
    for decimals in range(7):
        scaled = x * 10 ** decimals
        if np.max(np.abs(scaled - np.round(scaled))) < 1e-6 * max(1.0, float(np.max(np.abs(scaled)))):
            return 10.0 ** -decimals
    return None


def _evened(x: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """An evenly (or smoothly) stepped scan whose 2θ column is written to too few decimals
    (a synchrotron scan's 0.00913° steps as 1.959, 1.968, 1.977, 1.986, 1.995, 2.005: steps of
    0.009 and 0.010) given back its steps: 2θ from a line or parabola through the point numbers
    that stays within three quarters of the last digit of every written value. The rounding would otherwise
    shift narrow peaks' points by up to a tenth of their width."""
    quantum = _quantum(x)
    steps = np.diff(x)
    if (quantum is None or quantum <= ROUNDED_STEP * float(np.median(steps))
            or np.ptp(steps) < 0.5 * quantum):
        return x, ()
    index = np.arange(x.size, dtype=float)
    for degree in (1, 2):
        fitted = np.polyval(np.polyfit(index, x, degree), index)
        if np.max(np.abs(fitted - x)) <= 0.75 * quantum and np.all(np.diff(fitted) > 0):
            return fitted, (f"2θ written to {quantum:g}° with steps of {np.min(steps):g}–{np.max(steps):g}°: "
                            f"evened to the {float(np.mean(np.diff(fitted))):.5f}° step the column rounds",)
    return x, ()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node: ET.Element, name: str) -> ET.Element | None:
    return next((e for e in node.iter() if _local(e.tag) == name), None)


def read_xrdml(data: bytes, name: str, *, radiation: Radiation | None = None) -> Pattern:
    """A PANalytical ``.xrdml`` file: its first scan and its wavelength."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise PatternFileError(name, f"the XML is broken ({exc.msg if hasattr(exc, 'msg') else exc})",
                               "the file looks truncated or edited: export the scan again", line) from None
    scans = [e for e in root.iter() if _local(e.tag) == "scan"]
    if not scans:
        raise PatternFileError(name, "no <scan> element", "export a measured scan as .xrdml")
    scan = scans[0]
    points = _find(scan, "dataPoints")
    if points is None:
        raise PatternFileError(name, "the scan has no <dataPoints>", "export the scan again")
    counts = next((e for e in points if _local(e.tag) in ("counts", "intensities")), None)
    if counts is None or not (counts.text or "").strip():
        raise PatternFileError(name, "the scan has no <counts> or <intensities>", "export the scan again")
    try:
        y = np.array([float(v) for v in counts.text.split()])
    except ValueError as exc:
        raise PatternFileError(name, f"a count is not a number ({exc})", "export the scan again") from None
    if _local(counts.tag) == "counts":
        time = next((e for e in points if _local(e.tag) == "commonCountingTime"), None)
        if time is not None and time.text and float(time.text) > 0:
            y = y / float(time.text)
    axis = next((e for e in points if _local(e.tag) == "positions" and e.get("axis") == "2Theta"), None)
    if axis is None:
        raise PatternFileError(name, "the scan has no 2Theta positions",
                               "export a 2θ (or 2θ-ω) scan; other axes are not patterns")
    listed = _find(axis, "listPositions")
    if listed is not None and listed.text:
        x = np.array([float(v) for v in listed.text.split()])
    else:
        start, end = _find(axis, "startPosition"), _find(axis, "endPosition")
        if start is None or end is None:
            raise PatternFileError(name, "the 2Theta axis has neither a list nor start/end positions",
                                   "export the scan again")
        x = np.linspace(float(start.text), float(end.text), len(y))
    if len(x) != len(y):
        raise PatternFileError(name, f"{len(x)} 2θ positions but {len(y)} counts",
                               "the file looks truncated: export the scan again")
    notes = (f"{len(scans)} scans in the file: the first is read",) if len(scans) > 1 else ()
    chosen, said = _chosen_radiation(radiation, _xrdml_radiation(root))
    pattern = _pattern(x, y, name, chosen, notes + said)
    tilt = _xrdml_tilt(points)
    if tilt is None:
        return pattern
    axis, value = tilt
    return replace(pattern, tilt=value, notes=pattern.notes + (f"sample tilted {axis} {value:g}° (file header)",))


def _xrdml_tilt(points: ET.Element) -> tuple[str, float] | None:
    """The scan's fixed ``Chi`` (or ``Psi``) position, when not zero: (axis, degrees)."""
    for element in points:
        axis = (element.get("axis") or "").lower()
        if _local(element.tag) != "positions" or axis not in ("chi", "psi"):
            continue
        common = _find(element, "commonPosition")
        start, end = _find(element, "startPosition"), _find(element, "endPosition")
        try:
            value = (float(common.text) if common is not None and common.text
                     else 0.5 * (float(start.text) + float(end.text)) if start is not None and end is not None
                     else None)
        except (TypeError, ValueError):
            value = None
        if value is not None and abs(value) > 1e-9:
            return ("χ" if axis == "chi" else "ψ"), value
    return None


def _xrdml_radiation(root: ET.Element) -> Radiation | None:
    used = _find(root, "usedWavelength")
    anode = _find(root, "anodeMaterial")
    if used is None and anode is not None and anode.text:
        return header_radiation([f"anode {anode.text.strip()}"])
    if used is None:
        return None
    values = {_local(e.tag): e.text for e in used}
    try:
        a1 = float(values["kAlpha1"])
    except (KeyError, TypeError, ValueError):
        return None
    a2 = values.get("kAlpha2")
    ratio = values.get("ratioKAlpha2KAlpha1")
    try:
        a2f = float(a2) if a2 else None
        ratio_f = float(ratio) if ratio else 0.5
    except ValueError:
        a2f, ratio_f = None, 0.0
    if a2f is not None and not a1 < a2f < a1 * 1.01:
        a2f = None
    where = "from the file (<usedWavelength>)"
    anode_name = anode.text.strip() if anode is not None and anode.text else None
    return Radiation(a1, a2f, ratio_f if a2f else 0.0, f"{anode_name} Kα, {where}" if anode_name else where)
