"""A label as an ``.eln`` record: the JSON a label folder carries, and back.

One label is one folder of the crate (``labels/label-ID/``): ``label.json`` (this module's
:func:`label_entry`, every field of the label and its correction link) and, when its
evidence is a file the app stored, that file under its content-addressed name. Import
reads ``label.json`` back into the store's own label fields (:func:`store_fields`), so an
imported label passes the same rules as every other route.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from alloyloop.db.errors import InvalidValue
from alloyloop.db.records import LabelRecord
from alloyloop.web.uploads import STORED_NAME

LABEL_TYPE = "alloyloop:PhaseLabel"
"""``additionalType`` of a label folder (what import looks for)."""
FORMAT = "alloyloop-label/1"
STORED_FIELDS = ("outcome", "phases", "source", "method", "processing", "anneal_temperature_c",
                 "anneal_time_h", "entered_by", "provenance", "note", "external_id")
"""Fields that go back to the store as they are (besides the alloy and the evidence)."""


def label_folder(label_id: int) -> str:
    return f"labels/label-{label_id}/"


def local_evidence(uri: str | None) -> tuple[Path, str] | None:
    """The app-stored evidence file a ``file:`` URI names (``<sha256>.<ext>``) and the name
    it was uploaded under; None for any other evidence (a DOI, an address)."""
    if not uri or not uri.lower().startswith("file:"):
        return None
    parsed = urlparse(uri)
    path = Path(unquote(parsed.path))
    return path, unquote(parsed.fragment) or path.name


def evidence_file(label: LabelRecord) -> tuple[Path, str] | None:
    """The label's evidence file to pack, checked against its content-addressed name.

    Raises:
        InvalidValue: the file is missing or its content no longer matches its name.
    """
    found = local_evidence(label.evidence_uri)
    if found is None:
        return None
    path, name = found
    match = STORED_NAME.match(path.name)
    if match is None or not path.is_file():
        raise InvalidValue("evidence_uri", label.evidence_uri,
                           fix=f"label #{label.id}'s evidence file is not on this machine: export where "
                               "the web app keeps its evidence folder")
    if hashlib.sha256(path.read_bytes()).hexdigest() != match["sha"]:
        raise InvalidValue("evidence_uri", label.evidence_uri,
                           fix=f"label #{label.id}'s evidence file was changed after upload: restore it from a backup")
    return path, name


def label_entry(label: LabelRecord, evidence: tuple[Path, str] | None) -> dict[str, Any]:
    """``label.json`` of a label: its record, and the packed evidence file's name if any."""
    entry = {"format": FORMAT, **label.to_dict()}
    entry.pop("alloy_id", None)  # the exporting store's row id means nothing elsewhere
    if evidence is not None:
        entry["evidence_file"], entry["evidence_name"] = evidence[0].name, evidence[1]
    return entry


def store_fields(entry: dict[str, Any], evidence_uri: str | None) -> dict[str, object]:
    """The store's label fields of a ``label.json`` (the evidence URI as stored here).

    Raises:
        InvalidValue: not a label record of this format.
    """
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or not isinstance(entry.get("alloy_key"), str):
        raise InvalidValue("label.json", str(entry)[:80],
                           fix=f"a label record of an alloyloop export ({FORMAT}) was expected")
    return {"composition": entry["alloy_key"], "evidence_uri": evidence_uri,
            **{name: entry.get(name) for name in STORED_FIELDS}}
