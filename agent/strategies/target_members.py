"""The ensemble members of the campaign's target probability: the one place that reads
the model's label classes.

A model names its label classes in ``DisentangledVAE.classes``: ``("single",)`` for
today's single/multi model (its output is p(single)), ``("FCC", "BCC", "HCP", "multi")``
for a model trained on phase4 labels (a per-class output; p(single) is the sum of the
three structures). A model without the attribute is a single/multi model.

A structure target on a phase4 model uses the per-class members
(:func:`alloyloop.models.torch_members.member_target_logits`).
"""

from __future__ import annotations

from alloyloop.models.torch_members import MemberLogits, member_logits, member_target_logits

PHASE4_HINT = ("this model was trained on single/multi labels; train with phase4 labels "
               "(model.label = 'phase4')")


def model_classes(model) -> tuple[str, ...]:
    """The model's label classes (``("single",)`` when it does not say)."""
    return tuple(getattr(model, "classes", None) or ("single",))


def target_members(model, target: str, *, dropout_members: int = 8, seed: int = 0
                   ) -> MemberLogits:
    """Fractions → ``(*b, S, n)`` calibrated member logits of p(target).

    Raises:
        ValueError: the model cannot give p(target): a structure target (FCC / BCC / HCP)
            on a single/multi model, or a class the model does not have.
    """
    classes = model_classes(model)
    if target == "single" and classes == ("single",):
        return member_logits(model, dropout_members=dropout_members, seed=seed)
    if target != "single" and classes == ("single",):
        raise ValueError(f"target {target!r}: {PHASE4_HINT}")
    if target != "single" and target not in classes:
        raise ValueError(f"target {target!r} is not a class of this model "
                         f"({', '.join(classes)}): use one of them")
    return member_target_logits(model, target, dropout_members=dropout_members, seed=seed)


def decode_class(model, target: str):
    """The label to decode a candidate of ``target`` with: the structure itself on a
    phase4 model, otherwise what the model means by single-phase (1 for a binary model)."""
    if target not in ("single", None) and target in model_classes(model):
        return target
    return getattr(model, "single_class", 1)
