"""The validation rows a DVAE fit carves from its labelled rows when the caller gives none:
they pick the epoch, fit the temperature and the conformal threshold, so they must hold
both classes and never be trained on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alloyloop.models.label_space import BinarySpace


@dataclass(frozen=True)
class Rows:
    """Labelled rows: ``(n, E)`` fractions ``x``, ``(n,)`` 0/1 or ``(n, K)`` mask targets
    ``t``, ``(n,)`` route words ``routes``."""

    x: np.ndarray
    t: np.ndarray
    routes: np.ndarray

    def take(self, idx: np.ndarray) -> Rows:
        return Rows(self.x[idx], self.t[idx], self.routes[idx])

    def __len__(self) -> int:
        return int(self.x.shape[0])


def train_and_validation(rows: Rows, val: Rows | None, space: BinarySpace, *,
                         fraction: float, mode: str, seed: int) -> tuple[Rows, Rows]:
    """(training rows, validation rows): ``val`` when given, else carved from ``rows`` by
    :func:`validation_split`.

    Raises:
        ValueError: the training rows hold one class only, or the validation rows are empty.
    """
    if val is None:
        tr, va = validation_split(rows.x, rows.t, space, fraction=fraction, mode=mode,
                                  seed=seed)
        train, val = rows.take(tr), rows.take(va)
    else:
        train = rows
    if np.unique(space.single(train.t)).size < 2:
        raise ValueError("the training labels hold one class only: give both "
                         "single-phase and multi-phase alloys")
    if len(val) == 0:
        raise ValueError("the validation split is empty: give more labelled alloys "
                         "or pass X_val/y_val")
    return train, val


def validation_split(x: np.ndarray, t: np.ndarray, space: BinarySpace, *, fraction: float,
                     mode: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (train, validation) row indices of ``(n, E)`` fractions with targets ``t``.

    ``mode = "stratified"``: ``fraction`` of every class (partial phase4 labels a stratum
    of their own). ``mode = "family"``: whole families (element sets) go to validation
    until it holds ``fraction`` of the rows, so validation scores unseen systems; when
    that leaves a side with one class only, the stratified split is used instead.
    """
    y = space.single(t)
    strata = space.strata(t)
    rng = np.random.default_rng(seed)
    n_val = max(1, int(round(fraction * y.size)))
    if mode == "family":
        _, family = np.unique(x > 0, axis=0, return_inverse=True)
        family = family.ravel()
        chosen: list[np.ndarray] = []
        count = 0
        for f in rng.permutation(family.max() + 1):
            if count >= n_val:
                break
            members = np.flatnonzero(family == f)
            chosen.append(members)
            count += members.size
        val_idx = np.sort(np.concatenate(chosen))
        # Both classes are needed for calibration; keep at least one row of the
        # training side too. Otherwise fall back to the stratified split.
        if np.unique(y[val_idx]).size == 2 and val_idx.size < y.size and np.unique(
                np.delete(y, val_idx)).size == 2:
            return np.setdiff1d(np.arange(y.size), val_idx), val_idx
    val = []
    for cls in np.unique(strata):
        idx = np.flatnonzero(strata == cls)
        if idx.size >= 2:
            k = max(1, int(round(fraction * idx.size)))
            val.append(rng.permutation(idx)[:k])
    val_idx = np.sort(np.concatenate(val)) if val else np.array([], dtype=np.int64)
    return np.setdiff1d(np.arange(y.size), val_idx), val_idx
