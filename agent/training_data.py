"""From a store snapshot to the matrices one round trains and suggests on.

- Labelled: the training labels (:mod:`alloyloop.db.resolver`) of alloys made only of the model
  palette's elements, minus what the campaign must not see: alloys hidden by its replay
  oracle (unless the oracle has revealed them) and labels simulated for *other* campaigns.
- Validation: a seeded, stratified share of those rows (``val_fraction`` of the DVAE
  config) for early stopping, temperature, conformal threshold and the report's ROC and
  calibration plots.
- Start fraction (replays): a seeded, class-stratified share of the visible labelled
  alloys keeps its labels; the others' labels are withheld for the whole campaign.
- Candidates: with a candidate pool (:mod:`alloyloop.agent.pool`), its open rows (no training
  label, not pending, not given up on) inside the palette.
- Unlabelled: the corpus' unlabelled pool inside the palette, plus the alloys whose
  labels are withheld and the open candidates (their compositions are known, their
  labels not: what the semi-supervised model is for), optionally capped.
- Phase4 labels: beside the single/multi ``y``, each labelled alloy's structure word for a
  ``label = "phase4"`` model (:func:`phase4_words`: FCC / BCC / HCP from the label's
  phases, multi, or single when a single-phase label names no structure — a partial
  label the model sums over) and its processing route (the resolved label's, see
  :mod:`alloyloop.db.resolver`; None = unknown).
- Design route (``[model] processing``): :func:`check_design_route` refuses a round whose
  training labels hold none of the route the campaign designs for, and warns below
  :data:`MIN_ROUTE_LABELS`.
- Pending: the campaign's suggestions in the lab (queued / synthesized), and the alloys of
  its failed or abandoned suggestions: strategies treat all of them as taken, so nothing
  in the lab and nothing the lab gave up on is suggested again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import warnings

import numpy as np
import pandas as pd

from alloyloop.agent.labelers import ALL_LABELS, TrainingView
from alloyloop.db.snapshot import Snapshot
from alloyloop.featurize.composition import parse_composition
from alloyloop.featurize.corpus import load_unlabelled_pool
from alloyloop.featurize.matrix import fraction_matrix
from alloyloop.models.processing import UNKNOWN, route_words
from alloyloop.models.target import label_word

if TYPE_CHECKING:
    from alloyloop.agent.pool import Pool


@dataclass(frozen=True)
class RoundData:
    """Everything a round's model and strategies see; matrices are over ``elements``.

    ``X``/``y``/``keys`` hold every labelled row (training and validation); ``train`` and
    ``val`` index into them.
    """

    elements: tuple[str, ...]
    keys: tuple[str, ...]
    X: np.ndarray
    y: np.ndarray
    train: np.ndarray
    val: np.ndarray
    X_unlabelled: np.ndarray
    pending_keys: tuple[str, ...]
    """Pending and closed (failed / abandoned) alloys: not to be suggested."""
    X_pending: np.ndarray
    data_hash: str
    n_hidden: int
    X_candidates: np.ndarray | None = None
    """``(c, E)`` open candidates of the campaign's pool; None without a pool."""
    candidate_keys: tuple[str, ...] = ()
    n_withheld: int = 0
    """Labelled alloys whose labels the start fraction withholds."""
    phase4: np.ndarray | None = None
    """``(n,)`` structure words of the labelled rows (:func:`phase4_words`)."""
    processing: np.ndarray | None = None
    """``(n,)`` processing routes of the labelled rows (None entries = unknown); None when
    the training frame has no ``processing`` column."""

    def model_labels(self, label: str) -> np.ndarray:
        """The labels a model with ``DVAEConfig.label`` = ``label`` trains on: ``y``
        (``"single"``) or :attr:`phase4` (``"phase4"``), for every labelled row."""
        if label == "phase4":
            if self.phase4 is None:
                raise ValueError("this round has no phase4 labels: build it with round_data")
            return self.phase4
        return self.y

    def processing_counts(self, rows: np.ndarray | None = None) -> dict[str, int]:
        """Labelled rows per processing route (``"unknown"`` where the label does not say),
        largest first; ``rows`` indexes the labelled rows (default: all of them, training
        and validation)."""
        idx = np.arange(len(self.keys)) if rows is None else np.asarray(rows, dtype=np.int64)
        words = route_words(None if self.processing is None else self.processing[idx], len(idx))
        names, counts = np.unique(words.astype(str), return_counts=True)
        return dict(sorted(((str(n), int(c)) for n, c in zip(names, counts)),
                           key=lambda kv: (-kv[1], kv[0])))

    @property
    def X_train(self) -> np.ndarray:
        return self.X[self.train]

    @property
    def y_train(self) -> np.ndarray:
        return self.y[self.train]

    @property
    def X_val(self) -> np.ndarray:
        return self.X[self.val]

    @property
    def y_val(self) -> np.ndarray:
        return self.y[self.val]


def campaign_labels(frame: pd.DataFrame, palette: Collection[str], campaign: str, *,
                    hidden_keys: Collection[str] = (),
                    simulated_owner: Mapping[int, str] | None = None) -> tuple[pd.DataFrame, int]:
    """The rows of a training frame this campaign trains on, and how many hidden ones were cut.

    Args:
        frame: :func:`alloyloop.db.resolver.training_frame` (``key``, ``fractions``, ``single_phase``,
            ``label_id`` …).
        palette: the model's elements.
        campaign: the campaign's name.
        hidden_keys: alloys its replay oracle hides.
        simulated_owner: label id -> campaign of simulated (replayed) labels.
    """
    owners = simulated_owner or {}
    inside = frame["fractions"].map(lambda f: set(f) <= set(palette))
    owner = frame["label_id"].map(lambda i: owners.get(int(i)) if pd.notna(i) else None)
    foreign = owner.notna() & (owner != campaign)
    hidden = frame["key"].isin(set(hidden_keys)) & (owner != campaign)
    keep = inside & ~foreign & ~hidden & frame["single_phase"].notna()
    return frame[keep].sort_values("key").reset_index(drop=True), int((inside & hidden).sum())


def phase4_words(frame: pd.DataFrame) -> np.ndarray:
    """``(n,)`` phase4 words of a training frame's rows
    (:func:`alloyloop.models.target.label_word`: ``multi``, the one structure a
    single-phase label names, else ``single``)."""
    phases = frame["phases"] if "phases" in frame else pd.Series([[]] * len(frame))
    return np.asarray([label_word(single, named) for single, named
                       in zip(frame["single_phase"].astype(bool), phases)], dtype=object)


def stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train / validation indices holding ``fraction`` of each class out (at least one
    row of a class with two or more)."""
    rng = np.random.default_rng(seed)
    val = []
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        if idx.size >= 2:
            k = max(1, int(round(fraction * idx.size)))
            val.append(rng.permutation(idx)[:k])
    val_idx = np.sort(np.concatenate(val)) if val else np.empty(0, dtype=np.int64)
    return np.setdiff1d(np.arange(y.size), val_idx), val_idx


def start_subset(frame: pd.DataFrame, fraction: float, seed: int, own: pd.Series
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``frame`` into the rows that keep their labels (a seeded, class-stratified
    ``fraction`` of the rows not in ``own``, plus every ``own`` row) and the withheld rest.

    The draw depends only on the rows and the seed, so every round of a campaign withholds
    the same alloys."""
    if fraction >= 1.0:
        return frame, frame.iloc[:0]
    rng = np.random.default_rng(seed)
    keep = own.to_numpy(dtype=bool).copy()
    y = frame["single_phase"].astype(bool).to_numpy()
    for cls in (False, True):
        idx = np.flatnonzero((y == cls) & ~own.to_numpy(dtype=bool))
        k = max(2, int(round(fraction * idx.size))) if idx.size else 0
        keep[rng.permutation(idx)[:k]] = True
    return frame[keep].reset_index(drop=True), frame[~keep].reset_index(drop=True)


def unlabelled_pool(palette: Collection[str], exclude: Collection[str], *,
                    limit: int | None, seed: int) -> pd.DataFrame:
    """The corpus' unlabelled pool inside ``palette``, minus ``exclude`` keys (seeded cap)."""
    pool = load_unlabelled_pool()
    keep = pool["in_table"] & pool["fractions"].map(lambda f: set(f) <= set(palette))
    pool = pool[keep & ~pool["key"].isin(set(exclude))].sort_values("key").reset_index(drop=True)
    if limit is not None and len(pool) > limit:
        pick = np.sort(np.random.default_rng(seed).choice(len(pool), limit, replace=False))
        pool = pool.iloc[pick].reset_index(drop=True)
    return pool


def round_data(snapshot: Snapshot, palette: tuple[str, ...], campaign: str, *, seed: int,
               val_fraction: float, use_unlabelled: bool = True,
               max_unlabelled: int | None = None, view: TrainingView = ALL_LABELS,
               closed_keys: Collection[str] = (), data_hash: str | None = None,
               pool: Pool | None = None) -> RoundData:
    """Assemble a round's matrices from a snapshot (see the module docstring).

    Args:
        view: what the campaign's labeler lets it train on: the alloys it hides, and the
            seeded share of the visible labelled alloys that keeps its labels (the
            campaign's own replayed labels always count).
        closed_keys: alloys of the campaign's failed / abandoned suggestions.
        data_hash: the round's data hash (default: the snapshot's).
        pool: the campaign's candidate pool, if it has one.

    Raises:
        ValueError: fewer than two labelled alloys of each class in the palette.
    """
    owners = snapshot.simulated_owner
    labelled, n_hidden = campaign_labels(snapshot.labelled, palette, campaign,
                                         hidden_keys=view.hidden_keys, simulated_owner=owners)
    own = labelled["label_id"].map(lambda i: pd.notna(i) and owners.get(int(i)) == campaign)
    labelled, withheld = start_subset(labelled, view.start_fraction, view.start_seed, own)
    y = labelled["single_phase"].astype(bool).to_numpy().astype(np.int64)
    _check_classes(y, campaign, palette)
    train, val = stratified_split(y, val_fraction, seed)
    taken = list(dict.fromkeys([p.alloy_key for p in snapshot.pending] + sorted(closed_keys)))
    open_rows = (pool.open_rows(palette, set(labelled["key"]) | set(taken))
                 if pool is not None else np.empty(0, dtype=np.int64))
    candidate_keys = tuple(pool.keys[i] for i in open_rows) if pool is not None else ()
    if use_unlabelled:
        extra = pd.concat([withheld[["key", "fractions"]], pd.DataFrame({
            "key": list(candidate_keys),
            "fractions": [pool.fractions[i] for i in open_rows] if pool is not None else []})])
        unlabelled = _unlabelled(palette, set(labelled["key"]), extra, max_unlabelled, seed)
    else:
        unlabelled = pd.DataFrame({"key": [], "fractions": []})
    pending_fractions = [parse_composition(k).fractions for k in taken]
    inside = [set(f) <= set(palette) for f in pending_fractions]
    return RoundData(
        elements=tuple(palette), keys=tuple(labelled["key"]),
        X=fraction_matrix(labelled["fractions"], palette), y=y, train=train, val=val,
        phase4=phase4_words(labelled),
        processing=(labelled["processing"].to_numpy(dtype=object)
                    if "processing" in labelled else None),
        X_unlabelled=fraction_matrix(unlabelled["fractions"], palette),
        pending_keys=tuple(k for k, ok in zip(taken, inside) if ok),
        X_pending=fraction_matrix([f for f, ok in zip(pending_fractions, inside) if ok], palette),
        data_hash=data_hash or snapshot.data_hash,
        n_hidden=n_hidden,
        X_candidates=pool.matrix(open_rows, tuple(palette)) if pool is not None else None,
        candidate_keys=candidate_keys,
        n_withheld=len(withheld),
    )


def _check_classes(y: np.ndarray, campaign: str, palette: tuple[str, ...]) -> None:
    """Refuse a round with fewer than two labelled alloys of each class (the split and
    the calibration need both)."""
    if min((y == 0).sum(), (y == 1).sum()) < 2:
        raise ValueError(
            f"campaign {campaign!r} has {int((y == 1).sum())} single- and {int((y == 0).sum())} "
            f"multi-phase labelled alloys in its model palette ({', '.join(palette)}): it needs "
            "at least two of each; import the corpus (alloyloop data import-corpus), add labels "
            "or widen [model] palette")


def _unlabelled(palette: tuple[str, ...], labelled_keys: set[str], extra: pd.DataFrame,
                max_unlabelled: int | None, seed: int) -> pd.DataFrame:
    """The round's unlabelled alloys (``key``, ``fractions``): the corpus' unlabelled pool
    inside the palette plus ``extra`` (withheld labels, open candidates), none labelled,
    each once, a seeded sample of at most ``max_unlabelled``."""
    corpus_pool = unlabelled_pool(palette, labelled_keys | set(extra["key"]), limit=None,
                                  seed=seed)
    unlabelled = pd.concat([corpus_pool[["key", "fractions"]], extra]) \
        .drop_duplicates("key").sort_values("key").reset_index(drop=True)
    if max_unlabelled is not None and len(unlabelled) > max_unlabelled:
        pick = np.sort(np.random.default_rng(seed).choice(len(unlabelled), max_unlabelled,
                                                          replace=False))
        unlabelled = unlabelled.iloc[pick].reset_index(drop=True)
    return unlabelled


MIN_ROUTE_LABELS = 10
"""Fewer training labels of the design route than this: a warning (the route's input is
learnt from a handful of alloys)."""


def check_design_route(data: RoundData, route: str) -> dict[str, int]:
    """The training labels (the fit's rows, ``data.train``) per route, checked for the
    route the campaign designs for.

    Returns:
        route -> training labels, largest first (``"unknown"`` included).

    Raises:
        ValueError: no training label has ``route``: the model would score every candidate
            through an input it never saw; the message gives the count of every route.

    Warns:
        UserWarning: fewer than :data:`MIN_ROUTE_LABELS` training labels have it.
    """
    counts = data.processing_counts(data.train)
    have = counts.get(route, 0)
    listed = ", ".join(f"{name} {n}" for name, n in counts.items())
    total = sum(counts.values())
    if have == 0:
        known = [name for name in counts if name != UNKNOWN]
        other = (f"set [model] processing to a route the labels have ({', '.join(known)})"
                 if known else "no training label names a route yet")
        raise ValueError(
            f"[model] processing = {route!r}, but none of the {total} training labels is "
            f"{route} (training labels per route: {listed}): add labels of {route} samples "
            f"(alloyloop label add … --processing {route}) or {other}")
    if have < MIN_ROUTE_LABELS:
        warnings.warn(f"[model] processing = {route!r}: only {have} of the {total} training "
                      f"labels are {route} (per route: {listed}); its predictions rest on "
                      "few alloys", UserWarning, stacklevel=2)
    return counts
