"""Duplicate labels: the same observation entered twice is refused unless it is a repeat.

Two labels are the same observation when they agree on the alloy, the outcome, the
phases (in any order), the source, the method, the processing state (kind, anneal
temperature and time) and the evidence (a DOI in any of its spellings; an uploaded file
by its content, whatever name it was uploaded under). Who entered it, the note, the
provenance and the external id do not count: re-entering a label with another note is
still the same label, and a re-exported spreadsheet has new row numbers.

Only current (not superseded) labels are compared. A repeat measurement (a second sample,
a second scan) is stored when the person says so (``repeat``), and then counts like any
label. Refused duplicates are not stored, so they never count towards a campaign's
retrain trigger. Corrections (:func:`alloyloop.db.labels.supersede_label`) replace a
label instead of adding one and are not compared here; an unchanged correction is
refused there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from alloyloop.db.alloys import CHUNK
from alloyloop.db.errors import DuplicateLabel
from alloyloop.db.models import Alloy, Label

if TYPE_CHECKING:
    from alloyloop.db.labels import LabelInput

Identity = tuple[object, ...]
SAME = ("alloy", "outcome", "phases", "source", "method", "processing", "evidence")
"""What two labels must share to be the same observation (said in the error messages)."""


def _evidence(uri: str | None) -> str | None:
    if uri is None:
        return None
    if uri.lower().startswith("doi:"):
        return f"https://doi.org/{uri[4:]}".lower()
    if uri.lower().startswith(("https://doi.org/", "http://doi.org/", "https://dx.doi.org/")):
        return f"https://doi.org/{uri.split('doi.org/', 1)[1]}".lower()
    if uri.startswith("file:"):
        return urlparse(uri).path.rsplit("/", 1)[-1]  # the content hash and type, not the name
    return uri


def identity(key: str, columns: Mapping[str, object]) -> Identity:
    """What makes a label the same observation (``columns``: a label row's values)."""
    return (key, columns["outcome"], tuple(sorted(columns["phases"] or ())), columns["source"],  # type: ignore[arg-type]
            columns["method"], columns["processing"], columns["anneal_temperature_c"],
            columns["anneal_time_h"], _evidence(columns["evidence_uri"]))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Duplicate:
    """What a label repeats: a stored label (``label_id``) or an earlier one of the same
    batch (``index`` into it)."""

    label_id: int | None = None
    index: int | None = None


def current_identities(session: Session, keys: Sequence[str]) -> dict[Identity, int]:
    """Identity → the oldest current label with it, for the alloys ``keys``."""
    found: dict[Identity, int] = {}
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), CHUNK):
        stmt = (select(Label, Alloy.key).join(Alloy, Alloy.id == Label.alloy_id)
                .where(Alloy.key.in_(wanted[start:start + CHUNK]), Label.superseded_by.is_(None))
                .order_by(Label.id))
        for row, key in session.execute(stmt).tuples():
            found.setdefault(identity(key, row.model_dump()), row.id)  # type: ignore[arg-type]
    return found


def find_duplicates(session: Session, inputs: Sequence[LabelInput]) -> list[Duplicate | None]:
    """Per input: what it duplicates (a current label, or an earlier input), or None.

    Inputs marked ``repeat`` are never duplicates; they still make later unmarked copies
    duplicates of them.
    """
    stored = current_identities(session, [i.composition.key for i in inputs])
    seen: dict[Identity, int] = {}
    out: list[Duplicate | None] = []
    for n, item in enumerate(inputs):
        ident = identity(item.composition.key, item.columns())
        found = None
        if not item.repeat:
            if ident in stored:
                found = Duplicate(label_id=stored[ident])
            elif ident in seen:
                found = Duplicate(index=seen[ident])
        seen.setdefault(ident, n)
        out.append(found)
    return out


def refuse_duplicates(session: Session, inputs: Sequence[LabelInput], alloy_ids: Mapping[str, int]) -> None:
    """Raise :class:`DuplicateLabel` for the first input that duplicates a current label
    (call it with the alloys locked, so two writers cannot both pass)."""
    if all(i.repeat for i in inputs):
        return
    for item, dup in zip(inputs, find_duplicates(session, inputs)):
        if dup is not None:
            raise DuplicateLabel(item.composition.key, dup.label_id)
