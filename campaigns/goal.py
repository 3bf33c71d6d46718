"""What a campaign designs for: the target structure and the property objectives.

- ``target``: ``single`` (any single-phase solid solution, the default), ``FCC``, ``BCC``
  or ``HCP`` (single-phase of that structure; needs a model trained on phase4 labels).
  What a target means (its names, its hits, the model output) is
  :mod:`alloyloop.models.target`.
- ``objectives``: property name (:data:`alloyloop.featurize.properties.PROPERTIES`) ->
  ``minimize`` or ``maximize``, optimized jointly with p(target) by the ``botorch``
  strategy (a Pareto front, :mod:`alloyloop.agent.strategies.multi_objective`).

Hard limits on properties are not here: they are the design space's
``descriptor_limits`` (``density = { max = 9 }``), which every strategy obeys.

Validated at construction (:class:`GoalError` names the value and the fix); serialized by
the one converter (:mod:`alloyloop.featurize.converter`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from alloyloop.featurize.converter import structure, unstructure
from alloyloop.featurize.properties import PROPERTIES
from alloyloop.models.target import TARGETS, target_problem

__all__ = ["DIRECTIONS", "NOT_OBJECTIVES", "TARGETS", "Goal", "GoalError"]
DIRECTIONS = ("minimize", "maximize")
NOT_OBJECTIVES = {
    "omega": "it is infinite where ΔH_mix = 0; use hmix, or a limit on omega",
    "n_elements": "it is a count; use min_elements / max_elements of [design_space]",
}
"""Properties that can be limits but not objectives, and why."""


class GoalError(ValueError):
    """A target or objective setting is invalid; the message names the fix."""


@dataclass(frozen=True)
class Goal:
    """The campaign's target structure and property objectives (module docstring)."""

    target: str = "single"
    objectives: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "objectives", dict(self.objectives))
        problem = target_problem(self.target)
        if problem is not None:
            raise GoalError(problem)
        for name, direction in self.objectives.items():
            if name not in PROPERTIES:
                raise GoalError(f"objective on {name!r}, which is not a property: use one of "
                                f"{', '.join(sorted(PROPERTIES))}")
            if name in NOT_OBJECTIVES:
                raise GoalError(f"{name} cannot be an objective: {NOT_OBJECTIVES[name]}")
            if direction not in DIRECTIONS:
                raise GoalError(f"objective {name} = {direction!r} is not a direction: write "
                                f"{name} = \"minimize\" or {name} = \"maximize\"")

    @property
    def multi_objective(self) -> bool:
        return bool(self.objectives)

    def signs(self) -> dict[str, float]:
        """+1 for a maximized property, −1 for a minimized one (BoTorch maximizes)."""
        return {n: 1.0 if d == "maximize" else -1.0 for n, d in self.objectives.items()}

    def to_dict(self) -> dict:
        return unstructure(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> Goal:
        return structure(dict(data), cls, error=GoalError, what="goal setting")
