""".eln export: a campaign or a selection of labels as the ELN Consortium's RO-Crate zip.

Built with the ``rocrate`` package, then zipped as the .eln specification asks: one root
folder (named after the file) holding ``ro-crate-metadata.json`` and the data. A
campaign's crate holds

- ``campaign/``: ``spec.json`` (the campaign spec), ``suggestions.json`` and
  ``suggestions.csv`` (every suggestion with its numbers, explanation and status history)
  and ``rounds.json`` (hits, mean p(single), validation metrics per round);
- ``rounds/round-K/``: the files of each round's report (HTML, plots, tables);
- ``labels/label-ID/``: each label that answered one of its suggestions, with its
  corrections (:mod:`alloyloop.web.eln_records`), and its evidence file when the app stored it.

A label selection holds the ``labels/`` part only. Every file the metadata names is in
the zip; :mod:`alloyloop.web.eln_import` reads the labels back.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rocrate.model.person import Person
from rocrate.rocrate import ROCrate

from alloyloop.agent.campaign_ops import campaign_summaries, round_report_path
from alloyloop.db.campaigns import get_campaign, list_suggestions, rounds
from alloyloop.db.current_labels import label_chains
from alloyloop.db.label_reads import all_label_ids
from alloyloop.db.labels import get_label, labels_for
from alloyloop.db.lifecycle import history
from alloyloop.db.records import LabelRecord
from alloyloop.db.session import Session
from alloyloop.web.eln_records import LABEL_TYPE, evidence_file, label_entry, label_folder

RO_CRATE_VERSION = "1.1"
"""The RO-Crate version the .eln specification names (1.1+); the one ELNs read most widely."""
REPORT_FILES = frozenset({".html", ".png", ".svg", ".csv", ".json"})
"""Files of a round's report folder that are packed (not model checkpoints)."""
SUGGESTION_COLUMNS = ("id", "round", "alloy", "strategy", "status", "p_single", "interval_low",
                      "interval_high", "conformal_set", "in_domain", "acquisition", "label_id")


def _json(value: Any) -> io.BytesIO:  # noqa: ANN401
    return io.BytesIO(json.dumps(value, indent=2, ensure_ascii=False, default=str).encode("utf-8"))


def _new_crate(name: str, description: str) -> ROCrate:
    crate = ROCrate(version=RO_CRATE_VERSION)
    crate.name = name
    crate.description = description
    crate.datePublished = datetime.now(UTC).isoformat(timespec="seconds")
    crate.root_dataset["sdPublisher"] = {"@id": "#alloyloop"}
    crate.add_jsonld({"@id": "#alloyloop", "@type": "Organization", "name": "alloyloop"})
    return crate


def _person(crate: ROCrate, name: str | None) -> dict[str, str]:
    """A reference to the Person entity of who entered a label (added once)."""
    ref = f"#person-{quote(name or 'unknown', safe='')}"
    if crate.dereference(ref) is None:
        crate.add(Person(crate, ref, properties={"name": name or "unknown"}))
    return {"@id": ref}


def selected_labels(session: Session, compositions: Sequence[str] = ()) -> list[LabelRecord]:
    """The labels of these alloys (any notation), or every label when none is named, each
    with its corrections, oldest first."""
    if compositions:
        ids = [label.id for c in compositions for label in labels_for(session, c)]
    else:
        ids = all_label_ids(session)
    return chained_labels(session, ids) if ids else []


def chained_labels(session: Session, label_ids: Sequence[int]) -> list[LabelRecord]:
    """The labels and every correction of them, oldest first."""
    ids = {i for chain in label_chains(session, label_ids).values() for i in chain}
    return [get_label(session, i) for i in sorted(ids)]


def add_labels(crate: ROCrate, labels: Sequence[LabelRecord]) -> None:
    """A folder per label: ``label.json`` and its evidence file."""
    for label in labels:
        folder = label_folder(label.id)
        evidence = evidence_file(label)
        parts = [crate.add_file(_json(label_entry(label, evidence)), f"{folder}label.json",
                                properties={"name": "label record", "encodingFormat": "application/json"})]
        if evidence is not None:
            parts.append(crate.add_file(evidence[0], f"{folder}{evidence[0].name}",
                                        properties={"name": evidence[1], "description": "evidence"}))
        crate.add_dataset(dest_path=folder, properties={
            "name": f"{label.alloy_key}: {label.outcome} ({label.source}, {label.method})",
            "additionalType": LABEL_TYPE, "identifier": f"label-{label.id}",
            "dateCreated": label.created_at.isoformat(), "author": _person(crate, label.entered_by),
            "text": label.note or "", "keywords": f"alloyloop, phase label, {label.outcome}",
            "hasPart": [{"@id": p.id} for p in parts]})


def _suggestions(session: Session, campaign: str) -> tuple[list[dict[str, Any]], list[int]]:
    index_of = {r.id: r.index for r in rounds(session, campaign)}
    rows, label_ids = [], []
    for s in list_suggestions(session, campaign=campaign):
        rows.append({"id": s.id, "round": index_of[s.round_id], "alloy": s.alloy_key, "strategy": s.strategy,
                     "status": s.status, "p_single": s.p_single, "interval_low": s.interval_low,
                     "interval_high": s.interval_high, "conformal_set": s.prediction_set,
                     "in_domain": s.in_domain, "acquisition": s.acquisition, "label_id": s.label_id,
                     "detail": {k: v for k, v in (s.extra or {}).items() if k != "path"},
                     "history": [e.to_dict() for e in history(session, s.id)]})
        if s.label_id is not None:
            label_ids.append(s.label_id)
    return rows, label_ids


def _csv(rows: list[dict[str, Any]]) -> io.BytesIO:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(SUGGESTION_COLUMNS)
    for row in rows:
        cells = [row[c] for c in SUGGESTION_COLUMNS]
        writer.writerow(["+".join(c) if isinstance(c, list) else "" if c is None else c for c in cells])
    return io.BytesIO(text.getvalue().encode("utf-8"))


def campaign_crate(session: Session, name: str) -> ROCrate:
    """The crate of a campaign: spec, suggestions, rounds, reports and labels."""
    record = get_campaign(session, name)
    crate = _new_crate(f"alloyloop campaign {name}",
                       f"Campaign {name} of alloyloop (closed-loop design of single-phase high-entropy "
                       "alloys): its spec, suggestions with their status history, round reports and "
                       "the phase labels that answered them.")
    suggestions, label_ids = _suggestions(session, name)
    parts = [crate.add_file(_json(record.spec), "campaign/spec.json", properties={"name": "campaign spec"}),
             crate.add_file(_json(suggestions), "campaign/suggestions.json", properties={"name": "suggestions"}),
             crate.add_file(_csv(suggestions), "campaign/suggestions.csv",
                            properties={"name": "suggestions (table)", "encodingFormat": "text/csv"}),
             crate.add_file(_json([{k: v for k, v in vars(s).items() if k != "report"}
                                   for s in campaign_summaries(session, name)]),
                            "campaign/rounds.json", properties={"name": "rounds"})]
    crate.add_dataset(dest_path="campaign/", properties={
        "name": f"campaign {name}", "additionalType": "alloyloop:Campaign", "identifier": name,
        "dateCreated": record.created_at.isoformat(), "hasPart": [{"@id": p.id} for p in parts]})
    for r in rounds(session, name):
        report = round_report_path(session, r.id)
        folder = Path(report).parent if report else None
        if folder is None or not folder.is_dir():
            continue
        files = [crate.add_file(f, f"rounds/round-{r.index}/{f.name}", properties={"name": f.name})
                 for f in sorted(folder.iterdir()) if f.is_file() and f.suffix.lower() in REPORT_FILES]
        crate.add_dataset(dest_path=f"rounds/round-{r.index}/", properties={
            "name": f"round {r.index} report", "additionalType": "alloyloop:RoundReport",
            "hasPart": [{"@id": f.id} for f in files]})
    add_labels(crate, chained_labels(session, label_ids))
    return crate


def labels_crate(labels: Sequence[LabelRecord], title: str) -> ROCrate:
    """The crate of a label selection."""
    crate = _new_crate(title, "Phase labels of high-entropy alloys from alloyloop, with their evidence "
                              "files, provenance and corrections.")
    add_labels(crate, labels)
    return crate


def write_eln(crate: ROCrate, out: Path) -> Path:
    """Zip the crate as an .eln: one root folder named after the file (written atomically)."""
    out = Path(out)
    root = out.stem or "export"
    # the root lists the folders; each folder lists its files (rocrate lists every entity at the root)
    crate.root_dataset["hasPart"] = [{"@id": e.id} for e in crate.data_entities if e.type == "Dataset"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / root
        crate.write(folder)
        partial = out.with_name(f".{out.name}.partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                archive.write(path, f"{root}/{path.relative_to(folder).as_posix()}")
        shutil.move(partial, out)
    return out
