"""``[model] processing``: the route a campaign designs for, validated against the store's
processing kinds, consistent with ``[model.dvae] processing_input``, round-tripped."""

from __future__ import annotations

import json
import tomllib

import pytest

from alloyloop.campaigns.errors import SpecError
from alloyloop.campaigns.spec import ROUTES, ModelSpec, parse_spec
from alloyloop.db.vocab import ProcessingKind

BASE = {
    "name": "routed",
    "design_space": {"units": "at.%", "palette": ["Co", "Cr", "Fe", "Ni"], "step": 5,
                     "min_elements": 3},
    "strategies": {"screen": 2},
}


def _with_model(**model) -> dict:  # noqa: ANN003
    return {**BASE, "model": model}


def test_route_turns_processing_input_on_and_round_trips() -> None:
    spec = parse_spec(_with_model(processing="annealed"))
    assert spec.model.processing == "annealed" and spec.model.config().processing_input is True
    assert spec.model.dvae == {}  # implied, not written: the spec stays as the user wrote it
    assert spec.to_dict()["model"]["processing"] == "annealed"
    assert parse_spec(tomllib.loads(spec.to_toml())) == spec
    assert parse_spec(json.loads(json.dumps(spec.to_dict()))) == spec
    explicit = parse_spec(_with_model(processing="as-cast", dvae={"processing_input": True}))
    assert parse_spec(explicit.to_dict()) == explicit
    assert "processing" not in parse_spec(BASE).to_dict()["model"]
    assert parse_spec(BASE).model.config().processing_input is False
    assert ROUTES == tuple(k.value for k in ProcessingKind)


def test_a_bad_route_names_the_choices() -> None:
    with pytest.raises(SpecError) as err:
        parse_spec(_with_model(processing="forged"))
    text = str(err.value)
    assert "model.processing: 'forged' is not a processing route: did you mean 'wrought'?" in text
    assert all(repr(r) in text for r in ROUTES)
    with pytest.raises(SpecError, match="7 is not a processing route: use one of 'as-cast'"):
        parse_spec(_with_model(processing=7))
    with pytest.raises(SpecError, match="'annealed 1100C 24h' is not a processing route: did "
                       "you mean 'annealed'"):
        parse_spec(_with_model(processing="annealed 1100C 24h"))
    with pytest.raises(SpecError, match="'cast' is not a processing route"):  # at construction
        ModelSpec(seed=0, palette=("Co", "Ni"), processing="cast")


def test_processing_input_and_route_must_agree() -> None:
    with pytest.raises(SpecError, match=r"model\.dvae\.processing_input: true needs the route "
                       r"the campaign designs for: set \[model\] processing = \"annealed\""):
        parse_spec(_with_model(dvae={"processing_input": True}))
    with pytest.raises(SpecError, match=r"false contradicts \[model\] processing = 'wrought'"):
        parse_spec(_with_model(processing="wrought", dvae={"processing_input": False}))
