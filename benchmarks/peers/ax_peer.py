"""Ax 1.3 as its maintainers recommend for compositions (Ax issues #510 and #727): one
continuous ``RangeParameterConfig`` per element except the last, the last element a
``DerivedParameterConfig`` (1 minus the others) so that every trial sums to 1, and the
linear parameter constraint ``x_1 + ... + x_(n-1) <= 1`` (plus ``>= 1 - max`` when the last
element has an upper bound). The outcome is a 0/1 metric maximised by Ax's default
generation strategy (``Client`` defaults: Sobol points until 5 trials, 2 of them observed, then its GP-based
BO, "MBM"; ``last_nodes`` says which made each proposal). The adapter is stateless (a new
``Client`` per call), so Ax's one-off centre-of-space trial is switched off once there is
data, or it would recur every round.

Start labels go in with ``attach_trial`` + ``complete_trial``; pending compositions are
attached and left running, which is how Ax sees pending points. ``get_next_trials``
(``max_trials=batch_size``) proposes continuous compositions.

What Ax cannot state: the grid, a lower bound that applies only when an element is present,
and the element-count range. Each proposal is therefore moved to the nearest (Euclidean)
feasible grid point not yet observed, pending or chosen, in Ax's order; how far that moved
it (fraction of atoms, 0.5 * L1) is kept in ``last_rounding`` so the harness can report it,
the same honesty rule as our own repair distance.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from benchmarks.peer_protocol import Observation, StudySpace
from benchmarks.peers import grid

METRIC = "single_phase"


def _name(element: str) -> str:
    # element symbols such as "S", "I" or "E" would read as constants in Ax's expressions
    return f"x_{element}"


class AxPeer:
    """Ax's Client on the study's simplex, rounded onto the grid (see the module docstring)."""

    name = "ax"

    def __init__(self) -> None:
        self.last_rounding: list[float] = []
        self.last_nodes: list[str] = []  # which Ax generation node made each proposal
        self.last_left_out = 0  # observed alloys Ax could not be given (see _attachable)

    def _client(self, space: StudySpace, seed: int, has_data: bool):
        from ax import Client, RangeParameterConfig
        from ax.api.configs import DerivedParameterConfig

        *free, last = space.elements
        if not free:
            raise ValueError("Ax needs at least two elements in the palette")
        parameters = [RangeParameterConfig(name=_name(el), parameter_type="float",
                                           bounds=(0.0, float(space.bounds.get(el, (0.0, 1.0))[1])))
                      for el in free]
        total = " + ".join(_name(el) for el in free)
        parameters.append(DerivedParameterConfig(name=_name(last), parameter_type="float",
                                                 expression_str="1.0" + "".join(f" - {_name(el)}" for el in free)))
        constraints = [f"{total} <= 1.0"]
        last_high = float(space.bounds.get(last, (0.0, 1.0))[1])
        if last_high < 1.0:
            constraints.append(f"{total} >= {1.0 - last_high!r}")
        client = Client(random_seed=seed)
        client.configure_experiment(parameters=parameters, parameter_constraints=constraints)
        client.configure_optimization(objective=METRIC)
        # Ax's default strategy makes the centre of the space its first trial, once per
        # experiment; this adapter rebuilds the Client every round, so with data attached the
        # centre point would recur every round (a persistent Client makes it once)
        client.configure_generation_strategy(initialization_random_seed=seed,
                                             initialize_with_center=not has_data)
        return client

    def _parameterization(self, space: StudySpace, fractions: Mapping[str, float]) -> dict[str, float]:
        *free, last = space.elements
        values = {_name(el): float(fractions.get(el, 0.0)) for el in free}
        values[_name(last)] = 1.0 - sum(values.values())
        return values

    @staticmethod
    def _attachable(space: StudySpace, fractions: Mapping[str, float]) -> bool:
        """Whether Ax accepts the alloy as a trial: ``attach_trial`` takes a point outside a
        parameter's bounds (out of design, with a warning) but refuses one that breaks a
        parameter constraint, i.e. the last element above its upper bound. Such start labels
        (corpus alloys richer in that element than the design space allows) are left out."""
        last = space.elements[-1]
        return float(fractions.get(last, 0.0)) <= float(space.bounds.get(last, (0.0, 1.0))[1]) + 1e-9

    def propose(self, space: StudySpace, observed: Sequence[Observation], batch_size: int,
                seed: int, pending: Sequence[Mapping[str, float]] = ()) -> list[dict[str, float]]:
        ax_logger = logging.getLogger("ax")
        level = ax_logger.level
        ax_logger.setLevel(logging.WARNING)  # Ax logs every trial at INFO
        try:
            client = self._client(space, seed, has_data=bool(observed))
            usable = [obs for obs in observed if self._attachable(space, obs.fractions)]
            self.last_left_out = len(observed) - len(usable)
            for obs in usable:
                index = client.attach_trial(parameters=self._parameterization(space, obs.fractions))
                client.complete_trial(trial_index=index, raw_data={METRIC: float(bool(obs.hit))})
            for comp in pending:
                client.attach_trial(parameters=self._parameterization(space, comp))
            proposals: list[dict[str, float]] = []
            while len(proposals) < batch_size:
                trials = client.get_next_trials(max_trials=batch_size - len(proposals))
                if not trials:
                    raise RuntimeError(f"Ax proposed no trial after {len(proposals)} of {batch_size}")
                proposals += [{el: float(params[_name(el)]) for el in space.elements}
                              for _, params in sorted(trials.items())]
                self.last_nodes += [client._experiment.trials[index].generator_runs[0]._generation_node_name
                                    for index in sorted(trials)]
        finally:
            ax_logger.setLevel(level)
        return self._round(space, proposals, observed, pending)

    def _round(self, space: StudySpace, proposals: Sequence[Mapping[str, float]],
               observed: Sequence[Observation], pending: Sequence[Mapping[str, float]]) -> list[dict[str, float]]:
        lattice = grid.enumerate_grid(space)
        taken = grid.taken_keys(space, [obs.fractions for obs in observed]) | grid.taken_keys(space, pending)
        chosen, moved = [], []
        for point in proposals:
            key, distance = grid.nearest_free(space, lattice, point, taken)
            taken.add(key)
            chosen.append(grid.to_fractions(space, key))
            moved.append(distance)
        self.last_rounding = moved
        return chosen
