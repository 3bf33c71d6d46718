"""Spec validation errors that name the offending key and the fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SpecProblem:
    """One bad setting: its dotted key (``design_space.step``) and what to do about it."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class SpecError(ValueError):
    """A campaign spec is invalid; ``problems`` lists every bad setting found."""

    def __init__(self, problems: Sequence[SpecProblem], source: str = "spec") -> None:
        self.problems = tuple(problems)
        self.source = source
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s):\n{lines}")
