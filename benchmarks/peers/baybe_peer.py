"""BayBE 0.15 as its user guide sets up a mixture design with a binary outcome.

- Search space: one ``NumericalDiscreteParameter`` per element, whose values are 0 (absent)
  and the grid steps inside the element's bounds, combined by
  ``SubspaceDiscrete.from_simplex(max_sum=1, boundary_only=True, min_nonzero, max_nonzero)``
  (BayBE's efficient constructor for mixtures: ``boundary_only`` keeps the points that sum
  to exactly 1, the nonzero counts are the element-count range). The result is exactly the
  study's grid (checked in tests/benchmarks/test_peers.py).
- Target: ``BinaryTarget`` (success = single-phase), its own ``to_objective()``; BayBE's
  default recommender (random until there is data, then its Botorch recommender, a GP with
  qLogEI over the discrete candidates).
- Loop: a fresh ``Campaign`` per call, ``add_measurements`` with every observation,
  ``recommend(batch_size, pending_experiments=...)``; already measured and pending
  compositions are excluded by BayBE's own campaign flags.
- Seed: ``baybe.Settings(random_seed=seed)`` around the whole call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from benchmarks.peer_protocol import Observation, StudySpace
from benchmarks.peers import grid

TARGET = "single_phase"


def _searchspace(space: StudySpace):
    from baybe.parameters import NumericalDiscreteParameter
    from baybe.searchspace import SearchSpace, SubspaceDiscrete

    units = grid.grid_units(space)
    parameters = [
        NumericalDiscreteParameter(name=el, values=tuple(n / units for n in grid.allowed_units(space, el)))
        for el in space.elements
    ]
    subspace = SubspaceDiscrete.from_simplex(
        max_sum=1.0, simplex_parameters=parameters, boundary_only=True,
        min_nonzero=space.min_elements, max_nonzero=grid.max_elements(space),
    )
    return SearchSpace(discrete=subspace)


def _frame(space: StudySpace, compositions: Sequence[Mapping[str, float]]) -> pd.DataFrame:
    return pd.DataFrame([{el: float(comp.get(el, 0.0)) for el in space.elements}
                         for comp in compositions], columns=list(space.elements))


class BayBEPeer:
    """BayBE's Campaign on the study grid with a BinaryTarget (see the module docstring)."""

    name = "baybe"

    def propose(self, space: StudySpace, observed: Sequence[Observation], batch_size: int,
                seed: int, pending: Sequence[Mapping[str, float]] = ()) -> list[dict[str, float]]:
        from baybe import Campaign, Settings
        from baybe.targets import BinaryTarget

        with Settings(random_seed=seed):
            campaign = Campaign(
                searchspace=_searchspace(space),
                objective=BinaryTarget(name=TARGET).to_objective(),
                allow_recommending_already_measured=False,
                allow_recommending_pending_experiments=False,
            )
            if observed:
                measurements = _frame(space, [obs.fractions for obs in observed])
                measurements[TARGET] = [bool(obs.hit) for obs in observed]
                # start labels may sit between grid points (known alloys): BayBE matches them
                # to the nearest candidate rather than refusing them
                campaign.add_measurements(measurements,
                                          numerical_measurements_must_be_within_tolerance=False)
            recommended = campaign.recommend(
                batch_size, pending_experiments=_frame(space, pending) if pending else None)
        units = grid.grid_units(space)
        return [grid.to_fractions(space, [round(float(row[el]) * units) for el in space.elements])
                for _, row in recommended.iterrows()]
