"""Labels: validate, add, supersede (correct) and list them; flag conflicts.

Rules:

- A label is never overwritten or deleted. A correction is a new label; the old one
  keeps its values and points to the new one (``superseded_by``). Only the newest label
  of a correction chain can be corrected again.
- An alloy whose current labels disagree on the outcome is flagged (``has_conflict``);
  every label stays. The flag is recomputed in the same transaction as each change,
  under a row lock on the alloy, so concurrent writers cannot leave it wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from alloyloop.db.alloys import ensure_alloys, lock_alloys, parse_alloy, refresh_conflicts
from alloyloop.db.errors import AlreadySuperseded, InvalidValue, InvalidValues, NotFound
from alloyloop.db.models import Alloy, Label
from alloyloop.db.records import LabelRecord
from alloyloop.db.suggestion_links import close_open_suggestions
from alloyloop.db.tx import run_write
from alloyloop.db.vocab import (
    Method,
    Outcome,
    Phase,
    ProcessingKind,
    ProcessingState,
    Source,
    check_outcome_phases,
    parse_method,
    parse_outcome,
    parse_phases,
    parse_processing,
    parse_source,
)
from alloyloop.featurize.composition import ParsedComposition

MAX_NAME = 120


@dataclass(frozen=True)
class LabelInput:
    """A validated label, ready to be stored (build it with :meth:`build` or :func:`validate_label`)."""

    composition: ParsedComposition
    outcome: Outcome
    source: Source
    method: Method
    phases: tuple[Phase, ...] = ()
    processing: ProcessingState | None = None
    entered_by: str | None = None
    evidence_uri: str | None = None
    provenance: str | None = None
    note: str | None = None
    external_id: str | None = None

    @classmethod
    def build(cls, **fields: object) -> LabelInput:
        """Validate raw values (strings as typed by a person); raise the first problem.

        Raises:
            InvalidValue: one field is bad (naming it, the value and the fix).
            InvalidValues: several are; ``errors`` lists them.
        """
        label, errors = validate_label(**fields)  # type: ignore[arg-type]
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise InvalidValues(errors)
        assert label is not None
        return label

    def columns(self) -> dict[str, object]:
        """The values of the ``label`` table's columns (without alloy and timestamps)."""
        state = self.processing
        return {
            "outcome": self.outcome.value,
            "phases": [p.value for p in self.phases],
            "source": self.source.value,
            "method": self.method.value,
            "processing": state.kind.value if state else None,
            "anneal_temperature_c": state.temperature_c if state else None,
            "anneal_time_h": state.time_h if state else None,
            "entered_by": self.entered_by,
            "evidence_uri": self.evidence_uri,
            "provenance": self.provenance,
            "note": self.note,
            "external_id": self.external_id,
        }


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or (
        isinstance(value, str) and not value.strip())


def _text(name: str, value: object, limit: int | None = None) -> str | None:
    if _blank(value):
        return None
    text = str(value).strip()
    if limit is not None and len(text) > limit:
        raise InvalidValue(name, text, fix=f"shorten it to at most {limit} characters")
    # NUL cannot be stored in PostgreSQL text, lone surrogates in no UTF-8 database; other
    # control characters are invisible garbage (tabs and line breaks are fine in free text)
    bad = next((ch for ch in text if (ch < " " and ch not in "\t\n\r") or ch == "\x7f"
                or "\ud800" <= ch <= "\udfff"), None)
    if bad is not None:
        what = "unpaired surrogate" if ord(bad) >= 0xD800 else "control character"
        raise InvalidValue(name, text.encode("utf-8", "backslashreplace").decode("utf-8")[:80],
                           fix=f"remove the {what} U+{ord(bad):04X} (NUL and other control characters "
                           "cannot be stored)")
    return text


def parse_evidence(value: object) -> str | None:
    """A URI for the evidence: any ``scheme:…`` URI; a bare DOI becomes ``https://doi.org/…``."""
    text = _text("evidence", value)
    if text is None:
        return None
    if text.startswith("10.") and "/" in text:
        return f"https://doi.org/{text}"
    parsed = urlparse(text)
    if len(parsed.scheme) < 2 or not (parsed.netloc or parsed.path):
        raise InvalidValue(
            "evidence", text,
            fix="give a URI such as https://…, doi:10.…, file:///path/to/xrd.csv, or a bare DOI",
        )
    return text


@dataclass
class _Collector:
    errors: list[InvalidValue] = field(default_factory=list)

    def take(self, fn, *args):  # noqa: ANN001, ANN202 - tiny local helper
        try:
            return fn(*args)
        except InvalidValue as exc:
            self.errors.append(exc)
            return None


def validate_label(
    *,
    composition: str | Mapping[str, float] | ParsedComposition,
    outcome: object,
    source: object,
    method: object = None,
    phases: object = None,
    processing: object = None,
    entered_by: object = None,
    evidence_uri: object = None,
    provenance: object = None,
    note: object = None,
    external_id: object = None,
) -> tuple[LabelInput | None, list[InvalidValue]]:
    """Validate every field and collect all problems (for per-row reports).

    Returns:
        ``(label, [])`` when valid, else ``(None, errors)`` with one error per bad field.
    """
    c = _Collector()
    # an already parsed composition is trusted (batch importers parse each alloy once)
    parsed = composition if isinstance(composition, ParsedComposition) else c.take(parse_alloy, composition)
    out = c.take(parse_outcome, outcome)
    src = c.take(parse_source, source)
    meth = c.take(parse_method, method, src) if src is not None else None
    phase_list = c.take(parse_phases, phases)
    if out is not None and phase_list is not None:
        c.take(check_outcome_phases, out, phase_list)
    state = c.take(parse_processing, processing)
    by = c.take(_text, "entered_by", entered_by, MAX_NAME)
    uri = c.take(parse_evidence, evidence_uri)
    prov = c.take(_text, "provenance", provenance)
    text = c.take(_text, "note", note)
    ext = c.take(_text, "external_id", external_id, 300)
    if c.errors:
        return None, c.errors
    return LabelInput(
        composition=parsed, outcome=out, source=src, method=meth, phases=tuple(phase_list),
        processing=state, entered_by=by, evidence_uri=uri, provenance=prov, note=text,
        external_id=ext,
    ), []


def insert_labels(session: Session, inputs: Sequence[LabelInput]) -> list[LabelRecord]:
    """Insert validated labels inside the caller's transaction (see :func:`store_labels`);
    they close the open suggestions of their alloys (:mod:`alloyloop.db.suggestion_links`)."""
    ids = ensure_alloys(session, (i.composition for i in inputs))
    lock_alloys(session, ids.values())
    rows = [Label(alloy_id=ids[i.composition.key], **i.columns()) for i in inputs]
    session.add_all(rows)
    session.flush()
    refresh_conflicts(session, {r.alloy_id for r in rows})
    close_open_suggestions(session, rows)
    return [LabelRecord.from_row(r, alloy_key=i.composition.key) for r, i in zip(rows, inputs)]


def store_labels(session: Session, inputs: Sequence[LabelInput]) -> list[LabelRecord]:
    """Store validated labels in one transaction (all or nothing), creating alloys as needed."""
    if not inputs:
        return []
    return run_write(session, lambda: insert_labels(session, inputs))


def add_label(session: Session, **fields: object) -> LabelRecord:
    """Validate and store one label; see :func:`validate_label` for the fields.

    Example::

        add_label(session, composition="CoCrFeMnNi", outcome="single", phases="FCC",
                  source="experiment", method="XRD", processing="annealed 1100C 24h",
                  entered_by="alice", evidence_uri="doi:10.1000/xyz")

    Raises:
        InvalidValue: a field is not allowed (nothing is stored).
    """
    return store_labels(session, [LabelInput.build(**fields)])[0]


def _label_row(session: Session, label_id: int, *, lock: bool = False) -> Label:
    stmt = select(Label).where(Label.id == label_id)
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no label with id {label_id}: list an alloy's labels with "
                       "alloyloop label list COMPOSITION")
    return row


def supersede_label(session: Session, label_id: int, **changes: object) -> LabelRecord:
    """Correct a label: store a new one and mark the old one as superseded by it.

    Every field not given (``None``, blank, an empty list) is the old label's: composition, outcome, source,
    method (unless the source changes: a new source brings its default method), phases
    (unless the outcome changes), processing, entered_by, evidence_uri, provenance and
    note. Only ``external_id`` is not carried over: it names the imported record, which
    the old label stays.

    Raises:
        NotFound: no such label.
        AlreadySuperseded: the label was corrected before; correct the newest one.
        InvalidValue: a field of the correction is not allowed.
    """

    def work() -> LabelRecord:
        old = _label_row(session, label_id, lock=True)
        if old.superseded_by is not None:
            raise AlreadySuperseded(
                f"label {label_id} was already corrected by label {old.superseded_by}: "
                f"supersede label {old.superseded_by} instead"
            )
        old_key = session.execute(select(Alloy.key).where(Alloy.id == old.alloy_id)).scalar_one()
        fields: dict[str, object] = {
            "composition": old_key, "outcome": old.outcome, "source": old.source,
            "method": old.method, "processing": _processing_state(old), "entered_by": old.entered_by,
            "evidence_uri": old.evidence_uri, "provenance": old.provenance, "note": old.note,
        }
        unknown = set(changes) - set(fields) - {"phases", "external_id"}
        if unknown:
            raise InvalidValue(sorted(unknown)[0], changes[sorted(unknown)[0]],
                               fix=f"a correction can change {', '.join(sorted(fields))} or phases")
        # empty means "keep" (None, blank text, no phases ticked), as the web form promises
        given = {k: v for k, v in changes.items() if not _blank(v) and not (isinstance(v, list | tuple) and not v)}
        if "source" in given and "method" not in given and parse_source(given["source"]).value != old.source:
            fields["method"] = None  # a new source brings its own default method, not the old one
        fields |= given
        if "phases" not in given:
            same = parse_outcome(fields["outcome"]).value == old.outcome
            fields["phases"] = list(old.phases) if same else None
        new = LabelInput.build(**fields)
        record = insert_labels(session, [new])[0]
        old.superseded_by = record.id
        session.flush()
        refresh_conflicts(session, {old.alloy_id, record.alloy_id})
        return record

    return run_write(session, work)


def _processing_state(row: Label) -> ProcessingState | None:
    if row.processing is None:
        return None
    return ProcessingState(ProcessingKind(row.processing), row.anneal_temperature_c, row.anneal_time_h)


def get_label(session: Session, label_id: int) -> LabelRecord:
    """One label by id."""
    row = _label_row(session, label_id)
    key = session.execute(select(Alloy.key).where(Alloy.id == row.alloy_id)).scalar_one()
    return LabelRecord.from_row(row, alloy_key=key)


def labels_for(
    session: Session,
    composition: str | Mapping[str, float],
    *,
    include_superseded: bool = True,
) -> list[LabelRecord]:
    """All labels of an alloy (any notation), oldest first; empty if the alloy is unknown."""
    key = parse_alloy(composition).key
    stmt = (
        select(Label, Alloy.key).join(Alloy, Alloy.id == Label.alloy_id)
        .where(Alloy.key == key).order_by(Label.created_at, Label.id)
    )
    if not include_superseded:
        stmt = stmt.where(Label.superseded_by.is_(None))
    return [LabelRecord.from_row(row, alloy_key=k) for row, k in session.execute(stmt).tuples()]


def recent_labels(session: Session, *, limit: int = 50) -> list[LabelRecord]:
    """The newest labels of any alloy, newest first."""
    stmt = (select(Label, Alloy.key).join(Alloy, Alloy.id == Label.alloy_id)
            .order_by(Label.id.desc()).limit(limit))
    return [LabelRecord.from_row(row, alloy_key=k) for row, k in session.execute(stmt).tuples()]


def processing_counts(session: Session, label_ids: Sequence[int]) -> dict[str, int]:
    """How many of the labels ``label_ids`` describe each processing route (``as-cast``,
    ``annealed``, …; ``unknown`` where the label does not say), largest first."""
    counts: dict[str, int] = {}
    ids = sorted({int(i) for i in label_ids})
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        for (route,) in session.execute(select(Label.processing).where(Label.id.in_(chunk))):
            name = route or "unknown"
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
