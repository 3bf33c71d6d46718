"""hea-bench 2.9's own active-learning loop, ``hea_bench.design.campaign.Campaign``, as its
README shows it: ``Campaign(objective, palette, constraints, step, n_elements, seed)``,
``observe(composition, value)`` per measurement, ``suggest(n, strategy="ei")``.

hea-bench's campaign is regression only (a 300-tree ``RandomForestRegressor`` on its
descriptor vector, expected improvement over the per-tree spread, believer batches, per its
module docstring); it has no classification target and no phase-formation campaigns. So the
outcome goes in as a number, 1.0 single-phase / 0.0 not, and EI is maximised on the
forest's mean, which is then the fraction of trees voting single-phase.

Set-up choices, stated:
- ``step`` and ``n_elements`` are the study's; upper bounds go in as its
  ``CompositionConstraint``. Its constraint applies to absent elements too (min > 0 would
  force every element present), so a lower bound that holds only when present is applied by
  narrowing its candidate pool (``_pool``) to the study's feasible grid; the same narrowing
  drops pending compositions, which hea-bench has no notion of, and observed alloys that
  sit off the grid (by the grid point they round to, as in the other adapters).
- ``DomainConstraint(in_domain=None)``: hea-bench by default suggests only compositions
  inside the applicability domain of its corpus; the study's design space is fixed and the
  same for every strategy, so that filter is switched off (the opt-out its docs name).
- No warm start: hea-bench warm-starts only its ``hardness`` objective.
- Below 10 informative rows hea-bench refuses (``ColdStartError``); the adapter then returns
  seeded uniform random picks from the feasible grid, as a user would measure a random start,
  and says so in ``last_mode``.
- A composition hea-bench cannot featurise (a non-finite descriptor, e.g. infinite Ω when
  ΔH_mix = 0) is neither trained on nor suggested: that is its own rule.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from benchmarks.peer_protocol import Observation, StudySpace
from benchmarks.peers import grid

OBJECTIVE = "single_phase"


def _study_campaign(space: StudySpace, seed: int, excluded: set[tuple[int, ...]]):
    """A hea-bench Campaign whose candidate pool is narrowed to the study's feasible grid,
    minus ``excluded`` (pending compositions)."""
    from hea_bench.design.campaign import Campaign
    from hea_bench.design.constraints import CompositionConstraint, DomainConstraint

    class StudyCampaign(Campaign):
        def _pool(self):
            return [comp for comp in super()._pool()
                    if grid.is_feasible(space, comp) and grid.to_units(space, comp) not in excluded]

    constraints = [DomainConstraint(in_domain=None)]
    constraints += [CompositionConstraint(element=el, min=0.0, max=float(high))
                    for el, (_low, high) in space.bounds.items() if high < 1.0]
    return StudyCampaign(OBJECTIVE, list(space.elements), tuple(constraints), seed=seed,
                         step=space.step, n_elements=(space.min_elements, grid.max_elements(space)),
                         warm_start=False)


class HeaBenchPeer:
    """hea-bench's RF campaign on a 0/1 outcome (see the module docstring)."""

    name = "hea-bench"

    def __init__(self) -> None:
        self.last_mode = ""

    def propose(self, space: StudySpace, observed: Sequence[Observation], batch_size: int,
                seed: int, pending: Sequence[Mapping[str, float]] = ()) -> list[dict[str, float]]:
        from hea_bench.design.campaign import ColdStartError

        # observed alloys off the grid exclude the grid point they round to, as in the other
        # adapters; hea-bench itself excludes only exact repeats
        excluded = grid.taken_keys(space, pending) | grid.taken_keys(space, [o.fractions for o in observed])
        campaign = _study_campaign(space, seed, excluded)
        for obs in observed:
            campaign.observe({el: f for el, f in obs.fractions.items() if f > 0},
                             1.0 if obs.hit else 0.0)
        try:
            suggestions = campaign.suggest(n=batch_size, strategy="ei")
        except ColdStartError:
            self.last_mode = "cold-start random"
            return self._random(space, batch_size, seed, excluded)
        self.last_mode = "ei"
        picks = [grid.to_fractions(space, grid.to_units(space, s.composition)) for s in suggestions]
        if len(picks) < batch_size:
            raise ValueError(f"hea-bench found only {len(picks)} unexplored feasible compositions "
                             f"for a batch of {batch_size}")
        return picks

    @staticmethod
    def _random(space: StudySpace, batch_size: int, seed: int,
                excluded: set[tuple[int, ...]]) -> list[dict[str, float]]:
        free = [tuple(int(n) for n in row) for row in grid.enumerate_grid(space)]
        free = [key for key in free if key not in excluded]
        if len(free) < batch_size:
            raise ValueError(f"only {len(free)} unexplored feasible compositions for a batch of {batch_size}")
        return [grid.to_fractions(space, key) for key in random.Random(seed).sample(free, batch_size)]
