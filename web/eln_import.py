""".eln import: the labels of an alloyloop .eln back into a store, all or nothing.

The zip is unpacked with checks (one root folder, no path leaving it, bounded size) and
read with ``rocrate``; every folder typed ``alloyloop:PhaseLabel`` gives a label from its
``label.json`` (:mod:`alloyloop.web.eln_records`). All labels are validated by the store's
rules first and every problem reported at once, naming the label folder; then their
evidence files are stored (content-addressed, checked as uploads) and the labels written
in one transaction, each audited (``label.add`` / ``label.supersede`` by the importer;
``entered_by`` stays who measured it). A label that was corrected in the exporting store
is imported with its correction (``supersede``), so the same labels are current. A label
identical to one already in this store refuses the whole file (imported before?).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from rocrate.rocrate import ROCrate

from alloyloop.db.audit import add_label_audited, supersede_label_audited
from alloyloop.db.errors import DuplicateLabel, InvalidValue, InvalidValues
from alloyloop.db.labels import validate_label
from alloyloop.db.records import LabelRecord
from alloyloop.db.session import Session
from alloyloop.db.tx import run_write
from alloyloop.web.eln_records import LABEL_TYPE, store_fields
from alloyloop.web.errors import UnsupportedUpload
from alloyloop.web.uploads import EVIDENCE_TYPES, STORED_NAME, StoredFile, check_type, store_bytes

MAX_UNPACKED = 2 * 1024 ** 3
MAX_MEMBERS = 200_000


@dataclass(frozen=True)
class ElnLabel:
    """One label of the file: its folder, record, and evidence file (path, name) if packed."""

    folder: str
    entry: dict[str, Any]
    evidence: tuple[Path, str] | None


def unpack(path: Path, into: Path) -> Path:
    """Extract an .eln into ``into`` and return its root folder.

    Raises:
        InvalidValue: not a zip, several root folders, a path leaving the folder, too big.
    """
    if not zipfile.is_zipfile(path):
        raise InvalidValue("file", path.name, fix="give an .eln file (a zip archive), as exported by an ELN")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        roots = {PurePosixPath(m.filename).parts[0] for m in members if m.filename.strip("/")}
        if len(roots) != 1 or len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED:
            raise InvalidValue("file", path.name, fix="an .eln holds one root folder (at most 2 GiB, "
                                                      f"{MAX_MEMBERS} files): export it again")
        for m in members:
            parts = PurePosixPath(m.filename).parts
            if m.filename.startswith(("/", "\\")) or ".." in parts or ":" in m.filename:
                raise InvalidValue("file", m.filename, fix="a path inside the .eln leaves its folder: refused")
        archive.extractall(into)
    root = into / roots.pop()
    if not (root / "ro-crate-metadata.json").is_file():
        raise InvalidValue("file", path.name, fix="the .eln has no ro-crate-metadata.json in its root folder")
    return root


def read_labels(root: Path) -> list[ElnLabel]:
    """The label folders of an unpacked .eln (its crate read with ``rocrate``), by label id."""
    crate = ROCrate(root)
    found = []
    for entity in crate.get_by_type("Dataset"):
        if entity.get("additionalType") != LABEL_TYPE:
            continue
        folder = entity.id
        record = root / folder / "label.json"
        if not record.resolve().is_relative_to(root.resolve()):
            raise InvalidValue("file", folder, fix="a folder named in the .eln leaves it: refused")
        try:
            entry = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidValue("label.json", folder, fix=f"the label record cannot be read ({exc}): export it again") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), int) or \
                not isinstance(entry.get("superseded_by"), int | None):
            raise InvalidValue("label.json", folder, fix="a label record of an alloyloop export, with its integer "
                                                         "id and superseded_by, was expected: export it again")
        evidence = None
        if entry.get("evidence_file"):
            file = root / folder / str(entry["evidence_file"])
            if not STORED_NAME.match(file.name) or not file.is_file():
                raise InvalidValue("evidence_file", f"{folder}{entry['evidence_file']}",
                                   fix="the evidence file named in label.json is missing from the .eln")
            evidence = (file, str(entry.get("evidence_name") or file.name))
        found.append(ElnLabel(folder, entry, evidence))
    if not found:
        raise InvalidValue("file", root.name, fix="the .eln holds no alloyloop labels (folders typed "
                                                  f"{LABEL_TYPE}): export labels with alloyloop")
    return sorted(found, key=lambda item: item.entry["id"])


def _evidence(item: ElnLabel, evidence_dir: Path) -> tuple[bytes, str, StoredFile] | None:
    """The packed evidence file, checked as an upload, and where it will be stored."""
    if item.evidence is None:
        return None
    path, name = item.evidence
    data = path.read_bytes()
    match = STORED_NAME.match(path.name)
    assert match is not None  # read_labels checked the name
    if hashlib.sha256(data).hexdigest() != match["sha"]:
        raise InvalidValue("evidence_file", f"{item.folder}{path.name}",
                           fix="its content does not match its name (the .eln was damaged): export it again")
    try:
        ext = check_type(f"x.{match['ext']}", data, EVIDENCE_TYPES)
    except UnsupportedUpload as exc:
        raise InvalidValue("evidence_file", f"{item.folder}{path.name}", fix=str(exc.detail)) from None
    target = StoredFile(evidence_dir / path.name, match["sha"], name, len(data))
    return data, ext, target


def check_labels(items: list[ElnLabel], evidence_dir: Path) -> list[dict[str, object]]:
    """The store fields of every label, or every problem at once (naming the folder)."""
    out, problems = [], []
    for item in items:
        try:
            stored = _evidence(item, evidence_dir)
            uri = stored[2].uri if stored else item.entry.get("evidence_uri")
            fields = store_fields(item.entry, uri)
        except InvalidValue as exc:
            problems.append(InvalidValue(f"{item.folder}{exc.field}", exc.value, fix=exc.fix))
            continue
        _, errors = validate_label(**fields)
        problems += [InvalidValue(f"{item.folder}{e.field}", e.value, fix=e.fix) for e in errors]
        out.append(fields)
    if problems:
        raise problems[0] if len(problems) == 1 else InvalidValues(problems)
    return out


def import_eln(session: Session, path: Path, evidence_dir: Path, *, actor: str,
               dry_run: bool = False) -> list[LabelRecord]:
    """Import the labels of an .eln (all or nothing); returns the labels stored (or, on a
    dry run, checked and not stored: an empty list)."""
    with tempfile.TemporaryDirectory() as tmp:
        items = read_labels(unpack(Path(path), Path(tmp)))
        fields = check_labels(items, evidence_dir)
        if dry_run:
            return []
        for item in items:
            stored = _evidence(item, evidence_dir)
            if stored is not None:
                store_bytes(evidence_dir, stored[0], stored[1], stored[2].original_name)
    return run_write(session, lambda: _store(session, items, fields, actor))


def _store(session: Session, items: list[ElnLabel], fields: list[dict[str, object]], actor: str) -> list[LabelRecord]:
    new_id: dict[int, int] = {}  # id in the exporting store → id here
    successor_of: dict[int, int] = {int(i.entry["superseded_by"]): int(i.entry["id"])
                                    for i in items if i.entry.get("superseded_by") is not None}
    stored = []
    for item, values in zip(items, fields):
        old_id = int(item.entry["id"])
        corrects = successor_of.get(old_id)
        if corrects is not None and corrects in new_id:
            label = supersede_label_audited(session, new_id[corrects], actor=actor, **values)
        else:
            try:
                label = add_label_audited(session, actor=actor, **values)
            except DuplicateLabel as exc:
                if exc.existing_id not in new_id.values():
                    raise
                # identical to a label of this same file: a repeat measurement there too
                label = add_label_audited(session, actor=actor, **values, repeat=True)
        new_id[old_id] = label.id
        stored.append(label)
    return stored
