"""Issue #32, far hits: where the model is sure of much of the space (the ``alcocrni`` and
``cocrfenbti`` discovery studies hit 0.93–1.00 of the time) near hits cost nothing, and
nothing moved the loop to new compositions. The novelty rule takes an alloy farther than
``novel_distance`` (max-abs) from every training alloy before a nearer pick when its
p(target) is at least ``1 − novel_margin`` times the best open p, pick by pick.
By hand, then on the small real DVAE of tests/agent/conftest.py with real BoTorch."""

import dataclasses

import numpy as np
import pytest

from alloyloop.agent.novelty import far_from
from alloyloop.agent.strategies.diversity import diverse_order
from alloyloop.agent.strategies.ensemble_bo import EnsembleBO
from alloyloop.agent.strategies.screening import Screening
from alloyloop.agent.suggestion import to_model_columns
from alloyloop.campaigns.options.checks import OptionError
from alloyloop.campaigns.options.strategies import BotorchOptions, ScreenOptions


def test_far_from_by_hand():
    known = np.array([[0.50, 0.50, 0.00], [0.10, 0.10, 0.80]])
    x = np.array([[0.60, 0.40, 0.00],   # 0.10 from the first: not farther than 0.1
                  [0.65, 0.35, 0.00],   # 0.15 from the first, 0.8 from the second: far
                  [0.20, 0.20, 0.60]])  # 0.20 from the second: far
    assert list(far_from(x, known, 0.1)) == [False, True, True]
    assert list(far_from(x, known, 0.15)) == [False, False, True]
    assert far_from(x, np.empty((0, 3)), 0.1).all()
    rng = np.random.default_rng(0)  # the k-d tree against the pairwise definition
    known, x = rng.dirichlet(np.ones(6), 300), rng.dirichlet(np.ones(6), 200)
    pairwise = (np.abs(x[:, None, :] - known[None]).max(axis=2) > 0.1).all(axis=1)
    assert np.array_equal(far_from(x, known, 0.1), pairwise) and 0 < pairwise.sum() < 200


def test_the_rule_by_hand():
    score = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    p = np.array([0.99, 0.98, 0.97, 0.92, 0.80])
    novel = np.array([False, False, False, True, True])
    systems = ["A"] * 5
    plain = dict(penalty=0.0, p=p)
    assert list(diverse_order(score, systems, 3, **plain)) == [0, 1, 2]
    # the far alloy of p 0.92 ≥ 0.9 × 0.99 is taken first; then the best open p is 0.98
    # and the other far one (0.80 < 0.882) is not: the nearer picks fill the batch
    assert list(diverse_order(score, systems, 3, novel=novel, novel_margin=0.1, **plain)) == \
        [3, 0, 1]
    # never below the margin: at 0.05 no far alloy is within 0.95 × 0.99
    assert list(diverse_order(score, systems, 3, novel=novel, novel_margin=0.05, **plain)) == \
        [0, 1, 2]
    # a wide margin takes both far alloys first, best-scoring first
    assert list(diverse_order(score, systems, 3, novel=novel, novel_margin=0.5, **plain)) == \
        [3, 4, 0]
    # a novel pick of the score's stands
    assert list(diverse_order(score[::-1], systems, 2, novel=novel, novel_margin=0.1,
                              **plain)) == [4, 3]


def test_the_options_are_checked():
    with pytest.raises(OptionError, match="novel_margin: 1 is too large: give a number below 1"):
        EnsembleBO(novel_margin=1)
    with pytest.raises(OptionError, match="novel_distance: 0 is too small: give a number above 0"):
        Screening(novel_distance=0)
    with pytest.raises(OptionError, match="novel_margin: -0.1 is too small"):
        ScreenOptions(novel_margin=-0.1)
    with pytest.raises(ValueError, match=r"novel_margin=0.1 needs the novel mask .* "
                                         r"novel_margin=None for off"):
        diverse_order(np.ones(2), ["A", "A"], 1, penalty=0.0, p=np.ones(2), novel_margin=0.1)
    with pytest.raises(ValueError, match="novel_margin=0.1 needs p"):
        diverse_order(np.ones(2), ["A", "A"], 1, penalty=0.0, novel=np.ones(2, bool),
                      novel_margin=0.1)
    assert Screening().novel_margin == 0  # greedy screening, the baseline, is unchanged
    assert BotorchOptions().novel_margin == 0 and BotorchOptions().novel_distance == 0.1  # off: unmeasured on pools


def _far(batch, obs, space, distance):
    x = np.array([[s.fractions.get(el, 0.0) for el in space.palette] for s in batch])
    return far_from(to_model_columns(x, space, obs.elements), obs.X, distance)


# the small model is sure of much of its space (p ≈ 1 well beyond its corpus): 0.25 is
# the distance at which its best alloys are all near ones
D = 0.25


def test_greedy_screening_with_the_rule_sends_far_alloys(small_campaign):
    model, obs, space = small_campaign
    near = Screening().suggest(model, obs, space, 6, seed=0)
    far = Screening(novel_distance=D, novel_margin=0.05).suggest(model, obs, space, 6, seed=0)
    assert not _far(near, obs, space, D).any()  # the model's best: known alloys' neighbours
    assert len(far) == 6 and _far(far, obs, space, D).all()
    # the first pick's best open p is the lattice's best (greedy's first pick), and the
    # far pick is the likeliest far alloy
    assert far[0].p_single >= 0.95 * near[0].p_single
    # never below the margin: narrower than the gap to the likeliest far alloy, the
    # first pick stays greedy's
    gap = 1 - far[0].p_single / near[0].p_single
    tight = Screening(novel_distance=D, novel_margin=gap / 2).suggest(model, obs, space, 6,
                                                                        seed=0)
    assert tight[0].key == near[0].key


def test_botorch_with_the_rule_sends_far_alloys(small_campaign):
    model, obs, space = small_campaign
    # 0.2: the latent search keeps to the model's domain, which ends before 0.25
    kw = dict(acquisition="qUCB", raw_samples=64, num_restarts=2, novel_distance=0.2)
    near = EnsembleBO(novel_margin=0, **kw).suggest(model, obs, space, 6, seed=3)
    far = EnsembleBO(novel_margin=0.05, **kw).suggest(model, obs, space, 6, seed=3)
    assert len(far) == 6 and not _far(near, obs, space, 0.2).any()
    assert _far(far, obs, space, 0.2).any()
    assert space.feasible(np.array([[s.fractions.get(el, 0.0) for el in space.palette]
                                    for s in far])).all()


def test_the_campaigns_own_finds_stay_new(small_campaign):
    """``Observations.prior``: a neighbour of the campaign's own far hit is still new."""
    model, obs, space = small_campaign
    far = Screening(novel_distance=D, novel_margin=0.05).suggest(model, obs, space, 1, seed=0)
    x = to_model_columns(np.array([[far[0].fractions.get(el, 0.0) for el in space.palette]]),
                         space, obs.elements)
    found = dataclasses.replace(obs, X=np.vstack([obs.X, x]), y=np.append(obs.y, 1),
                                keys=obs.keys + ("found",),
                                own=np.append(np.zeros(len(obs.X), bool), True))
    assert len(found.prior) == len(obs.X) and far_from(x, found.prior, D).all()
    assert not far_from(x, found.X, D).any()
