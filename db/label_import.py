"""Import labels from a CSV file: all or nothing, with a per-row report and a dry run.

File format (UTF-8, a header row; column names case-insensitive, order free)::

    composition,outcome,phases,source,method,processing,entered_by,evidence_uri,note
    CoCrFeMnNi,single,FCC,experiment,XRD,annealed 1100C 24h,alice,doi:10.1000/x,
    Al0.5CoCrFeNi,multi,FCC+BCC,experiment,XRD,as-cast,alice,,two phases in XRD

Required columns: composition, outcome, source. Rows are numbered as a spreadsheet shows
them (the header is row 1). Every bad cell of every row is reported with its row,
column, value and fix, and then nothing is stored. A file that was imported before is
refused as a whole (each row's label carries the file's hash as its external id).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from alloyloop.db.alloys import alloy_ids
from alloyloop.db.labels import LabelInput, insert_labels, validate_label
from alloyloop.db.models import Alloy, Label
from alloyloop.db.tx import run_write

REQUIRED = ("composition", "outcome", "source")
OPTIONAL = ("phases", "method", "processing", "entered_by", "evidence_uri", "note")
ALIASES = {"by": "entered_by", "evidence": "evidence_uri", "phase": "phases", "formula": "composition",
           "alloy": "composition", "label": "outcome"}
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


@dataclass
class LabelImportReport:
    path: str
    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    preview: list[RowPreview] = field(default_factory=list)
    dry_run: bool = False
    stored: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_rows(path: Path, report: LabelImportReport, *, required: tuple[str, ...] = REQUIRED,
              optional: tuple[str, ...] = OPTIONAL, aliases: dict[str, str] = ALIASES
              ) -> list[tuple[int, dict[str, str]]]:
    """Rows as (spreadsheet row number, column -> cell); file problems go to the report.

    ``required`` / ``optional``: the known columns; ``aliases``: other names of them.
    """
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        report.problems.append(RowProblem(0, "-", str(path), f"cannot open the file ({exc.strerror})"))
        return []
    with handle:
        try:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or not any(h.strip() for h in header):
                report.problems.append(RowProblem(
                    1, "-", "", f"the file has no header row: start it with {','.join(required + optional)}"))
                return []
            columns = []
            for name in header:
                col = name.strip().lower().replace(" ", "_")
                col = aliases.get(col, col)
                if col not in required + optional:
                    report.problems.append(RowProblem(
                        1, name, name, f"unknown column: rename it to one of {', '.join(required + optional)}"))
                elif col in columns:
                    report.problems.append(RowProblem(1, name, name, "this column appears twice: keep one"))
                columns.append(col)
            for col in required:
                if col not in columns:
                    report.problems.append(RowProblem(1, col, "", f"required column {col!r} is missing: add it"))
            if report.problems:
                return []
            rows = []
            for cells in reader:
                line = reader.line_num
                if not any(c.strip() for c in cells):
                    continue  # blank lines are not rows
                if len(cells) > len(columns):
                    report.problems.append(RowProblem(
                        line, "-", ",".join(cells),
                        f"{len(cells)} cells but {len(columns)} columns: quote cells that contain commas"))
                    continue
                rows.append((line, dict(zip(columns, cells + [""] * (len(columns) - len(cells))))))
            return rows
        except (csv.Error, UnicodeDecodeError) as exc:
            report.problems.append(RowProblem(0, "-", str(path), f"not a readable UTF-8 CSV file ({exc})"))
            return []


def import_labels_csv(
    session: Session,
    path: str | Path,
    *,
    dry_run: bool = False,
    default_entered_by: str | None = None,
) -> LabelImportReport:
    """Validate every row of a CSV file and store all its labels in one transaction.

    Args:
        session: the session (see :func:`alloyloop.db.tx.run_write` for transactions).
        path: the CSV file.
        dry_run: validate and run the import, then roll it back; the report previews it.
        default_entered_by: who entered rows whose ``entered_by`` cell is empty.

    Returns:
        The report: ``problems`` (nothing stored when any) or the per-row ``preview``.
    """
    path = Path(path)
    report = LabelImportReport(path=str(path), dry_run=dry_run)
    rows = read_rows(path, report)
    report.rows = len(rows)
    if report.problems:
        return report
    if not rows:
        report.problems.append(RowProblem(2, "-", "", "the file has a header but no rows: add labels"))
        return report
    digest = file_digest(path)[:16]
    inputs: list[LabelInput] = []
    for line, cells in rows:
        values = {k: (v.strip() or None) for k, v in cells.items()}
        if values.get("entered_by") is None:
            values["entered_by"] = default_entered_by
        label, errors = validate_label(**values, external_id=f"csv/{digest}/row{line}")
        for err in errors:
            column = _FIELD_TO_COLUMN.get(err.field, err.field)
            report.problems.append(RowProblem(line, column, "" if err.value is None else str(err.value), err.fix))
        if label is not None:
            inputs.append(label)
    if report.problems:
        return report

    return store_rows(session, report, path, digest, [line for line, _ in rows], inputs, dry_run)


def store_rows(session: Session, report: LabelImportReport, path: Path, digest: str, lines: Sequence[int],
               inputs: Sequence[LabelInput], dry_run: bool) -> LabelImportReport:
    """Store the validated rows of one file in one transaction (rolled back for a dry run),
    refusing a file imported before (its rows' external ids exist); fills the report's
    preview, or its problems."""

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
        stored = insert_labels(session, list(inputs))
        flags = dict(session.execute(
            select(Alloy.id, Alloy.has_conflict).where(Alloy.id.in_({r.alloy_id for r in stored}))).tuples().all())
        return [
            RowPreview(row=line, key=r.alloy_key, outcome=r.outcome, phases=r.phases, source=r.source,
                       method=r.method, processing=str(i.processing) if i.processing else None,
                       new_alloy=r.alloy_key not in existing, conflict=bool(flags[r.alloy_id]),
                       label_id=None if dry_run else r.id)
            for line, r, i in zip(lines, stored, inputs)
        ]

    preview = run_write(session, work, commit=not dry_run)
    if report.problems:  # refused inside the transaction: it was rolled back
        return report
    report.preview = preview
    report.stored = not dry_run
    return report


def problems_text(problems: Sequence[RowProblem]) -> str:
    """The problems, one per line."""
    return "\n".join(str(p) for p in problems)
