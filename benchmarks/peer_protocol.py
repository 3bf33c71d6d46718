"""What a peer optimiser (BayBE, Ax, hea-bench's design search) is given and returns in a
discovery study, so the study harness and the peer adapters agree without importing each
other's internals. The peers are benchmark dependencies only: the product never imports
this module or an adapter.

An adapter is a class with a ``name`` and a ``propose`` method; the harness loads it by
dotted path (``benchmarks.peers.baybe_peer:BayBEPeer``) and skips it, saying why, when the
peer's package is not installed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class StudySpace:
    """The design space every strategy and peer proposes in (mole fractions, not at.%).

    Attributes:
        elements: the palette, in a fixed order.
        bounds: element -> (min, max) fraction when present; missing elements (0, 1).
        min_elements, max_elements: how many elements a proposal holds (fraction > 0).
        step: the composition grid (0.05 = 5 at.%); every fraction is a multiple of it.
    """

    elements: tuple[str, ...]
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    min_elements: int = 1
    max_elements: int | None = None
    step: float = 0.05


@dataclass(frozen=True)
class Observation:
    """One labelled alloy: fractions over ``StudySpace.elements`` (absent = 0) and whether
    the oracle called it a hit (single-phase by the study's criterion)."""

    fractions: Mapping[str, float]
    hit: bool


class Peer(Protocol):
    """A peer optimiser run the way its own docs recommend for a mixture design with a
    binary outcome."""

    name: str

    def propose(self, space: StudySpace, observed: Sequence[Observation], batch_size: int,
                seed: int, pending: Sequence[Mapping[str, float]] = ()) -> list[dict[str, float]]:
        """``batch_size`` new compositions: fractions on ``space.step``'s grid summing to 1,
        keys in ``space.elements``, inside the bounds and the element-count range, none
        already in ``observed`` or ``pending``. ``seed`` fixes every random choice."""
        ...
