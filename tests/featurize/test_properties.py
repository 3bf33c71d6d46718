"""Alloy properties: densities against measured HEAs, cost index, coverage, reachable range."""

from __future__ import annotations

import numpy as np
import pytest

from alloyloop.featurize.composition import parse_composition
from alloyloop.featurize.descriptors import FULL_SCHEMA, descriptor_matrix
from alloyloop.featurize.element_prices import ELEMENT_PRICES
from alloyloop.featurize.elements import element_table
from alloyloop.featurize.properties import (
    PROPERTIES,
    PropertyError,
    Property,
    element_densities,
    get_property,
    property_matrix,
    reachable_range,
)

DENSITY_TOLERANCE = 0.015
"""Relative: the rule of mixtures ignores the excess volume of mixing (≤ ~1 % here)."""

# Measured densities (g/cm³) of as-cast refractory HEAs, Senkov et al.
MEASURED = [
    ("NbMoTaW", 13.75, "Senkov et al., Intermetallics 19 (2011) 698"),
    ("NbMoTaWV", 12.36, "Senkov et al., Intermetallics 19 (2011) 698"),
    ("HfNbTaTiZr", 9.94, "Senkov et al., J. Alloys Compd. 509 (2011) 6043"),
]


def _values(formula: str, names: list[str]) -> np.ndarray:
    f = parse_composition(formula).fractions
    elements = list(f)
    return property_matrix(np.array([[f[e] for e in elements]]), elements, names)[0]


@pytest.mark.parametrize(("formula", "measured", "source"), MEASURED)
def test_density_matches_measured_refractory_heas(formula: str, measured: float, source: str) -> None:
    (rho,) = _values(formula, ["density"])
    assert abs(rho - measured) / measured < DENSITY_TOLERANCE, (formula, rho, source)


def test_density_is_mass_over_summed_element_volumes() -> None:
    rho = element_densities()
    table = element_table().subset(["Al", "W"])
    mass = 0.5 * table.atomic_mass.sum()
    volume = 0.5 * (table.atomic_mass[0] / rho["Al"] + table.atomic_mass[1] / rho["W"])
    assert _values("AlW", ["density"])[0] == pytest.approx(mass / volume)
    assert _values("W", ["density"])[0] == pytest.approx(19.25, rel=1e-3)  # pure W


def test_every_element_of_the_table_has_a_density_and_a_price() -> None:
    symbols = set(element_table().symbols)
    assert len(symbols) == 55
    assert symbols <= set(element_densities())
    assert symbols <= set(ELEMENT_PRICES)
    for el, price in ELEMENT_PRICES.items():
        assert price.usd_per_kg > 0 and price.source and price.basis in (
            "reported", "derived", "estimate"), el


def test_cost_index_is_the_mass_weighted_price() -> None:
    table = element_table().subset(["Fe", "Ni"])
    p = np.array([ELEMENT_PRICES["Fe"].usd_per_kg, ELEMENT_PRICES["Ni"].usd_per_kg])
    expected = (table.atomic_mass * p).sum() / table.atomic_mass.sum()
    assert _values("FeNi", ["cost"])[0] == pytest.approx(expected)
    # Ta and Hf make a refractory alloy an order of magnitude dearer than a Cantor alloy.
    assert _values("HfNbTaTiZr", ["cost"])[0] > 10 * _values("CoCrFeMnNi", ["cost"])[0]


def test_descriptors_are_properties_with_the_featurizers_values() -> None:
    assert set(FULL_SCHEMA.names) <= set(PROPERTIES)
    f = parse_composition("Al0.5CoCrFeNi").fractions
    el = list(f)
    x = np.array([[f[e] for e in el]])
    ours = property_matrix(x, el, ["tm", "vec", "delta"])
    theirs = descriptor_matrix(x, el, FULL_SCHEMA.select(["tm", "vec", "delta"]))
    np.testing.assert_allclose(ours, theirs)
    for name in ("density", "cost", "tm", "vec", "delta"):
        p = get_property(name)
        assert p.unit and p.provenance and p.formula, name


def test_unknown_property_lists_the_valid_ones() -> None:
    with pytest.raises(PropertyError, match="unknown property 'weight': use one of .*density"):
        get_property("weight")


def test_property_refuses_an_alloy_with_an_element_it_has_no_data_for() -> None:
    base = get_property("density")
    partial = Property(base.name, base.symbol, base.unit, base.description, base.formula,
                       base.provenance, base._ratio, lambda: ("Nb", "Mo"))
    x = np.array([[0.5, 0.5, 0.0]])
    assert partial.values(x, ["Nb", "Mo", "W"])[0] > 0  # W absent: fine
    with pytest.raises(PropertyError, match="density has no data for W"):
        partial.values(np.array([[0.4, 0.3, 0.3]]), ["Nb", "Mo", "W"])


def test_reachable_range_finds_the_lightest_and_heaviest_alloy() -> None:
    palette = ["Mo", "Nb", "Ta", "W"]
    low = np.full(4, 0.05)
    high = np.full(4, 1.0)
    required = np.zeros(4, dtype=bool)
    reach = reachable_range(get_property("density"), palette, low, high, required, 1, 0.05)
    assert reach.low == pytest.approx(8.57, rel=1e-3)  # pure Nb
    assert reach.high == pytest.approx(19.25, rel=1e-3)  # pure W
    four = reachable_range(get_property("density"), palette, low, high, required, 4, 0.05)
    assert four.low > reach.low and (four.low_at > 0).sum() == 4
    assert property_matrix(four.low_at[None], palette, ["density"])[0, 0] == pytest.approx(four.low)
    # A brute force over the 5 at.% grid agrees (no composition is lighter).
    grid = np.array([(a, b, c, 20 - a - b - c) for a in range(1, 18) for b in range(1, 18)
                     for c in range(1, 18) if 20 - a - b - c >= 1]) / 20
    assert property_matrix(grid, palette, ["density"])[:, 0].min() >= four.low - 1e-9
    assert reachable_range(get_property("delta"), palette, low, high, required) is None
