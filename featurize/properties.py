"""Alloy properties from composition: named, with units, formula and provenance.

One registry, :data:`PROPERTIES`, holds what a campaign may constrain or optimize:

- ``density`` [g/cm³]: rule of mixtures of element *volumes*, ρ = Σ c_i A_i / Σ c_i A_i/ρ_i
  (mass of a mole of alloy over the sum of its elements' molar volumes as solids; c = mole
  fractions, A = atomic mass, ρ_i = element density). It ignores the excess volume of
  mixing, which for the refractory HEAs is within about 1 % (tests: Senkov et al. 2011).
  Element densities: pymatgen ``Element.density_of_solid`` (room temperature).
- ``cost`` [USD/kg]: raw-material cost index, the mass-weighted mean element price
  Σ c_i A_i p_i / Σ c_i A_i, prices of :mod:`alloyloop.featurize.element_prices` (2023,
  source per element). Ignores melting, processing and scrap.
- every descriptor of :data:`~alloyloop.featurize.descriptors.FULL_SCHEMA` (``tm``, ``vec``,
  ``delta``, ``hmix``, …) under its own name, formula and element data
  (:data:`~alloyloop.featurize.elements.PROVENANCE`).

Density, cost and the rule-of-mixtures descriptors (T_m, VEC, K, V_m, VAC) are *linear-
fractional* in the mole fractions, value = (c·a)/(c·b) with b > 0
(:meth:`Property.ratio_form`): their range over a design space is found exactly (up to the
grid) by :func:`reachable_range`, so a campaign asking for the impossible (density ≤ 2
g/cm³ from refractory metals) is refused when the spec is read.

An alloy naming an element without data for a property is refused (:class:`PropertyError`);
today all 55 elements of the element table have a density and a price.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from alloyloop.featurize.descriptors import FULL_SCHEMA, descriptor_matrix
from alloyloop.featurize.element_prices import ELEMENT_PRICES, PRICE_YEAR
from alloyloop.featurize.elements import PROVENANCE, element_table


class PropertyError(ValueError):
    """A property cannot be computed (unknown name, or an element lacks data)."""


DENSITY_PROVENANCE = ("element densities: pymatgen Element.density_of_solid (kg/m³ → g/cm³); "
                      "atomic masses: pymatgen Element.atomic_mass")
COST_PROVENANCE = (f"element prices {PRICE_YEAR}, USD/kg, source per element in "
                   "alloyloop.featurize.element_prices (USGS Mineral Commodity Summaries 2024 "
                   "and others; estimates flagged)")

_DESCRIPTOR_DATA = {
    "smix": "—", "delta": "radius_pm", "hmix": "pair_enthalpy_kJ", "vec": "vec",
    "delta_chi": "electronegativity", "tm": "melting_K", "omega": "melting_K",
    "k": "bulk_modulus_GPa", "vm": "molar_volume_cm3", "n_elements": "—", "vac": "valence_all",
}
_LINEAR_DESCRIPTORS = {"tm": "melting_K", "vec": "vec", "k": "bulk_modulus_GPa",
                       "vm": "molar_volume_cm3", "vac": "valence_all"}


@lru_cache(maxsize=1)
def element_densities() -> dict[str, float]:
    """g/cm³ of every element of the element table that pymatgen has a solid density for."""
    from pymatgen.core.periodic_table import Element

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for sym in element_table().symbols:
            rho = Element(sym).density_of_solid
            if rho is not None and float(rho) > 0:
                out[sym] = float(rho) / 1000.0
    return out


def element_prices() -> dict[str, float]:
    """USD/kg of every element with a price."""
    return {el: p.usd_per_kg for el, p in ELEMENT_PRICES.items()}


@dataclass(frozen=True)
class Property:
    """One alloy property.

    Attributes:
        name: machine name (spec key).
        symbol, unit: for tables and plots.
        description, formula: what it is and how it is computed.
        provenance: where the element data come from.
    """

    name: str
    symbol: str
    unit: str
    description: str
    formula: str
    provenance: str
    _ratio: Callable[[Sequence[str]], tuple[np.ndarray, np.ndarray]] | None = None
    _element_data: Callable[[], Sequence[str]] | None = None

    @property
    def label(self) -> str:
        return f"{self.symbol} [{self.unit}]" if self.unit else self.symbol

    def missing_elements(self, elements: Sequence[str]) -> list[str]:
        """Elements of ``elements`` this property has no data for."""
        if self._element_data is None:
            return []
        have = set(self._element_data())
        return [el for el in elements if el not in have]

    def ratio_form(self, elements: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
        """``(a, b)`` with value = (c·a)/(c·b), or None when the property is not of that
        form (δ, ΔS_mix, ΔH_mix, …)."""
        if self._ratio is None:
            return None
        self._check_data(elements, np.ones((1, len(elements))))
        return self._ratio(elements)

    def _check_data(self, elements: Sequence[str], x: np.ndarray) -> None:
        missing = self.missing_elements(elements)
        if not missing:
            return
        used = [el for el in missing if (x[:, list(elements).index(el)] > 0).any()]
        if used:
            raise PropertyError(
                f"{self.name} has no data for {', '.join(used)} ({self.provenance}): drop "
                f"alloys with {used[0]}, or the {self.name} limit/objective")

    def values(self, fractions: np.ndarray, elements: Sequence[str]) -> np.ndarray:
        """``(n,)`` values for ``(n, E)`` mole fractions (rows renormalized).

        Raises:
            PropertyError: an alloy contains an element this property has no data for.
        """
        x = np.asarray(fractions, dtype=np.float64).reshape(-1, len(elements))
        self._check_data(elements, x)
        if self._ratio is not None and self.name not in _LINEAR_DESCRIPTORS:
            present = [i for i, el in enumerate(elements) if el not in self.missing_elements([el])]
            a = np.zeros(len(elements))
            b = np.ones(len(elements))
            a_p, b_p = self._ratio([elements[i] for i in present])
            a[present], b[present] = a_p, b_p
            return (x @ a) / (x @ b)
        return descriptor_matrix(x, list(elements), FULL_SCHEMA.select([self.name]))[:, 0]


def _table_column(column: str) -> Callable[[Sequence[str]], tuple[np.ndarray, np.ndarray]]:
    def ratio(elements: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        a = getattr(element_table().subset(list(elements)), column)
        return np.asarray(a, dtype=np.float64), np.ones(len(elements))
    return ratio


def _density_ratio(elements: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    mass = element_table().subset(list(elements)).atomic_mass
    rho = np.array([element_densities()[el] for el in elements])
    return mass, mass / rho


def _cost_ratio(elements: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    mass = element_table().subset(list(elements)).atomic_mass
    price = np.array([ELEMENT_PRICES[el].usd_per_kg for el in elements])
    return mass * price, mass


_FORMULAS = {
    "smix": "−R Σ c_i ln c_i", "delta": "100 √(Σ c_i (1 − r_i/r̄)²)",
    "hmix": "Σ_{i<j} 4 c_i c_j ΔH_ij", "vec": "Σ c_i VEC_i", "delta_chi": "√(Σ c_i (χ_i − χ̄)²)",
    "tm": "Σ c_i T_m,i", "omega": "T_m ΔS_mix / |ΔH_mix|", "k": "Σ c_i K_i",
    "vm": "Σ c_i V_m,i", "n_elements": "number of elements present", "vac": "Σ c_i VAC_i",
}


def _registry() -> dict[str, Property]:
    out = {
        "density": Property(
            "density", "ρ", "g/cm³", "rule-of-mixtures density (element volumes add up)",
            "ρ = Σ c_i A_i / Σ c_i A_i/ρ_i", DENSITY_PROVENANCE, _density_ratio,
            lambda: element_densities().keys()),
        "cost": Property(
            "cost", "cost", "USD/kg", f"raw-material cost index (element prices {PRICE_YEAR})",
            "Σ c_i A_i p_i / Σ c_i A_i (mass-weighted element price)", COST_PROVENANCE,
            _cost_ratio, lambda: ELEMENT_PRICES.keys()),
    }
    for f in FULL_SCHEMA.features:
        data = _DESCRIPTOR_DATA.get(f.name, "—")
        out[f.name] = Property(
            f.name, f.symbol, f.unit, f.description, _FORMULAS.get(f.name, ""),
            PROVENANCE.get(data, "composition only") if data != "—" else "composition only",
            _table_column(_LINEAR_DESCRIPTORS[f.name]) if f.name in _LINEAR_DESCRIPTORS else None)
    return out


PROPERTIES: dict[str, Property] = _registry()
"""Every property by name: ``density``, ``cost`` and the descriptors of FULL_SCHEMA."""


def get_property(name: str) -> Property:
    """The property ``name``.

    Raises:
        PropertyError: unknown name (the message lists the valid ones).
    """
    try:
        return PROPERTIES[name]
    except KeyError:
        raise PropertyError(f"unknown property {name!r}: use one of "
                            f"{', '.join(sorted(PROPERTIES))}") from None


def property_matrix(fractions: np.ndarray, elements: Sequence[str],
                    names: Sequence[str]) -> np.ndarray:
    """``(n, len(names))`` values of the named properties."""
    x = np.asarray(fractions, dtype=np.float64).reshape(-1, len(elements))
    if not names:
        return np.empty((len(x), 0))
    return np.column_stack([get_property(n).values(x, elements) for n in names])


@dataclass(frozen=True)
class Reach:
    """The range of a property over a design space, and compositions at its ends."""

    low: float
    high: float
    low_at: np.ndarray
    high_at: np.ndarray


def reachable_range(prop: Property, elements: Sequence[str], low: np.ndarray, high: np.ndarray,
                    required: np.ndarray, min_elements: int = 1, step: float = 0.0
                    ) -> Reach | None:
    """The smallest and largest value of a linear-fractional property over compositions
    with ``Σ c = 1``, ``c_i ≤ high_i``, required elements ``c_i ≥ low_i`` and at least
    ``min_elements`` elements of at least ``step`` each (Dinkelbach's method; the grid,
    forbidden sets and ``max_elements`` are ignored, so the range is never narrower than
    the true one). None when the property is not linear-fractional.

    Returns:
        :class:`Reach`: the lowest and highest value and mole fractions reaching them.
    """
    form = prop.ratio_form(elements)
    if form is None:
        return None
    a, b = form
    lo = np.where(required, np.maximum(low, step), 0.0)
    least, c_least = _extreme(a, b, lo, high, required, min_elements, step, sign=1.0)
    most, c_most = _extreme(a, b, lo, high, required, min_elements, step, sign=-1.0)
    return Reach(least, most, c_least, c_most)


def _extreme(a, b, lo, hi, required, k, step, *, sign: float) -> tuple[float, np.ndarray]:
    def vertex(coef: np.ndarray) -> np.ndarray:
        c = lo.copy()
        present = required.copy()
        order = np.argsort(coef, kind="stable")
        extra = [i for i in order if not present[i]][: max(0, k - int(present.sum()))]
        c[extra] = np.maximum(c[extra], min(step, 1.0))
        left = 1.0 - c.sum()
        for i in order:
            if left <= 1e-15:
                break
            add = min(hi[i] - c[i], left)
            if add > 0:
                c[i] += add
                left -= add
        return c

    c = vertex(np.zeros_like(a))
    lam = float(c @ a / (c @ b))
    for _ in range(100):
        c = vertex(sign * (a - lam * b))
        new = float(c @ a / (c @ b))
        if abs(new - lam) <= 1e-12 * max(1.0, abs(lam)):
            break
        lam = new
    return lam, c
