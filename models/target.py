"""The campaign's target: its names, the outcomes that count as a hit, and which model
output means it. The one place that knows what "target" is.

- **Names** (:data:`TARGETS`): ``single`` (any single-phase solid solution, the default) or
  one structure, ``FCC`` / ``BCC`` / ``HCP`` (single-phase of that structure).
- **Outcomes** (:func:`target_outcomes`, :func:`is_hit`): a labelled alloy's structure
  word (:func:`label_word`: ``multi``, the one structure its label names, or ``single``
  when a single-phase label names none) is 1.0 for the target, 0.0 against it, and NaN
  when it cannot say (a single-phase alloy of unknown structure, for a structure target).
  A hit is an outcome of 1.0: what the strategies learn from (``Observations.outcomes``)
  and what a round's hits count (``summarize_round``) are the same rule.
- **Model output** (:func:`target_column`, :func:`target_proba`, :func:`target_members`,
  :func:`decode_class`): p(single) is ``predict_proba`` on any model; a structure is its
  column of ``predict_phase_proba`` on a phase4 model (``DVAEConfig.label = "phase4"``),
  and a single/multi model cannot give one (the error names the fix). The model's class
  names come from ``model.classes`` (:mod:`alloyloop.models.labels`: a class named
  ``multi`` is multi-phase, every other class single-phase).

Torch-free at import (the campaign spec validates its target with :func:`check_target`);
:func:`target_members` imports the torch views when called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

from alloyloop.models.labels import MULTI, PHASE4_HINT as WORD_HINT, STRUCTURES, phase4_word

if TYPE_CHECKING:
    from alloyloop.models.torch_members import MemberLogits

SINGLE = "single"
TARGETS = (SINGLE, *STRUCTURES)
"""The campaign targets: any single-phase alloy, or single-phase of one structure."""
PHASE4_HINT = ("this model was trained on single/multi labels; train with phase4 labels "
               "(model.label = 'phase4')")


# --- names ----------------------------------------------------------------------------------

def target_problem(target: object) -> str | None:
    """Why ``target`` is not a campaign target (naming the choices), None when it is."""
    if target in TARGETS:
        return None
    close = [t for t in TARGETS if t.lower() == str(target).lower()]
    hint = f"did you mean {close[0]!r}? " if close else ""
    return (f"target {target!r} is not a structure: {hint}use one of "
            f"{', '.join(repr(t) for t in TARGETS)}")


def check_target(target: object) -> None:
    """Raise a ``ValueError`` naming the choices unless ``target`` is a campaign target."""
    problem = target_problem(target)
    if problem is not None:
        raise ValueError(problem)


# --- outcomes -------------------------------------------------------------------------------

def label_word(single_phase: bool, phases: Iterable[str] | None) -> str:
    """One label's structure word: ``multi`` for multi-phase, the structure (FCC / BCC /
    HCP) a single-phase label's ``phases`` name when they name exactly one, else
    ``single`` (single-phase, structure unknown)."""
    if not single_phase:
        return MULTI
    found = sorted({str(p) for p in (phases or ())} & set(STRUCTURES))
    return found[0] if len(found) == 1 else SINGLE


def structure_words(words: np.ndarray | Iterable[str]) -> np.ndarray:
    """``(m,)`` structure words in their one spelling (FCC / BCC / HCP / multi / single;
    ``multi-phase``, ``fcc`` … are read as :func:`alloyloop.models.labels.phase4_word`
    reads them).

    Raises:
        ValueError: a word that is not a structure word, naming it.
    """
    raw = np.asarray(words, dtype=object).reshape(-1)
    out = np.empty(len(raw), dtype=object)
    for i, value in enumerate(raw):
        word = phase4_word(value)
        if word is None:
            raise ValueError(f"structure word {value!r} (row {i}) is not one: {WORD_HINT}")
        out[i] = word
    return out


def target_outcomes(words: np.ndarray | Iterable[str], target: str) -> np.ndarray:
    """``(m,)`` float outcomes of ``target`` from ``(m,)`` structure words
    (:func:`label_word`, any spelling :func:`structure_words` reads): for ``single``, 1.0
    unless ``multi``; for a structure, 1.0 where the word is the target, NaN where it is
    ``single`` (it may or may not be the target), else 0.0 (multi-phase or another
    structure)."""
    check_target(target)
    w = structure_words(words)
    if target == SINGLE:
        return (w != MULTI).astype(np.float64)
    return np.where(w == target, 1.0, np.where(w == SINGLE, np.nan, 0.0))


def is_hit(single_phase: bool, phases: Iterable[str] | None, target: str) -> bool:
    """Whether a label counts as a hit for ``target``: single-phase for ``single``;
    single-phase of that structure, named by the label, for a structure target (a
    single-phase label naming no structure is not a hit: it is not known to be one)."""
    return bool(target_outcomes([label_word(single_phase, phases)], target)[0] == 1.0)


# --- which model output means it ---------------------------------------------------------------

def model_classes(model) -> tuple[str, ...]:
    """The model's label classes (``("single",)`` when it does not say)."""
    return tuple(getattr(model, "classes", None) or (SINGLE,))


def single_columns(classes: tuple[str, ...]) -> tuple[int, ...] | None:
    """The columns of ``classes`` whose summed probability is p(single): every class but
    ``multi``; None for a single/multi model (its one output is p(single))."""
    if len(classes) == 1:
        return None
    return tuple(i for i, name in enumerate(classes) if name != MULTI)


def gives(model, target: str) -> bool:
    """Whether ``model`` has an output for ``target`` (``single``: every model)."""
    return target == SINGLE or target in model_classes(model)


def target_column(model, target: str) -> int | None:
    """The column of ``model.predict_phase_proba`` that is p(target); None for
    ``"single"`` (p(single) is ``predict_proba``, on any model).

    Raises:
        ValueError: an unknown target, a structure target (FCC / BCC / HCP) on a
            single/multi model, or a class the model does not have.
    """
    check_target(target)
    if target == SINGLE:
        return None
    classes = model_classes(model)
    if classes == (SINGLE,):
        raise ValueError(f"target {target!r}: {PHASE4_HINT}")
    if target not in classes:
        raise ValueError(f"target {target!r} is not a class of this model "
                         f"({', '.join(classes)}): use one of them")
    return classes.index(target)


def target_proba(model, target: str) -> Callable[[np.ndarray], np.ndarray]:
    """``(n, E)`` fractions → ``(n,)`` calibrated p(target): ``predict_proba`` for
    ``"single"`` (the very function, so the binary path is unchanged), else the target's
    column of ``predict_phase_proba``. Raises as :func:`target_column`."""
    col = target_column(model, target)
    if col is None:
        return model.predict_proba
    return lambda x: model.predict_phase_proba(x)[:, col]


def target_members(model, target: str, *, dropout_members: int = 8, seed: int = 0,
                   processing: str | None = None) -> MemberLogits:
    """Fractions → ``(*b, S, n)`` calibrated member log-odds of p(target) (sigmoid of it
    is p(target)): the summed single-phase classes for ``single``, the target's class for
    a structure (:mod:`alloyloop.models.torch_members`).

    Args:
        processing: the route to predict for (``DVAEConfig.processing_input`` models;
            None = the model's design route, unknown when it has none).

    Raises:
        ValueError: the model cannot give p(target) (:func:`target_column`), or it has no
            spread to sample (one head, no dropout).
    """
    from alloyloop.models.torch_members import member_logodds

    col = target_column(model, target)
    positive = single_columns(model_classes(model)) if col is None else (col,)
    return member_logodds(model, positive, dropout_members=dropout_members, seed=seed,
                          processing=processing)


def decode_class(model, target: str) -> str | int:
    """The label to decode a candidate of ``target`` with: the structure itself on a
    phase4 model, otherwise what the model means by single-phase (1 for a binary model)."""
    if target not in (SINGLE, None) and target in model_classes(model):
        return target
    return getattr(model, "single_class", 1)
