"""Import CALPHAD results computed by other tools (Thermo-Calc, Pandat, OpenCalphad …) from CSV.

File format (a header row; column names case-insensitive, order free; read as spreadsheets
export it, see :mod:`alloyloop.featurize.spreadsheet`; other columns are ignored with a note)::

    composition,temperature,phase_fractions,database,entered_by,evidence_uri,note
    CoCrFeMnNi,1273,FCC_A1=1.0,TCHEA5,alice,,
    Al0.5CoCrFeNi,1273 K,FCC_A1=0.62;BCC_B2=0.38,TCHEA5,alice,,
    AlCoCrFeNi,1000 C,BCC_B2=0.55;BCC_A2=0.45,TCHEA5,alice,,

- ``composition``: any notation (``Al0.5CoCrFeNi``, ``Co20Cr20Fe20Mn20Ni20``).
- ``temperature``: kelvin; ``1273 K`` and ``1000 C`` / ``1000 °C`` are read too.
- ``phase_fractions``: ``PHASE=FRACTION`` pairs separated by ``;``: mole fractions of
  every phase, adding up to 1 (within 0.02); TDB phase names (``FCC_A1``, ``BCC_B2``,
  ``SIGMA``, ``LAVES_C14`` …), ``NAME#2`` for a second phase of one name.
- ``database`` (or ``--database`` for every row): the thermodynamic database used.
- optional: ``entered_by``, ``evidence_uri``, ``note``, ``repeat`` (yes: keep a row that
  repeats a current label, e.g. the same outcome at another temperature; otherwise such
  rows are flagged and skipped, see :mod:`alloyloop.db.duplicates`).

Each row becomes one ``calphad`` label (method ``CALPHAD``) by the rule of
:mod:`alloyloop.agent.calphad.phases` (``single`` when one disordered solid solution holds at least
``threshold``); its provenance keeps the file, row, database, temperature and fractions.
An alloy with rows at several temperatures gets one label per row where they disagree
(the alloy is flagged as a conflict, see ``alloyloop label conflicts``); rows that give
the same label again are duplicates unless marked ``repeat``.

All or nothing, like ``alloyloop label import``: every bad cell is reported with row,
column, value and fix, and then nothing is stored; a file imported before is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from alloyloop.agent.calphad.phases import DEFAULT_THRESHOLD, classify, format_fractions, parse_fractions
from alloyloop.db.label_import import LabelImportReport, RowProblem, file_digest, read_rows, store_rows
from alloyloop.db.labels import LabelInput, validate_label
from alloyloop.db.session import Session

REQUIRED = ("composition", "temperature", "phase_fractions")
OPTIONAL = ("database", "entered_by", "evidence_uri", "note", "repeat")
ALIASES = {"alloy": "composition", "formula": "composition", "t": "temperature",
           "temperature_k": "temperature", "t_k": "temperature", "fractions": "phase_fractions",
           "phase_fraction": "phase_fractions", "phases": "phase_fractions", "tdb": "database",
           "by": "entered_by", "evidence": "evidence_uri"}
EXTERNAL_PREFIX = "calphad-csv/"
_FIELD_TO_COLUMN = {"evidence": "evidence_uri"}
_TEMPERATURE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(k|c|°c|degc|° c)?\s*$", re.IGNORECASE)


@dataclass
class CalphadImportReport(LabelImportReport):
    """The label import's report, plus what each good row computed."""

    details: dict[int, str] = field(default_factory=dict)
    """Row → ``1273 K: FCC_A1=0.6200; BCC_B2=0.3800``."""


def parse_temperature(text: str) -> float:
    """Kelvin from ``1273``, ``1273 K`` or ``1000 C``.

    Raises:
        ValueError: not a temperature between 200 and 6000 K (the message says what to write).
    """
    match = _TEMPERATURE.match(str(text))
    if not match:
        raise ValueError("not a temperature: write kelvin, e.g. 1273 (or 1273 K, 1000 C)")
    value = float(match.group(1))
    unit = (match.group(2) or "k").lower().replace(" ", "")
    kelvin = value if unit == "k" else value + 273.15
    if not 200 <= kelvin <= 6000:
        raise ValueError(f"{kelvin:g} K is outside 200-6000 K: give kelvin (1000 °C is 1273 K) "
                         "or add the unit, e.g. 1000 C")
    return kelvin


def import_calphad_csv(
    session: Session,
    path: str | Path,
    *,
    dry_run: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
    database: str | None = None,
    default_entered_by: str | None = None,
) -> CalphadImportReport:
    """Validate every row and store one ``calphad`` label per row in one transaction.

    Args:
        session: the session (see :func:`alloyloop.db.tx.run_write` for transactions).
        path: the CSV file (format in the module docstring).
        dry_run: validate and run the import, then roll it back; the report previews it.
        threshold: mole fraction one solid solution must hold to be ``single``.
        database: the database of rows whose ``database`` cell is empty.
        default_entered_by: who entered rows whose ``entered_by`` cell is empty.

    Returns:
        The report: ``problems`` (nothing stored when any) or the per-row ``preview``.
    """
    if not 0.5 < threshold <= 1:
        raise ValueError(f"threshold {threshold}: give a mole fraction above 0.5 and at most 1")
    path = Path(path)
    report = CalphadImportReport(path=str(path), dry_run=dry_run)
    rows = read_rows(path, report, required=REQUIRED, optional=OPTIONAL, aliases=ALIASES)
    report.rows = len(rows)
    if report.problems:
        return report
    if report.extra_columns:
        report.notes.append(f"ignored the extra column(s) {', '.join(report.extra_columns)}: a CALPHAD "
                            "label keeps the file and row in its provenance")
    if not rows:
        report.problems.append(RowProblem(2, "-", "", "the file has a header but no rows: add results"))
        return report
    digest = file_digest(path)[:16]
    inputs: list[LabelInput] = []
    for line, cells in rows:
        label, detail = _row(line, cells, report, path.name,
                             digest, threshold, database, default_entered_by)
        if label is not None:
            inputs.append(label)
            report.details[line] = detail
    if report.problems:
        return report
    return store_rows(session, report, path, digest, [line for line, _ in rows], inputs, dry_run)


def _row(line: int, cells: dict[str, str], report: LabelImportReport, file_name: str,
         digest: str, threshold: float, database: str | None, entered_by: str | None
         ) -> tuple[LabelInput | None, str]:
    """One row's label (None when a cell is bad; the problems go to the report)."""
    bad = len(report.problems)
    temperature = amounts = None
    try:
        temperature = parse_temperature(cells["temperature"])
    except ValueError as exc:
        report.problems.append(RowProblem(line, "temperature", cells["temperature"], str(exc)))
    try:
        amounts = parse_fractions(cells["phase_fractions"])
    except ValueError as exc:
        report.problems.append(RowProblem(line, "phase_fractions", cells["phase_fractions"], str(exc)))
    db_name = cells.get("database") or database
    if not db_name:
        report.problems.append(RowProblem(
            line, "database", "", "empty: name the thermodynamic database (e.g. TCHEA5) in a "
            "database column, or give --database for every row"))
    if temperature is None or amounts is None or not db_name:
        outcome, phases, reason, detail = "multi", [], "", ""  # placeholders: the row is bad
    else:
        verdict = classify(amounts, threshold)
        outcome, phases, reason = verdict.outcome, list(verdict.phases), verdict.reason
        detail = f"{temperature:g} K: {format_fractions(amounts)}"
    note = "; ".join(n for n in (f"CALPHAD: {reason}" if reason else "", cells.get("note", "")) if n)
    label, errors = validate_label(
        composition=cells["composition"] or None, outcome=outcome, phases=phases, source="calphad",
        method="CALPHAD", entered_by=cells.get("entered_by") or entered_by,
        evidence_uri=cells.get("evidence_uri") or None, note=note or None,
        provenance=(f"imported CALPHAD result ({file_name} row {line}, sha256 {digest}…); "
                    f"database {db_name}; single-phase threshold {threshold:g}; {detail}"),
        external_id=f"{EXTERNAL_PREFIX}{digest}/row{line}", repeat=cells.get("repeat") or None)
    for err in errors:
        column = _FIELD_TO_COLUMN.get(err.field, err.field)
        report.problems.append(RowProblem(line, column, "" if err.value is None else str(err.value), err.fix))
    return (label if len(report.problems) == bad else None), detail
