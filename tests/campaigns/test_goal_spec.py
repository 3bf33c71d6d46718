"""Spec settings of issue #21: target, property limits, objectives, and their round trips."""

from __future__ import annotations

import copy
import json
import tomllib

import numpy as np
import pytest

from alloyloop.campaigns.bundled import example_names, example_path, load_example
from alloyloop.campaigns.design_space import DesignSpace, DesignSpaceError
from alloyloop.campaigns.errors import SpecError
from alloyloop.campaigns.goal import Goal, GoalError
from alloyloop.campaigns.spec import parse_spec
from alloyloop.featurize.properties import property_matrix

LIGHT = tomllib.loads(example_path("refractory-bcc-light").read_text())


def _light(change) -> dict:  # noqa: ANN001
    data = copy.deepcopy(LIGHT)
    change(data)
    return data


def _problems(data: dict) -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    return str(info.value)


def test_the_light_refractory_example_and_cantor_fcc_validate_with_their_goals() -> None:
    assert {"refractory-bcc-light", "cantor-fcc"} <= set(example_names())
    light = load_example("refractory-bcc-light")
    assert light.goal == Goal(target="BCC", objectives={"density": "minimize",
                                                         "cost": "minimize"})
    assert light.space.palette == ("Al", "Cr", "Hf", "Mo", "Nb", "Ta", "Ti", "V", "W", "Zr")
    assert light.space.descriptor_limits["density"] == (None, 9)
    assert load_example("cantor-fcc").goal.target == "FCC"
    assert load_example("demo").goal == Goal()  # default: single, no objectives


@pytest.mark.parametrize("name", example_names())
def test_goal_round_trips_through_toml_json_and_the_converter(name: str) -> None:
    spec = load_example(name)
    assert parse_spec(tomllib.loads(spec.to_toml())) == spec
    assert parse_spec(json.loads(json.dumps(spec.to_dict()))) == spec
    assert Goal.from_dict(spec.goal.to_dict()) == spec.goal
    assert DesignSpace.from_dict(spec.space.to_dict()) == spec.space


def test_density_limit_filters_every_strategys_candidates() -> None:
    space = load_example("refractory-bcc-light").space
    x = np.zeros((2, len(space.palette)))
    pal = list(space.palette)
    for el in ("Mo", "Nb", "Ta", "W"):  # NbMoTaW, 13.6 g/cm³
        x[0, pal.index(el)] = 0.25
    for el, v in (("Al", 0.2), ("Cr", 0.2), ("Nb", 0.3), ("Ti", 0.3)):  # about 5.6 g/cm³
        x[1, pal.index(el)] = v
    rho = property_matrix(x, pal, ["density"])[:, 0]
    assert rho[0] > 9 > rho[1]
    assert space.feasible(x).tolist() == [False, True]


def test_bad_target_names_the_valid_ones() -> None:
    assert "target: 'bcc' is not one of 'single', 'FCC', 'BCC', 'HCP'" in _problems(
        _light(lambda d: d.update(target="bcc")))
    with pytest.raises(GoalError, match="did you mean 'FCC'"):
        Goal(target="fcc")


def test_unknown_property_in_a_limit_or_an_objective_lists_the_valid_ones() -> None:
    msg = _problems(_light(lambda d: d["design_space"]["descriptor_limits"].update(
        weight={"max": 8})))
    assert "design_space.descriptor_limits.weight: limit on 'weight', which is not a property" in msg
    assert "cost, delta" in msg and "density" in msg
    msg = _problems(_light(lambda d: d["objectives"].update(denisty="minimize")))
    assert "objectives.denisty: objective on 'denisty', which is not a property: use one of" in msg


def test_infeasible_density_limit_says_the_lightest_reachable_alloy() -> None:
    msg = _problems(_light(lambda d: d["design_space"]["descriptor_limits"].update(
        density={"max": 2})))
    assert "design_space.descriptor_limits.density: limit density <= 2 g/cm³ is infeasible" in msg
    assert "reach is 4.31 g/cm³ (at.%: Al20Cr5Ti70V5); raise max to at least 4.31" in msg
    msg = _problems(_light(lambda d: d["design_space"]["descriptor_limits"].update(
        density={"min": 20})))
    assert "highest density" in msg and "lower min to at most 18.3" in msg
    # Without Al and with Ti at most 35 at.%, the lightest alloy is mostly V.
    with pytest.raises(DesignSpaceError, match=r"reach is 5.65 g/cm³ \(at.%: Cr5Nb5Ti35V55\)"):
        DesignSpace(palette=("Cr", "Mo", "Nb", "Ta", "Ti", "V", "W"), min_elements=4,
                    step=0.05, bounds={"Ti": (0, 0.35)}, descriptor_limits={"density": (None, 2)})


def test_min_above_max_and_bad_direction_name_the_fix() -> None:
    msg = _problems(_light(lambda d: d["design_space"]["descriptor_limits"].update(
        density={"min": 10, "max": 8})))
    assert "limit density = { min = 10, max = 8 } is empty: min must be <= max; swap them" in msg
    msg = _problems(_light(lambda d: d["objectives"].update(density="lower")))
    assert ('objectives.density: objective density = \'lower\' is not a direction: write '
            'density = "minimize" or density = "maximize"') in msg


def test_objectives_need_the_botorch_strategy() -> None:
    msg = _problems(_light(lambda d: d.update(strategies={"screen": 8})))
    assert "objectives: objectives are optimized by the botorch strategy" in msg


def test_omega_and_element_count_are_limits_not_objectives() -> None:
    msg = _problems(_light(lambda d: d["objectives"].update(omega="maximize")))
    assert "objectives.omega: omega cannot be an objective: it is infinite where" in msg
    with pytest.raises(GoalError, match="use min_elements / max_elements"):
        Goal(objectives={"n_elements": "minimize"})
