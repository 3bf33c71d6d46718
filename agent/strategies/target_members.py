"""The ensemble members of the campaign's target probability: the one place that reads
the model's label classes.

A model names its label classes in ``DisentangledVAE.classes``: ``("single",)`` for
today's single/multi model (its output is p(single)), ``("FCC", "BCC", "HCP", "multi")``
for a model trained on phase4 labels (a per-class output; p(single) is the sum of the
three structures). A model without the attribute is a single/multi model.

A structure target on a phase4 model uses the per-class members
(:func:`alloyloop.models.torch_members.member_target_logits`); the strategies that rank
by a plain probability use :func:`target_proba` (p(target) of fractions, any model).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from alloyloop.campaigns.goal import TARGETS
from alloyloop.models.torch_members import MemberLogits, member_logits, member_target_logits

PHASE4_HINT = ("this model was trained on single/multi labels; train with phase4 labels "
               "(model.label = 'phase4')")


def model_classes(model) -> tuple[str, ...]:
    """The model's label classes (``("single",)`` when it does not say)."""
    return tuple(getattr(model, "classes", None) or ("single",))


def check_target(target: str) -> None:
    """Raise a ``ValueError`` naming the choices unless ``target`` is a campaign target."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}: use one of "
                         f"{', '.join(repr(t) for t in TARGETS)}")


def target_column(model, target: str) -> int | None:
    """The column of ``model.predict_phase_proba`` that is p(target); None for
    ``"single"`` (p(single) is ``predict_proba``, on any model).

    Raises:
        ValueError: an unknown target, a structure target (FCC / BCC / HCP) on a
            single/multi model, or a class the model does not have.
    """
    check_target(target)
    if target == "single":
        return None
    classes = model_classes(model)
    if classes == ("single",):
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


def target_members(model, target: str, *, dropout_members: int = 8, seed: int = 0
                   ) -> MemberLogits:
    """Fractions → ``(*b, S, n)`` calibrated member logits of p(target).

    Raises:
        ValueError: the model cannot give p(target): a structure target (FCC / BCC / HCP)
            on a single/multi model, or a class the model does not have
            (:func:`target_column`).
    """
    if target_column(model, target) is None and model_classes(model) == ("single",):
        return member_logits(model, dropout_members=dropout_members, seed=seed)
    return member_target_logits(model, target, dropout_members=dropout_members, seed=seed)


def decode_class(model, target: str) -> str | int:
    """The label to decode a candidate of ``target`` with: the structure itself on a
    phase4 model, otherwise what the model means by single-phase (1 for a binary model)."""
    if target not in ("single", None) and target in model_classes(model):
        return target
    return getattr(model, "single_class", 1)
