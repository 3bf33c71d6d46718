"""DesignSpace validation at construction and decode-repair onto the constrained grid."""

import numpy as np
import pytest

from alloyloop.campaigns.design_space import DesignSpace, DesignSpaceError
from alloyloop.agent.repair import repair

CANTOR = ("Co", "Cr", "Fe", "Mn", "Ni")


@pytest.mark.parametrize(("kwargs", "fragment"), [
    (dict(palette=()), "empty palette"),
    (dict(palette=("Co", "Co")), "appears twice"),
    (dict(palette=("Co", "Xx")), "'Xx' has no entry"),
    (dict(palette=("Co", "B")), "'B' has no entry"),
    (dict(palette=CANTOR, step=0.3), "fits no composition"),
    (dict(palette=CANTOR, step=0.0), "must be in"),
    (dict(palette=CANTOR, step=0.01, min_elements=4, max_elements=3), "is empty"),
    (dict(palette=CANTOR, max_elements=6), "exceeds the palette"),
    (dict(palette=CANTOR, bounds={"Al": (0, 0.1)}), "not in the palette"),
    (dict(palette=CANTOR, bounds={"Co": (0.5, 0.2)}), "0 <= min <= max <= 1"),
    (dict(palette=CANTOR, bounds={"Co": (0.001, 0.004)}), "no multiple of the step"),
    (dict(palette=("Co", "Cr"), bounds={"Co": (0.6, 1), "Cr": (0.6, 1)}), "minimums already add up to 1.20"),
    (dict(palette=("Co", "Cr"), bounds={"Co": (0, 0.4), "Cr": (0, 0.4)}), "maximums reach only 0.80"),
    (dict(palette=CANTOR, max_elements=2, bounds={el: (0.1, 1) for el in CANTOR[:3]}), "raise max_elements"),
    (dict(palette=CANTOR, forbidden=[{"Co", "Al"}]), "not in the palette"),
    (dict(palette=CANTOR, bounds={"Co": (0.1, 1), "Ni": (0.1, 1)}, forbidden=[{"Co", "Ni"}]), "required elements"),
    (dict(palette=CANTOR, descriptor_limits={"hardness": (None, 5)}), "not a property: use one of cost"),
    (dict(palette=CANTOR, descriptor_limits={"vec": (9, 8)}), "is empty"),
])
def test_bad_spaces_fail_at_construction_naming_the_fix(kwargs, fragment):
    with pytest.raises(DesignSpaceError, match=fragment):
        DesignSpace(**kwargs)


def test_a_pair_without_mixing_enthalpy_is_never_suggested_together():
    space = DesignSpace(palette=("Fe", "Th", "U"), step=0.1)
    assert space.forbidden == (frozenset({"Th", "U"}),)
    rows = np.array([[0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.4, 0.3, 0.3]])
    assert space.feasible(rows).tolist() == [True, True, False]
    assert DesignSpace.from_dict(space.to_dict()) == space
    given = DesignSpace(palette=("Fe", "Th", "U"), step=0.1, forbidden=[{"U", "Th"}])
    assert given == space
    assert DesignSpace(palette=("Fe", "Th"), step=0.1).forbidden == ()


def test_round_trip_through_dict():
    space = DesignSpace(palette=CANTOR, bounds={"Ni": (0.1, 0.4)}, min_elements=3,
                        step=0.05, forbidden=[{"Co", "Mn"}], descriptor_limits={"vec": (8.0, None)})
    again = DesignSpace.from_dict(space.to_dict())
    assert again == space
    with pytest.raises(DesignSpaceError, match="unknown design-space setting 'colour'"):
        DesignSpace.from_dict({**space.to_dict(), "colour": "red"})


def test_feasible_checks_every_constraint():
    space = DesignSpace(palette=CANTOR, bounds={"Ni": (0.1, 0.4)}, min_elements=3, step=0.05,
                        forbidden=[{"Co", "Mn"}], descriptor_limits={"vec": (7.5, None)})
    rows = np.array([
        [0.25, 0.0, 0.25, 0.0, 0.5],    # Ni above 0.4
        [0.3, 0.3, 0.3, 0.0, 0.1],      # ok (VEC = 7.9)
        [0.2, 0.2, 0.2, 0.2, 0.2],      # Co + Mn forbidden
        [0.33, 0.33, 0.24, 0.0, 0.1],   # off the 0.05 grid
        [0.0, 0.45, 0.45, 0.0, 0.1],    # VEC 7.3, below 7.5
        [0.5, 0.0, 0.5, 0.0, 0.0],      # Ni required, only 2 elements
    ])
    assert space.feasible(rows).tolist() == [False, True, False, False, False, False]


def test_repair_lands_every_row_in_the_space():
    space = DesignSpace(palette=CANTOR + ("Al",), bounds={"Al": (0, 0.1), "Ni": (0.1, 0.4)},
                        min_elements=4, max_elements=5, step=0.01, forbidden=[{"Al", "Mn"}])
    rng = np.random.default_rng(0)
    decoded = rng.dirichlet(np.full(6, 0.5), size=500)
    result = repair(decoded, space)
    assert result.valid.all()
    assert space.feasible(result.x).all()
    assert (result.distance >= 0).all() and (result.distance <= 1).all()


def test_repair_is_gentle_on_points_already_inside():
    space = DesignSpace(palette=CANTOR, step=0.01)
    x = np.array([[0.2, 0.2, 0.2, 0.2, 0.2], [0.101, 0.299, 0.2, 0.2, 0.2]])
    result = repair(x, space)
    np.testing.assert_allclose(result.x[0], x[0])
    np.testing.assert_allclose(result.x[1], [0.1, 0.3, 0.2, 0.2, 0.2])
    assert result.distance[1] == pytest.approx(0.001)


def test_repair_drops_trace_elements_and_respects_count():
    space = DesignSpace(palette=CANTOR, min_elements=2, max_elements=3, step=0.05)
    x = np.array([[0.45, 0.3, 0.2, 0.04, 0.01]])
    result = repair(x, space)
    assert (result.x[0] > 0).sum() == 3
    assert result.x[0, 3] == 0 and result.x[0, 4] == 0


def test_repair_rejects_descriptor_violations_instead_of_hiding_them():
    space = DesignSpace(palette=("Cr", "Ni"), step=0.05, descriptor_limits={"vec": (9.0, None)})
    result = repair(np.array([[0.9, 0.1], [0.1, 0.9]]), space)
    assert result.valid.tolist() == [False, True]


def test_repair_shape_error():
    space = DesignSpace(palette=CANTOR)
    with pytest.raises(ValueError, match=r"must be \(n, 5\)"):
        repair(np.ones((2, 3)), space)
