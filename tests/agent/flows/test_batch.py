"""The strategy mix: a failing strategy's share is filled, pending alloys are avoided."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alloyloop.agent.batch import compose_batch, suggestion_inputs
from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.novelty import duplicates_of
from alloyloop.agent.suggestion import Observations, to_model_columns
from alloyloop.campaigns.spec import StrategySpec
from alloyloop.featurize.matrix import fraction_matrix

from tests.fixtures.dvae import corpus_rows, fast

PALETTE = ("Co", "Cr", "Fe", "Mn", "Ni")


@pytest.fixture(scope="module")
def fitted():  # noqa: ANN201
    from alloyloop.models.dvae import DisentangledVAE

    lab = corpus_rows(PALETTE)
    x = fraction_matrix(lab["fractions"], PALETTE)
    y = lab["single_phase"].astype(int).to_numpy()
    config = fast(min_epochs=2, patience=2, min_steps_per_epoch=2, vae_max_epochs=3,
                  encoder_hidden=(32, 32), decoder_hidden=(32, 32))
    model = DisentangledVAE(config, elements=PALETTE, seed=0).fit(x, y)
    obs = Observations(elements=PALETTE, X=x, y=y, keys=tuple(lab["key"]),
                       X_pending=np.empty((0, len(PALETTE))))
    space = DesignSpace(palette=PALETTE, min_elements=3, step=0.1, 
                        bounds={el: (0.0, 0.5) for el in PALETTE})
    return model, obs, space


def _x(batch, space):  # noqa: ANN001, ANN202
    return np.array([[s.fractions.get(el, 0.0) for el in space.palette] for s in batch.suggestions])


def test_a_strategy_that_cannot_deliver_is_filled_by_screening(fitted) -> None:  # noqa: ANN001
    model, obs, space = fitted
    mix = [StrategySpec("latent_region", 2, {"group": "noble"}), StrategySpec("screen", 2)]
    batch = compose_batch(model, obs, space, mix, seed=1)
    assert len(batch.suggestions) == 4
    assert "latent_region made no suggestion: no labelled single-phase alloy of group 'noble'" in batch.notes[0]
    assert sorted(batch.filled_for.values()) == ["latent_region", "latent_region"]
    x = _x(batch, space)
    assert space.feasible(x).all()
    assert not duplicates_of(to_model_columns(x, space, PALETTE), obs.X, space.step).any()
    assert len({s.key for s in batch.suggestions}) == 4
    inputs = suggestion_inputs(batch)
    assert sum("filled_for" in i.extra for i in inputs) == 2
    assert all(i.prediction_set is not None and set(i.prediction_set) <= {"single", "multi"} for i in inputs)


def test_pending_alloys_are_not_suggested_again(fitted) -> None:  # noqa: ANN001
    model, obs, space = fitted
    mix = [StrategySpec("screen", 2), StrategySpec("nudge", 1), StrategySpec("random_latent", 1)]
    first = compose_batch(model, obs, space, mix, seed=2)
    pending = to_model_columns(_x(first, space), space, PALETTE)
    second = compose_batch(model, dataclasses.replace(obs, X_pending=pending), space, mix, seed=2)
    assert {s.key for s in first.suggestions}.isdisjoint({s.key for s in second.suggestions})
    assert len(second.suggestions) == 4
