"""Random valid specs survive TOML (what people write) and the converter (what the code
keeps): parse → write → parse gives an equal spec, and the options' tagged form comes back."""

from __future__ import annotations

import tomllib

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from alloyloop.campaigns.registry import LABELERS, STRATEGIES, LabelerOptions, StrategyOptions
from alloyloop.campaigns.sections import ModelSpec, PoolSpec, ReportSpec, RetrainSpec
from alloyloop.campaigns.spec import parse_spec
from alloyloop.featurize.converter import converter, structure, unstructure

PALETTE = ["Co", "Cr", "Fe", "Mn", "Ni"]
_OPTION_VALUES = {  # within the declared bounds; the property is the round trip
    "acquisition": None, "beta": st.floats(0, 10), "diversity": st.floats(0, 3),
    "new_system_margin": st.floats(0, 1), "min_p_ratio": st.floats(0, 1),
    "screen_candidates": st.integers(0, 256),
    "avoid_misses": st.integers(0, 6), "avoid_radius": st.floats(0.01, 1),
    "avoid_factor": st.floats(0, 1), "probe_count": st.integers(0, 4),
    "novel_distance": st.floats(0.01, 0.99), "novel_margin": st.floats(0, 0.99),
    "max_per_system": st.integers(0, 4), "oversample": st.integers(1, 8),
    "num_restarts": st.integers(1, 8), "raw_samples": st.integers(1, 512),
    "dropout_members": st.integers(2, 16), "n_design": st.integers(1, 256),
    "max_labelled": st.integers(1, 256), "pool_logit_input": st.booleans(),
    "max_candidates": st.integers(1, 10**6), "chunk_size": st.integers(1, 10**5),
    "reserve": st.integers(1, 40), "resolution": st.floats(0, 0.1), "per_system": st.integers(0, 5),
    "n_points": st.integers(1, 1024), "max_repair_distance": st.floats(0.01, 1),
    "threshold": st.floats(0.05, 1.5), "max_steps": st.integers(1, 20),
    "n_trees": st.integers(1, 500), "kappa": st.floats(0, 5), "xi": st.floats(0, 1),
    "group": st.none(), "box": st.none(), "starts": st.just(["CoCrNi", "Fe2Ni"]),
}
_CHOICES = {"screen": ("greedy", "uncertainty"), "botorch": ("qLogNEI", "qUCB", "qSR", "Thompson"),
            "botorch-gp": ("qLogNEI", "qUCB"), "rf": ("EI", "UCB")}


@st.composite
def strategy_tables(draw: st.DrawFn, kind: str) -> dict:
    names = [a.name for a in attrs.fields(STRATEGIES[kind].options)]
    chosen = draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    table = {"count": draw(st.integers(1, 3))}
    for name in chosen:
        values = st.sampled_from(_CHOICES[kind]) if name == "acquisition" else _OPTION_VALUES[name]
        value = draw(values)
        if value is not None:
            table[name] = value
    return table


@st.composite
def specs(draw: st.DrawFn) -> dict:
    units = draw(st.sampled_from(["at.%", "fraction"]))
    scale = 100 if units == "at.%" else 1
    kinds = draw(st.lists(st.sampled_from(["screen", "botorch", "botorch-gp", "rf", "random",
                                           "nudge", "latent_region", "random_latent"]),
                          min_size=1, max_size=3, unique=True))
    strategies = {k: draw(strategy_tables(k)) for k in kinds}
    labeler = draw(st.sampled_from([
        {"kind": "lab"},
        {"kind": "replay", "holdout_fraction": draw(st.floats(0.05, 0.95)),
         "tolerance": draw(st.sampled_from([0.05, 0.1, 0.25])) * scale,
         "seed": draw(st.integers(0, 9)), "start_fraction": draw(st.floats(0.1, 1))}]))
    spec = {
        "name": draw(st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)),
        "seed": draw(st.integers(0, 99)),
        "batch_size": sum(t["count"] for t in strategies.values()),
        "target": "single",
        "design_space": {"units": units, "palette": PALETTE, "step": 0.1 * scale,
                         "min_elements": draw(st.integers(1, 4)),
                         "bounds": {"Co": [0, draw(st.sampled_from([0.3, 0.5, 1.0])) * scale]}},
        "strategies": strategies,
        "model": {"max_unlabelled": draw(st.one_of(st.none(), st.integers(1, 5000))),
                  "warm_start": draw(st.booleans())},
        "retrain": {"every_n_labels": draw(st.integers(1, 20))},
        "labeler": labeler,
        "report": {"shap_rows": draw(st.integers(10, 5000)), "shap_background": draw(st.integers(5, 1000))},
    }
    if draw(st.booleans()):
        spec["description"] = draw(st.text(min_size=1, max_size=30))
    spec["model"] = {k: v for k, v in spec["model"].items() if v is not None}
    return spec


@settings(max_examples=40, deadline=None)
@given(specs())
def test_random_valid_specs_round_trip_through_toml_and_the_converter(data: dict) -> None:
    spec = parse_spec(data)
    assert spec.batch_size == sum(s.count for s in spec.strategies)
    assert parse_spec(tomllib.loads(spec.to_toml())) == spec
    assert parse_spec(spec.to_dict()) == spec
    for s in spec.strategies:
        tagged = converter.unstructure(s.options, StrategyOptions)
        assert tagged["kind"] == s.kind and converter.structure(tagged, StrategyOptions) == s.options
    tagged = converter.unstructure(spec.labeler, LabelerOptions)
    assert tagged["kind"] in LABELERS and converter.structure(tagged, LabelerOptions) == spec.labeler
    for section, cls in ((spec.model, ModelSpec), (spec.retrain, RetrainSpec), (spec.report, ReportSpec)):
        assert structure(unstructure(section), cls) == section


def test_the_converter_refuses_what_the_classes_refuse() -> None:
    import pytest

    from alloyloop.campaigns.options.checks import OptionError

    with pytest.raises(OptionError, match="shap_rows: -5"):
        structure({"shap_rows": -5}, ReportSpec)
    with pytest.raises(OptionError, match="beta: -3"):
        converter.structure({"kind": "botorch", "beta": -3}, StrategyOptions)
    with pytest.raises(ValueError, match="unknown PoolSpec setting 'colour'"):
        structure({"source": "file", "path": "x.csv", "colour": 1}, PoolSpec)
