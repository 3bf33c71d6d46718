"""The study's labs: pycalphad on a database it ships, a design space and a criterion.

Each :class:`Oracle` is a CALPHAD labeler (:class:`alloyloop.agent.labelers.calphad.CalphadLabeler`,
the product's own, with its on-disk equilibrium cache) on one of pycalphad's test databases,
and the design space its suggestions live in. The spaces are chosen so that uniformly
random lattice picks are single-phase at most ~30 % of the time (a saturated oracle
measures nothing); ``alcocrni`` holds only 4-element alloys (the high-entropy alloys
proper, where single-phase alloys are rare):

- ``alcocrni``: Al-Co-Cr-Ni, all four elements, 5 at.% grid, 1273 K. Al-rich alloys turn
  B2 / L1_2, Cr-rich ones sigma.
- ``cocrfenbti``: Co-Cr-Fe-Nb-Ti (``mc_fecocrnbti.tdb``, with Laves, mu and sigma), 3 to 5
  elements, Nb and Ti at most 15 at.%, 5 at.% grid, 1473 K. Nb and Ti form Laves and mu with
  Co and Fe (at 1273 K already 5 at.% of either does: no 4- or 5-element alloy of the grid
  is single there), Nb-rich alloys melt at 1473 K; the needles are a few Co-Cr-Fe(-Ti)
  solid solutions.
- ``cocrfenbti-hea``: the same database, temperature, grid and bounds, but 4 or 5
  elements only (the high-entropy alloys proper; every alloy holds Nb or Ti or both):
  2,174 lattice points, of which a seeded sample of 300 held 13 single-phase (4 %; the
  ``--base-rate-n 300`` of the study). The needles are Co-Cr-Fe-Ti (and a few Co-Cr-Fe-Nb)
  solid solutions with 5 at.% Ti or Nb. The database declares Ni but has no Ni parameter,
  so Co-Cr-Fe-Ni-Nb-Ti is not an option.

Single-phase = one disordered solid solution holds >= 0.99 of the moles (the labeler's rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

THRESHOLD = 0.99


@dataclass(frozen=True)
class Oracle:
    """One study's lab and design space (fractions; the spec gets at.%)."""

    name: str
    tdb: str
    temperature: float
    palette: tuple[str, ...]
    min_elements: int
    max_elements: int
    step: float
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    model_palette: tuple[str, ...] = ()
    """The elements the model trains on (corpus alloys of these are the training alloys);
    a superset of ``palette``."""

    def design_space(self) -> dict[str, Any]:
        """The spec's ``[design_space]`` (at.%)."""
        return {"units": "at.%", "palette": list(self.palette), "min_elements": self.min_elements,
                "max_elements": self.max_elements, "step": round(100 * self.step),
                "bounds": {el: [round(100 * lo), round(100 * hi)]
                           for el, (lo, hi) in self.bounds.items()}}

    def labeler_spec(self) -> dict[str, Any]:
        """The spec's ``[labeler]``."""
        return {"kind": "calphad", "tdb": self.tdb, "temperature": self.temperature,
                "threshold": THRESHOLD, "timeout": 600, "workers": 1}

    @cached_property
    def space(self):
        """The product's :class:`~alloyloop.campaigns.design_space.DesignSpace`."""
        from alloyloop.campaigns.design_space import DesignSpace

        return DesignSpace(palette=self.palette, bounds=dict(self.bounds),
                           min_elements=self.min_elements, max_elements=self.max_elements,
                           step=self.step)

    def labeler(self):
        """The CALPHAD labeler of this oracle, with the cache ``$ALLOYLOOP_CALPHAD_CACHE`` names."""
        from alloyloop.agent.calphad.cache import EquilibriumCache
        from alloyloop.agent.labelers.calphad import CalphadLabeler
        from alloyloop.campaigns.tdb import TdbFile

        return CalphadLabeler(campaign=f"discovery-{self.name}", database=TdbFile.open(self.tdb),
                              temperatures=(self.temperature,), threshold=THRESHOLD,
                              timeout_s=600, workers=1, cache=EquilibriumCache.from_env())

    def label(self, alloys: Sequence[Mapping[str, float]]) -> list[bool | None]:
        """Hit (single-phase) per alloy, None where pycalphad gave no label."""
        evaluations, _ = self.labeler().evaluate_many(list(range(len(alloys))), alloys)
        return [None if e.verdict is None else e.verdict.outcome == "single" for e in evaluations]

    def random_alloys(self, n: int, seed: int, exclude: set[str] = frozenset()
                      ) -> list[dict[str, float]]:
        """``n`` distinct uniformly random lattice points of the space (the ``random``
        strategy's draw), none of whose keys is in ``exclude``."""
        from alloyloop.featurize.composition import canonical_key
        from alloyloop.featurize.lattice import sample_lattice

        rng = np.random.default_rng(seed)
        space = self.space
        out: dict[str, dict[str, float]] = {}
        for _ in range(100):
            draw = sample_lattice(len(space.palette), space.step, 50 * n, rng,
                                  space.min_elements, space.max_elements)
            for row in draw[space.feasible(draw)]:
                fractions = {el: round(float(v), 6) for el, v in zip(space.palette, row) if v > 0}
                key = canonical_key(fractions)
                if key not in exclude and key not in out:
                    out[key] = fractions
                if len(out) == n:
                    return list(out.values())
        raise ValueError(f"oracle {self.name}: fewer than {n} distinct lattice points outside "
                         "the excluded ones")


ORACLES: dict[str, Oracle] = {
    "alcocrni": Oracle(
        name="alcocrni", tdb="pycalphad:alcocrni.tdb", temperature=1273.0,
        palette=("Al", "Co", "Cr", "Ni"), min_elements=4, max_elements=4, step=0.05,
        bounds={"Al": (0.05, 0.35), "Co": (0.05, 0.50), "Cr": (0.05, 0.40), "Ni": (0.05, 0.60)},
        model_palette=("Al", "Co", "Cr", "Fe", "Ni")),
    "cocrfenbti": Oracle(
        name="cocrfenbti", tdb="pycalphad:mc_fecocrnbti.tdb", temperature=1473.0,
        palette=("Co", "Cr", "Fe", "Nb", "Ti"), min_elements=3, max_elements=5, step=0.05,
        bounds={"Nb": (0.0, 0.15), "Ti": (0.0, 0.15)},
        model_palette=("Co", "Cr", "Fe", "Nb", "Ni", "Ti")),
    "cocrfenbti-hea": Oracle(
        name="cocrfenbti-hea", tdb="pycalphad:mc_fecocrnbti.tdb", temperature=1473.0,
        palette=("Co", "Cr", "Fe", "Nb", "Ti"), min_elements=4, max_elements=5, step=0.05,
        bounds={"Nb": (0.0, 0.15), "Ti": (0.0, 0.15)},
        model_palette=("Co", "Cr", "Fe", "Nb", "Ni", "Ti")),
}
