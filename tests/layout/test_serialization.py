"""One serializer (alloyloop.featurize.converter) for every settings and fitted-state
object: each round-trips through JSON unchanged, and bad data fails naming the fix."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alloyloop.campaigns.design_space import DesignSpace, DesignSpaceError
from alloyloop.featurize.converter import structure, unstructure
from alloyloop.featurize.descriptors import FULL_SCHEMA, MODEL_SCHEMA, FeatureSchema
from alloyloop.models.config import ConfigError, DVAEConfig
from alloyloop.models.conformal import SplitConformal
from alloyloop.models.features import Standardizer
from alloyloop.models.warm_start import WarmStart


def _through_json(obj):
    return structure(json.loads(json.dumps(unstructure(obj))), type(obj))


SPACES = [
    DesignSpace(palette=("Co", "Cr", "Fe", "Mn", "Ni")),
    DesignSpace(palette=("Al", "Co", "Cr", "Fe", "Ni"), bounds={"Al": (0.0, 0.2)}, min_elements=4,
                max_elements=5, step=0.05, forbidden=[{"Al", "Cr"}],
                descriptor_limits={"vec": (8.0, None), "delta": (None, 6.5)}),
]


@pytest.mark.parametrize("obj", [
    FULL_SCHEMA, MODEL_SCHEMA, DVAEConfig(),
    DVAEConfig(latent_dim=4, classifier_hidden=(64, 32), warm_start_max_epochs=10, prior="flat"),
    SplitConformal(coverage=0.9, threshold=0.31, n_calibration=120),
    WarmStart(True, "/runs/round-0/model", "previous round's weights"), *SPACES,
], ids=lambda o: type(o).__name__)
def test_round_trip_through_json(obj):
    assert _through_json(obj) == obj
    assert obj.to_dict() == unstructure(obj) if hasattr(obj, "to_dict") else True


def test_arrays_round_trip():
    s = Standardizer(mean=np.array([1.5, -2.0]), std=np.array([0.5, 3.0]))
    back = _through_json(s)
    np.testing.assert_array_equal(back.mean, s.mean)
    np.testing.assert_array_equal(back.std, s.std)


@given(latent=st.integers(1, 16), widths=st.lists(st.integers(1, 256), min_size=1, max_size=3),
       alpha=st.floats(0.01, 1e4), coverage=st.floats(0.05, 0.99))
def test_any_valid_config_round_trips(latent, widths, alpha, coverage):
    c = DVAEConfig(latent_dim=latent, decoder_hidden=tuple(widths), alpha=alpha, coverage=coverage)
    assert DVAEConfig.from_dict(json.loads(json.dumps(c.to_dict()))) == c


def test_unknown_keys_and_bad_values_name_the_fix():
    with pytest.raises(ConfigError, match="unknown config key 'latnet_dim'.*latent_dim"):
        DVAEConfig.from_dict({"latnet_dim": 2})
    with pytest.raises(DesignSpaceError, match="unknown design-space setting 'colour'"):
        DesignSpace.from_dict({**SPACES[0].to_dict(), "colour": "red"})
    with pytest.raises(DesignSpaceError, match="Xx"):
        DesignSpace.from_dict({**SPACES[0].to_dict(), "palette": ["Co", "Xx"]})
    with pytest.raises(ValueError, match="unknown FeatureSchema setting"):
        FeatureSchema.from_dict({**FULL_SCHEMA.to_dict(), "extra": 1})
