"""Import labels from a CSV file: all or nothing, with a per-row report and a dry run.

File format (a header row; column names case-insensitive, order free)::

    composition,outcome,phases,source,method,processing,entered_by,evidence_uri,note
    CoCrFeMnNi,single,FCC,experiment,XRD,annealed 1100C 24h,alice,doi:10.1000/x,
    Al0.5CoCrFeNi,multi,FCC+BCC,experiment,XRD,as-cast,alice,,two phases in XRD

Required columns: composition and outcome (also named ``phase``, the name ``model fit``
reads; the words are those of :mod:`alloyloop.featurize.outcomes`), and source, unless
it is given once for the whole file (``--source experiment --method XRD``), so a
``composition, phase`` file imports as it is. Files are read as spreadsheets export them
(:mod:`alloyloop.featurize.spreadsheet`: ``;`` or tab separators, cp1252, BOM, CRLF);
other columns (sample ID, operator, date …) are kept in each label's provenance and the
report says so. Rows are numbered as a spreadsheet shows them (the header is row 1).
Every bad cell of every row is reported with its row, column, value and fix, and then
nothing is stored. Duplicates are recognised by content (:mod:`alloyloop.db.duplicates`):
a row identical to a current label of its alloy, or to an earlier row, is flagged in the
preview (naming the label or row) and skipped, unless its ``repeat`` cell says yes (a
repeat measurement). A file whose rows are all duplicates ("imported before: nothing
new", e.g. the same sheet exported again with an extra empty row) stores nothing; the
same bytes again are refused by the rows' external ids (``csv/<sha256[:16]>/rowN``).
"""

from __future__ import annotations

import hashlib
from difflib import get_close_matches
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from alloyloop.db.alloys import alloy_ids
from alloyloop.db.duplicates import find_duplicates
from alloyloop.db.labels import LabelInput, insert_labels, validate_label
from alloyloop.db.models import Alloy, Label
from alloyloop.db.records import LabelRecord
from alloyloop.db.tx import run_write
from alloyloop.featurize.spreadsheet import (
    SheetError,
    cell,
    known_columns,
    normalize_name,
    overlong,
    read_sheet,
)

REQUIRED = ("composition", "outcome", "source")
OPTIONAL = ("phases", "method", "processing", "anneal_temperature_c", "anneal_time_h", "entered_by",
            "evidence_uri", "provenance", "note", "repeat")
ALIASES = {"by": "entered_by", "evidence": "evidence_uri", "phase": "outcome", "formula": "composition",
           "alloy": "composition", "label": "outcome", "phase_detail": "phases", "structure": "phases",
           "temperature_c": "anneal_temperature_c", "anneal_temperature": "anneal_temperature_c",
           "time_h": "anneal_time_h", "anneal_time": "anneal_time_h", "repeat_measurement": "repeat"}
_FIELD_TO_COLUMN = {"phase": "phases", "evidence": "evidence_uri"}


@dataclass(frozen=True)
class RowProblem:
    """One bad cell (or a file-level problem, row 1 = the header)."""

    row: int
    column: str
    value: str
    fix: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.value!r}: {self.fix}"


@dataclass(frozen=True)
class RowPreview:
    """What a good row stores (or would store, in a dry run)."""

    row: int
    key: str
    outcome: str
    phases: list[str]
    source: str
    method: str
    processing: str | None
    new_alloy: bool
    conflict: bool
    """After this import the alloy's current labels disagree."""
    label_id: int | None
    text: str = ""
    """The composition as the file writes it (the key is what it means)."""
    note: str = ""
    """How the composition was read when it needed a conversion (wt.%)."""
    duplicate_of: str | None = None
    """``label #12`` or ``row 3`` when the row repeats that label and is not marked as a
    repeat measurement: it is skipped (not stored)."""


@dataclass
class LabelImportReport:
    path: str
    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    preview: list[RowPreview] = field(default_factory=list)
    dry_run: bool = False
    stored: bool = False
    notes: list[str] = field(default_factory=list)
    """How the file was read (encoding, separator, extra columns kept)."""
    extra_columns: list[str] = field(default_factory=list)
    """Columns outside the format, as the file names them."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def skipped(self) -> int:
        """Rows skipped as duplicates of a current label or of an earlier row."""
        return sum(r.duplicate_of is not None for r in self.preview)

    @property
    def new(self) -> int:
        """Rows stored (or, in a dry run, that would be)."""
        return len(self.preview) - self.skipped


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_rows(path: Path, report: LabelImportReport, *, required: tuple[str, ...] = REQUIRED,
              optional: tuple[str, ...] = OPTIONAL, aliases: dict[str, str] = ALIASES,
              given: Sequence[str] = ()) -> list[tuple[int, dict[str, str]]]:
    """Rows as (spreadsheet row number, column -> stripped cell); problems go to the report.

    ``required`` / ``optional``: the known columns; ``aliases``: other names of them;
    ``given``: required columns whose value the caller has for every row (a column still
    wins where its cell is filled). Extra columns are returned under their names as
    written, and ``report.notes`` lists them.
    """
    try:
        sheet = read_sheet(path)
    except SheetError as exc:  # the line at fault (a quote that never closes), else the file
        report.problems.append(RowProblem(exc.line or 0, "-", str(path), str(exc).removeprefix(f"{path.name}, ")))
        return []
    report.notes += sheet.notes
    columns = known_columns(sheet, required + optional, aliases)
    for name, fix in columns.problems:
        report.problems.append(RowProblem(1, name, name, fix))
    for col in required:
        if col not in columns.index and col not in given:
            hint = (f" (or give --{col} for every row)" if col in ("source", "method") else "")
            near = get_close_matches(col, [normalize_name(n) for n in columns.extra], n=1, cutoff=0.5)
            if near:
                hint += f"; is the column {near[0]!r} meant to be {col!r}? rename it"
            report.problems.append(RowProblem(
                1, col, "", f"required column {col!r} is missing: add it{hint}; the header is "
                f"{', '.join(sheet.raw_header)}"))
    if report.problems:
        return []
    split = {line: (text, fix) for line, text, fix in overlong(sheet)}
    report.problems += [RowProblem(line, "-", text, fix) for line, (text, fix) in split.items()]
    rows = []
    for line, cells in sheet.rows:
        if line in split:
            continue
        values = {col: cell(cells, i) for col, i in columns.index.items()}
        values |= {name: cell(cells, i) for name, i in columns.extra.items()}
        rows.append((line, values))
    report.extra_columns = list(columns.extra)
    return rows


def extra_metadata(cells: dict[str, str], extra: Sequence[str]) -> str | None:
    """``sample_id=S12; operator=bob`` from a row's extra columns (None when all are empty)."""
    parts = [f"{name}={cells[name]}" for name in extra if cells.get(name)]
    return "; ".join(parts) or None


def import_labels_csv(
    session: Session,
    path: str | Path,
    *,
    dry_run: bool = False,
    default_entered_by: str | None = None,
    default_source: str | None = None,
    default_method: str | None = None,
) -> LabelImportReport:
    """Validate every row of a CSV file and store all its labels in one transaction.

    Args:
        session: the session (see :func:`alloyloop.db.tx.run_write` for transactions).
        path: the CSV file.
        dry_run: validate and run the import, then roll it back; the report previews it.
        default_entered_by: who entered rows whose ``entered_by`` cell is empty.
        default_source / default_method: the source and method of rows whose cell is
            empty or that have no such column (``--source experiment --method XRD``).

    Returns:
        The report: ``problems`` (nothing stored when any) or the per-row ``preview``.
    """
    path = Path(path)
    report = LabelImportReport(path=str(path), dry_run=dry_run)
    given = [c for c, v in (("source", default_source), ("method", default_method)) if v]
    rows = read_rows(path, report, given=given)
    report.rows = len(rows)
    if report.problems:
        return report
    if not rows:
        report.problems.append(RowProblem(2, "-", "", "the file has a header but no rows: add labels"))
        return report
    extra = report.extra_columns
    if extra:
        report.notes.append(f"kept the extra column(s) {', '.join(extra)} in each label's provenance")
    digest = file_digest(path)[:16]
    defaults = {"entered_by": default_entered_by, "source": default_source, "method": default_method}
    inputs: list[LabelInput] = []
    for line, cells in rows:
        values = {k: (cells.get(k) or None) for k in REQUIRED + OPTIONAL}
        values |= {k: v for k, v in defaults.items() if values[k] is None and v}
        metadata = extra_metadata(cells, extra)
        if metadata:
            values["provenance"] = "; ".join(p for p in (values["provenance"],
                                                         f"{path.name} row {line}: {metadata}") if p)
        label, errors = validate_label(**values, external_id=f"csv/{digest}/row{line}")
        for err in errors:
            column = _FIELD_TO_COLUMN.get(err.field, err.field)
            report.problems.append(RowProblem(line, column, "" if err.value is None else str(err.value), err.fix))
        if label is not None and label.composition.note:  # a wt.% formula: the label says so
            said = f"composition {label.composition.source!r} {label.composition.note}"
            label = replace(label, provenance="; ".join(p for p in (label.provenance, said) if p))
        if label is not None:
            inputs.append(label)
    if report.problems:
        return report

    return store_rows(session, report, path, digest, [line for line, _ in rows], inputs, dry_run)


def store_rows(session: Session, report: LabelImportReport, path: Path, digest: str, lines: Sequence[int],
               inputs: Sequence[LabelInput], dry_run: bool) -> LabelImportReport:
    """Store the validated rows of one file in one transaction (rolled back for a dry run),
    refusing a file imported before (its rows' external ids exist, or every row is a
    duplicate) and skipping duplicate rows; fills the report's preview (skipped rows name
    what they repeat), or its problems."""

    def work() -> list[RowPreview]:
        ext = [i.external_id for i in inputs]
        done = session.execute(select(Label.id).where(Label.external_id.in_(ext)).order_by(Label.id)).scalars().all()
        if done:
            report.problems.append(RowProblem(
                0, "-", str(path),
                f"this file (sha256 {digest}…) was imported before as labels #{done[0]}–#{done[-1]}: "
                "nothing stored; to correct labels use `alloyloop label supersede`"))
            return []
        existing = alloy_ids(session, [i.composition.key for i in inputs])
        dups = find_duplicates(session, inputs)
        if all(d is not None for d in dups):
            found = sorted({d.label_id for d in dups if d.label_id is not None})
            report.problems.append(RowProblem(
                0, "-", str(path),
                f"imported before: nothing new: every row repeats a current label ("
                f"{', '.join(f'#{i}' for i in found[:20])}{' …' if len(found) > 20 else ''}) or an earlier "
                "row; nothing stored. Mark repeat measurements with yes in a repeat column; to correct "
                "labels use `alloyloop label supersede`"))
            return []
        keep = [i for i, d in zip(inputs, dups) if d is None]
        stored = iter(insert_labels(session, keep))
        flags = dict(session.execute(
            select(Alloy.key, Alloy.has_conflict).where(Alloy.key.in_({i.composition.key for i in inputs}))
        ).tuples().all())
        out = []
        for line, i, dup in zip(lines, inputs, dups):
            common = dict(row=line, key=i.composition.key, outcome=i.outcome.value,
                          phases=[p.value for p in i.phases], source=i.source.value, method=i.method.value,
                          processing=str(i.processing) if i.processing else None,
                          new_alloy=i.composition.key not in existing, conflict=bool(flags.get(i.composition.key)),
                          text=i.composition.source, note=i.composition.note)
            if dup is not None:
                shown = f"label #{dup.label_id}" if dup.label_id is not None else f"row {lines[dup.index]}"
                out.append(RowPreview(**common, label_id=None, duplicate_of=shown))  # type: ignore[arg-type]
            else:
                r = next(stored)
                out.append(RowPreview(**common, label_id=None if dry_run else r.id))  # type: ignore[arg-type]
        return out

    preview = run_write(session, work, commit=not dry_run)
    if report.problems:  # refused inside the transaction: it was rolled back
        return report
    report.preview = preview
    report.stored = not dry_run
    return report


def problems_text(problems: Sequence[RowProblem]) -> str:
    """The problems, one per line."""
    return "\n".join(str(p) for p in problems)


def imported_labels(session: Session, token: str) -> list[LabelRecord]:
    """The labels an imported CSV stored, in order: their external ids
    ``csv/<sha256[:16]>/rowN`` name the file whose SHA-256 is ``token``."""
    stmt = (select(Label, Alloy.key).join(Alloy, Alloy.id == Label.alloy_id)
            .where(Label.external_id.like(f"csv/{token[:16]}/row%")).order_by(Label.id))
    return [LabelRecord.from_row(row, alloy_key=key) for row, key in session.execute(stmt).tuples()]
