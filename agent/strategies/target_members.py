"""The ensemble members of the campaign's target probability: the one place that reads
the model's label classes.

A model names its label classes in ``DisentangledVAE.classes``: ``("single",)`` for
today's single/multi model (its output is p(single)), ``("FCC", "BCC", "HCP", "multi")``
for a model trained on phase4 labels (a per-class output; p(single) is the sum of the
three structures). A model without the attribute is a single/multi model.

Today only target ``single`` is computed; a structure target on a phase4 model is wired
here when the per-class torch members exist (issue #21, models/).
"""

from __future__ import annotations

from alloyloop.models.torch_members import MemberLogits, member_logits

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
    if target != "single" and target not in classes:
        raise ValueError(f"target {target!r}: {PHASE4_HINT}" if classes == ("single",) else
                         f"target {target!r} is not a class of this model "
                         f"({', '.join(classes)}): use one of them")
    raise ValueError(f"target {target!r} on a model with classes {', '.join(classes)}: the "
                     "per-class ensemble members are not wired yet (agent/strategies/"
                     "target_members.py); use target = 'single'")
