"""One equilibrium with pycalphad: phase fractions of an alloy at a temperature.

:class:`Calculator` loads a TDB database once and keeps, per element system, the phase
models and pycalphad's phase records: the first equilibrium of a system compiles them
(seconds), later ones of the same system reuse them (a fraction of a second). It runs
inside the worker processes of :mod:`alloyloop.agent.calphad.pool`.

Conditions: T, P = 101325 Pa, N = 1 mol, and the mole fraction of every element but the
last (alphabetical) one; the phases are every phase of the database that the elements can
form (``filter_phases``, which also drops the disordered twin of an order-disorder pair).

Reading the result, per equilibrium vertex (a phase present):

- **Ordering.** pycalphad reports an order-disorder phase (BCC_B2 with its disordered
  part BCC_A2, L12_FCC with FCC_A1) under the ordered name even where it is disordered.
  When its substitutional sublattices hold the same site fractions (within
  :data:`ORDER_TOLERANCE`) it is the disordered phase and is reported under that name:
  a disordered BCC_B2 is BCC_A2.
- **Duplicates.** Vertices of one phase name with the same composition (within
  :data:`SAME_COMPOSITION`) are one phase and their fractions add up; with different
  compositions they are distinct phases (a miscibility gap) and the second is named
  ``NAME#2``.
- Fractions are divided by their sum (pycalphad's add up to 1 within ~1e-12).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alloyloop.agent.calphad.phases import PhaseAmount

PRESSURE_PA = 101325.0
ORDER_TOLERANCE = 1e-3
SAME_COMPOSITION = 1e-2
MIN_FRACTION = 1e-10


class EquilibriumFailed(RuntimeError):
    """pycalphad gave no usable result for these conditions."""


@dataclass(frozen=True)
class _Ordering:
    """How to tell an order-disorder phase's disordered state from its site fractions."""

    disordered: str
    groups: tuple[tuple[int, ...], ...]
    """Per species: indices into the phase's site fractions, one per substitutional sublattice."""


@dataclass
class _System:
    comps: list[str]
    phases: list[str]
    models: dict[str, Any]
    records: Any
    ordering: dict[str, _Ordering]


class Calculator:
    """Equilibria from one TDB database (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        import pycalphad
        from pycalphad import Database

        self.path = Path(path)
        self.version: str = pycalphad.__version__
        self.database = Database(str(self.path))
        self._systems: dict[tuple[str, ...], _System] = {}

    def _system(self, elements: tuple[str, ...]) -> _System:
        system = self._systems.get(elements)
        if system is not None:
            return system
        from pycalphad import variables as v
        from pycalphad.codegen.phase_record_factory import PhaseRecordFactory
        from pycalphad.core.utils import filter_phases, instantiate_models, unpack_species

        comps = [e.upper() for e in elements] + ["VA"]
        phases = filter_phases(self.database, unpack_species(self.database, comps))
        models = instantiate_models(self.database, comps, phases)
        conditions = {v.T: 1000.0, v.P: PRESSURE_PA, v.N: 1.0}
        records = PhaseRecordFactory(self.database, comps, conditions, models)
        ordering = {p: o for p in phases if (o := self._ordering(p, models[p])) is not None}
        system = _System(comps, phases, models, records, ordering)
        self._systems[elements] = system
        return system

    def _ordering(self, phase: str, model: Any) -> _Ordering | None:
        hints = self.database.phases[phase].model_hints
        disordered = hints.get("disordered_phase")
        if not disordered or disordered == phase:
            return None
        n_sub = (len(self.database.phases[phase].sublattices)
                 - len(self.database.phases[disordered].sublattices) + 1)
        index: dict[str, dict[int, int]] = {}
        for i, y in enumerate(model.site_fractions):
            if y.sublattice_index < n_sub:
                index.setdefault(y.species.name, {})[y.sublattice_index] = i
        groups = tuple(tuple(by_sub.get(s, -1) for s in range(n_sub)) for by_sub in index.values())
        return _Ordering(disordered, groups)

    def phase_amounts(self, fractions: Mapping[str, float], temperature: float,
                      pressure: float = PRESSURE_PA) -> list[PhaseAmount]:
        """The phases at equilibrium and their mole fractions, largest first.

        Args:
            fractions: element symbol (``Al``) → mole fraction (adding up to 1).
            temperature: kelvin.

        Raises:
            EquilibriumFailed: pycalphad did not converge or found no phase.
        """
        from pycalphad import equilibrium
        from pycalphad import variables as v

        present = {el: x for el, x in fractions.items() if x > 0}
        elements = tuple(sorted(present))
        total = sum(present.values())
        system = self._system(elements)
        conditions: dict[Any, float] = {v.T: float(temperature), v.P: float(pressure), v.N: 1.0}
        for el in elements[:-1]:  # the last element is the balance
            conditions[v.X(el.upper())] = present[el] / total
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pycalphad's numerical warnings say nothing new here
            eq = equilibrium(self.database, system.comps, system.phases, conditions,
                             model=system.models, phase_records=system.records)
        if not np.all(np.isfinite(np.asarray(eq.GM.values, dtype=float))):
            raise EquilibriumFailed("pycalphad's solver did not converge")
        return self._read(eq, system)

    def _read(self, eq: Any, system: _System) -> list[PhaseAmount]:
        names = np.asarray(eq.Phase.values).reshape(-1)
        amounts = np.asarray(eq.NP.values, dtype=float).reshape(-1)
        x = np.asarray(eq.X.values, dtype=float).reshape(len(names), -1)
        y = np.asarray(eq.Y.values, dtype=float).reshape(len(names), -1)
        found: list[tuple[str, np.ndarray, float]] = []  # (name, composition, moles)
        for i, raw in enumerate(names):
            name = str(raw)
            if not name or not math.isfinite(amounts[i]) or amounts[i] <= MIN_FRACTION:
                continue
            order = system.ordering.get(name)
            if order is not None and _is_disordered(y[i], order):
                name = order.disordered
            for j, (known, comp, moles) in enumerate(found):
                if known == name and np.max(np.abs(comp - x[i])) < SAME_COMPOSITION:
                    found[j] = (known, comp, moles + amounts[i])
                    break
            else:
                found.append((name, x[i], float(amounts[i])))
        total = sum(m for _, _, m in found)
        if not found or total <= 0:
            raise EquilibriumFailed("pycalphad found no phase")
        found.sort(key=lambda f: -f[2])
        seen: dict[str, int] = {}
        out = []
        for name, _, moles in found:
            seen[name] = seen.get(name, 0) + 1
            label = name if seen[name] == 1 else f"{name}#{seen[name]}"
            out.append(PhaseAmount(label, moles / total))
        return out


def _is_disordered(y: np.ndarray, order: _Ordering) -> bool:
    """Every species holds the same site fraction on every substitutional sublattice."""
    for group in order.groups:
        values = [0.0 if i < 0 else y[i] for i in group]
        if max(values) - min(values) > ORDER_TOLERANCE:
            return False
    return True
