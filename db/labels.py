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

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from alloyloop.db.alloys import ensure_alloys, lock_alloys, parse_alloy, refresh_conflicts
from alloyloop.db.duplicates import identity, refuse_duplicates
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

MAX_LENGTH = {"composition": 200, "processing": 120, "entered_by": 120, "evidence_uri": 2000,
              "note": 4000, "provenance": 20_000, "external_id": 300}
"""Longest text the store keeps per field (characters, after stripping), for every route."""
MAX_NAME = MAX_LENGTH["entered_by"]
MAX_PHASES = 20
MULTILINE = frozenset({"note", "provenance"})
"""Free-text fields that may hold line breaks; the others are one line."""
CORRECTABLE = ("outcome", "phases", "source", "method", "processing", "composition", "evidence_uri", "note",
               "provenance")
"""What a correction may change; one of them must differ from the old label."""


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
    repeat: bool = False
    """A repeat measurement: stored even when identical to a current label of the alloy
    (see :mod:`alloyloop.db.duplicates`); not a column."""

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
    if not isinstance(value, str):
        raise InvalidValue(name, value, fix="give text")
    text = value.strip()
    limit = MAX_LENGTH.get(name) if limit is None else limit
    if limit is not None and len(text) > limit:
        raise InvalidValue(name, text[:80] + "…", fix=f"shorten it to at most {limit} characters "
                           f"(it has {len(text):,})")
    # NUL cannot be stored in PostgreSQL text, lone surrogates in no UTF-8 database; other
    # control characters are invisible garbage (tabs, and line breaks in the note, are fine)
    allowed = "\t\n\r" if name in MULTILINE else "\t"
    bad = next((ch for ch in text if (ch < " " and ch not in allowed) or "\x7f" <= ch <= "\x9f"
                or "\ud800" <= ch <= "\udfff"), None)
    if "\ufffd" in text:
        raise InvalidValue(name, text[:80], fix="the text holds U+FFFD, the mark of bytes that were not UTF-8 "
                           "(a damaged copy): retype it, or save the file as UTF-8")
    if bad is not None:
        what = "unpaired surrogate" if ord(bad) >= 0xD800 else "control character"
        where = "" if name in MULTILINE or bad not in "\n\r" else " (line breaks belong in the note only)"
        raise InvalidValue(name, text.encode("utf-8", "backslashreplace").decode("utf-8")[:80],
                           fix=f"remove the {what} U+{ord(bad):04X}{where} (NUL and other control "
                           "characters cannot be stored)")
    return text


EVIDENCE_FILE = re.compile(r"^/(?:[^/#?]+/)*[0-9a-f]{64}\.(?:png|jpe?g|pdf|tiff?|xye?|csv|txt|dat|xrdml|ras|uxd|chi)$")
"""The name of an evidence file the app stored itself (``<sha256>.<ext>``, content-addressed:
the web upload, ``label from-xrd``, the XRD page): the only ``file:`` URIs a label may cite."""
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


def parse_evidence(value: object) -> str | None:
    """A URI for the evidence, from an allow-list: ``https://`` / ``http://`` addresses,
    ``doi:10.…`` (a bare DOI becomes ``https://doi.org/…``), ``urn:…`` (ISBN, sample ids),
    and the ``file://`` URI of an evidence file the app stored (:data:`EVIDENCE_FILE`).
    Anything else (``javascript:``, ``data:``, ``file:///etc/passwd``, a local path) is
    refused: evidence becomes a link on the lab's pages.
    """
    text = _text("evidence_uri", value)
    if text is None:
        return None
    if _DOI.match(text):
        return f"https://doi.org/{text}"
    parsed = urlparse(text)
    scheme = parsed.scheme.lower()
    ok = (
        (scheme in ("https", "http") and bool(parsed.netloc) and " " not in text)
        or (scheme == "doi" and bool(_DOI.match(text[4:])))
        or (scheme == "urn" and re.match(r"^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$", text, re.IGNORECASE) is not None)
        or (scheme == "file" and parsed.netloc in ("", "localhost") and not parsed.query
            and EVIDENCE_FILE.match(unquote(parsed.path)) is not None)
    )
    if not ok:
        raise InvalidValue(
            "evidence_uri", text[:200],
            fix="give an https:// or http:// address, a DOI (doi:10.… or 10.…/…), a urn:…, or upload "
            "the file (web form, POST /api/v1/evidence, or a local file path with the CLI's --evidence)",
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


_YES = {"yes", "y", "true", "1", "x", "on", "repeat", "ja", "oui"}
_NO = {"no", "n", "false", "0", "off", ""}


def parse_repeat(value: object) -> bool:
    """Whether a label is a repeat measurement: a bool, or a form's / spreadsheet's
    ``yes`` / ``x`` / ``true`` / ``1`` (``no``, ``0`` or empty: not a repeat)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _YES | _NO:
        return value.strip().lower() in _YES
    raise InvalidValue("repeat", value, fix="write yes (a repeat measurement of a label already stored) "
                       "or leave it empty")


def _composition(value: object) -> ParsedComposition:
    if isinstance(value, str) and len(value.strip()) > MAX_LENGTH["composition"]:
        raise InvalidValue("composition", value.strip()[:80] + "…",
                           fix=f"shorten it to at most {MAX_LENGTH['composition']} characters")
    if value is not None and not isinstance(value, str | Mapping):
        raise InvalidValue("composition", value, fix="give the composition as text, e.g. Al0.5CoCrFeNi")
    return parse_alloy(value)  # type: ignore[arg-type]


def _phases(value: object) -> list[Phase]:
    if isinstance(value, list | tuple):
        if len(value) > MAX_PHASES:
            raise InvalidValue("phases", f"{len(value)} phases", fix=f"list at most {MAX_PHASES} phases")
        value = [v for v in value if not (isinstance(v, str) and not v.strip())]  # empty boxes, cells
    return parse_phases(value)  # type: ignore[arg-type]


def _processing(value: object, temperature_c: object, time_h: object) -> ProcessingState | None:
    if isinstance(value, str):
        _text("processing", value)  # length and control characters, before the words are read
    return parse_processing(value, temperature_c, time_h)  # type: ignore[arg-type]


def validate_label(
    *,
    composition: str | Mapping[str, float] | ParsedComposition,
    outcome: object,
    source: object,
    method: object = None,
    phases: object = None,
    processing: object = None,
    anneal_temperature_c: object = None,
    anneal_time_h: object = None,
    entered_by: object = None,
    evidence_uri: object = None,
    provenance: object = None,
    note: object = None,
    external_id: object = None,
    repeat: object = False,
) -> tuple[LabelInput | None, list[InvalidValue]]:
    """Validate every field and collect all problems (for per-row reports).

    These are the rules of a label for every route (web form, JSON API, CLI, CSV import,
    XRD, CALPHAD): the routes only translate their input into these arguments.
    ``anneal_temperature_c`` / ``anneal_time_h``: the anneal's numbers when given apart
    from the processing text (°C and hours; numbers or text, decimal commas read).
    ``repeat``: the label is a repeat measurement (see :mod:`alloyloop.db.duplicates`).

    Returns:
        ``(label, [])`` when valid, else ``(None, errors)`` with one error per bad field.
    """
    c = _Collector()
    # an already parsed composition is trusted (batch importers parse each alloy once)
    parsed = composition if isinstance(composition, ParsedComposition) else c.take(_composition, composition)
    out = c.take(parse_outcome, outcome)
    src = c.take(parse_source, source)
    meth = c.take(parse_method, method, src) if src is not None else None
    phase_list = c.take(_phases, phases)
    if out is not None and phase_list is not None:
        c.take(check_outcome_phases, out, phase_list)
    state = c.take(_processing, processing, anneal_temperature_c, anneal_time_h)
    by = c.take(_text, "entered_by", entered_by)
    uri = c.take(parse_evidence, evidence_uri)
    prov = c.take(_text, "provenance", provenance)
    text = c.take(_text, "note", note)
    ext = c.take(_text, "external_id", external_id)
    again = c.take(parse_repeat, repeat)
    if c.errors:
        return None, c.errors
    return LabelInput(
        composition=parsed, outcome=out, source=src, method=meth, phases=tuple(phase_list),
        processing=state, entered_by=by, evidence_uri=uri, provenance=prov, note=text,
        external_id=ext, repeat=bool(again),
    ), []


def insert_labels(session: Session, inputs: Sequence[LabelInput]) -> list[LabelRecord]:
    """Insert validated labels inside the caller's transaction (see :func:`store_labels`);
    they close the open suggestions of their alloys (:mod:`alloyloop.db.suggestion_links`)."""
    ids = ensure_alloys(session, (i.composition for i in inputs))
    lock_alloys(session, ids.values())
    refuse_duplicates(session, inputs, ids)
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
        InvalidValue / InvalidValues: a field is not allowed (nothing is stored).
        DuplicateLabel: the alloy has a current label with the same values and the label
            is not marked ``repeat=True`` (nothing is stored).
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

    A correction must change something: one that gives no value, or only values equal to
    the old label's (who enters it does not count), is refused.

    Raises:
        NotFound: no such label.
        AlreadySuperseded: the label was corrected before; correct the newest one.
        InvalidValue: a field of the correction is not allowed, or it changes nothing
            (field ``correction``).
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
        unknown = set(changes) - set(fields) - {"phases", "external_id", "anneal_temperature_c", "anneal_time_h"}
        if unknown:
            raise InvalidValue(sorted(unknown)[0], changes[sorted(unknown)[0]],
                               fix=f"a correction can change {', '.join(CORRECTABLE)}")
        # empty means "keep" (None, blank text, no phases ticked), as the web form promises
        given = {k: v for k, v in changes.items()
                 if not (v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, list | tuple) and not v))}
        if not set(given) & (set(CORRECTABLE) | {"anneal_temperature_c", "anneal_time_h"}):
            raise _unchanged(label_id)
        if "source" in given and "method" not in given and parse_source(given["source"]).value != old.source:
            fields["method"] = None  # a new source brings its own default method, not the old one
        anneal = {k: given.pop(k) for k in ("anneal_temperature_c", "anneal_time_h") if k in given}
        if anneal and "processing" not in given and fields["processing"] is not None:
            state = fields["processing"]  # the old anneal, with the numbers given replaced
            assert isinstance(state, ProcessingState)
            fields["processing"] = ProcessingState(
                state.kind, None if "anneal_temperature_c" in anneal else state.temperature_c,
                None if "anneal_time_h" in anneal else state.time_h)
        fields |= given | anneal
        if "phases" not in given:
            same = parse_outcome(fields["outcome"]).value == old.outcome
            fields["phases"] = list(old.phases) if same else None
        # a correction replaces a label instead of adding an observation: not a duplicate
        new = LabelInput.build(**fields, repeat=True)
        was = identity(old_key, old.model_dump()) + (old.note, old.provenance)
        if identity(new.composition.key, new.columns()) + (new.note, new.provenance) == was:
            raise _unchanged(label_id, same_values=True)
        record = insert_labels(session, [new])[0]
        old.superseded_by = record.id
        session.flush()
        refresh_conflicts(session, {old.alloy_id, record.alloy_id})
        return record

    return run_write(session, work)


def _unchanged(label_id: int, *, same_values: bool = False) -> InvalidValue:
    why = "gives the label's own values" if same_values else "changes nothing"
    return InvalidValue("correction", None if not same_values else f"label #{label_id} unchanged",
                        fix=f"this correction of label #{label_id} {why}: change at least one of: "
                        f"{', '.join(CORRECTABLE)} (nothing was stored)")


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
