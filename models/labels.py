"""Label spaces of the DVAE: what y is, how labels are read, how y enters the networks.

Two spaces, chosen by ``DVAEConfig.label``:

- ``"single"`` (binary, the default): y ∈ {0 = multi-phase, 1 = single-phase}, one 0/1
  column into the encoder and decoder, one classifier logit. ``classes == ("single",)``:
  the model has one probability output, p(single); p(multi) = 1 − p(single).
- ``"phase4"`` (categorical): y ∈ ``("FCC", "BCC", "HCP", "multi")``, a one-hot code of
  four columns into the encoder and decoder, four classifier logits (softmax).
  ``classes == PHASE4_CLASSES`` and p(single) = P(FCC) + P(BCC) + P(HCP).

The convention both share: ``classes`` names the columns of
``DisentangledVAE.predict_phase_proba`` (and of the per-class torch members); a class
named ``"multi"`` is multi-phase, every other class is single-phase, and p(single) is the
sum of the single-phase columns (for the binary space, its one column).

Labelled phase4 rows are read as *masks* ``(n, K)`` of the classes a label allows: a
structure label allows one class; ``"single"`` (single-phase, structure not known, as a
lab's single/multi verdict) allows FCC, BCC and HCP — a partial label, whose likelihood is
the summed probability of the allowed classes (see :mod:`alloyloop.models.objective_phase`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LABELS = ("single", "phase4")
"""Values of ``DVAEConfig.label``."""
STRUCTURES = ("FCC", "BCC", "HCP")
MULTI = "multi"
PHASE4_CLASSES = (*STRUCTURES, MULTI)
PARTIAL_SINGLE = "single"
"""A phase4 label: single-phase, structure unknown (FCC, BCC or HCP)."""

_ALIASES = {"multi-phase": MULTI, "multiphase": MULTI, "mp": MULTI, "multi": MULTI,
            "single-phase": PARTIAL_SINGLE, "single": PARTIAL_SINGLE, "sp": PARTIAL_SINGLE,
            "fcc": "FCC", "bcc": "BCC", "hcp": "HCP"}
PHASE4_HINT = ("give FCC, BCC, HCP or multi (multi-phase), or single for a single-phase "
               "alloy of unknown structure")


def classes_of(label: str) -> tuple[str, ...]:
    """The class names of label space ``label`` (``"single"`` or ``"phase4"``)."""
    return ("single",) if label == "single" else PHASE4_CLASSES


def phase4_word(value: object) -> str | None:
    """A phase4 label word (``PHASE4_CLASSES`` or ``"single"``) or None if not one."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return _ALIASES.get(str(value).strip().lower())


def phase4_masks(y: Sequence[object] | np.ndarray, name: str = "y") -> np.ndarray:
    """Phase4 labels → ``(n, 4)`` float64 masks of the allowed classes.

    Args:
        y: ``(n,)`` words: FCC / BCC / HCP / multi (also multi-phase), or single
            (single-phase, structure unknown: a partial label). Case is ignored.

    Raises:
        ValueError: a value that is not a phase4 label, or numbers (0/1 would be
            ambiguous: which structure is 1?).
    """
    arr = np.asarray(y, dtype=object).ravel()
    out = np.zeros((arr.size, len(PHASE4_CLASSES)))
    for i, value in enumerate(arr):
        if isinstance(value, bool | int | float | np.integer | np.floating | np.bool_):
            raise ValueError(f"{name}[{i}]={value!r}: a phase4 model takes phase words, not "
                             f"numbers: {PHASE4_HINT}")
        word = phase4_word(value)
        if word is None:
            raise ValueError(f"{name}[{i}]={value!r} is not a phase4 label: {PHASE4_HINT}")
        if word == PARTIAL_SINGLE:
            out[i, :len(STRUCTURES)] = 1.0
        else:
            out[i, PHASE4_CLASSES.index(word)] = 1.0
    return out


def mask_single(mask: np.ndarray) -> np.ndarray:
    """``(n, K)`` masks → ``(n,)`` int64: 1 where multi-phase is not allowed."""
    return (np.asarray(mask)[:, PHASE4_CLASSES.index(MULTI)] == 0).astype(np.int64)


def mask_class(mask: np.ndarray) -> np.ndarray:
    """``(n, K)`` masks → ``(n,)`` int64 class index, −1 for a partial label."""
    m = np.asarray(mask)
    exact = m.sum(axis=1) == 1
    return np.where(exact, m.argmax(axis=1), -1).astype(np.int64)


def strata(mask: np.ndarray) -> np.ndarray:
    """``(n,)`` strata for a stratified split: the class index, K for partial labels."""
    idx = mask_class(mask)
    return np.where(idx < 0, mask.shape[1], idx)


def class_codes(y: object, n: int, label: str) -> np.ndarray:
    """Labels of ``encode``/``decode`` → ``(n,)`` int64 class indices.

    Binary: 0 / 1 (or ``"multi"`` / ``"single"``). Phase4: class names (or their
    indices as numpy integer arrays are refused: pass names), scalar or ``(n,)``.
    """
    arr = np.broadcast_to(np.asarray(y, dtype=object), (n,))
    if label == "single":
        words = {"single": 1, "single-phase": 1, "multi": 0, "multi-phase": 0}
        out = [words.get(str(v).strip().lower(), v) if isinstance(v, str) else v for v in arr]
        num = np.asarray(out, dtype=np.float64) if all(
            isinstance(v, int | float | np.integer | np.floating | np.bool_) for v in out) \
            else np.array([np.nan])
        if not np.isin(num, (0, 1)).all():
            raise ValueError("y must be 0 (multi-phase) or 1 (single-phase)")
        return num.astype(np.int64)
    codes = []
    for v in arr:
        word = phase4_word(v) if isinstance(v, str) else None
        if word is None or word == PARTIAL_SINGLE:
            raise ValueError(f"y={v!r}: a phase4 model decodes one class: give one of "
                             f"{', '.join(PHASE4_CLASSES)} (e.g. decode(z, 'BCC'))")
        codes.append(PHASE4_CLASSES.index(word))
    return np.asarray(codes, dtype=np.int64)
