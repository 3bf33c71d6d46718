"""Issue #32, needles (the ``cocrfenbti-hea`` discovery study: 4 % of the lattice
single-phase): ``botorch`` never sends an alloy its own model gives up on while better
ones are open, opens a new element system only near the best p(target) *relative* to it,
and chooses among the design-space lattice's best alloys as well as its decodes.
On the small real DVAEs of tests/agent/conftest.py."""

import dataclasses

import numpy as np
import pytest

from alloyloop.agent.strategies.diversity import diverse_order
from alloyloop.agent.strategies.ensemble_bo import EnsembleBO
from alloyloop.agent.strategies.screening import Screening, pool_candidates
from alloyloop.agent.suggestion import to_model_columns
from alloyloop.campaigns.options.checks import OptionError


def _matrix(suggestions, palette):
    return np.array([[s.fractions.get(el, 0.0) for el in palette] for s in suggestions])


def test_the_floor_by_hand():
    # an optimistic score ranks hopeless alloys first; the floor keeps them out while an
    # alloy of at least floor × the best open p is left
    score = np.array([9.0, 8.0, 1.0, 0.5])
    p = np.array([0.0005, 0.01, 0.30, 0.25])
    systems = ["A", "A", "A", "A"]
    assert list(diverse_order(score, systems, 2, penalty=0.0)) == [0, 1]
    assert list(diverse_order(score, systems, 2, penalty=0.0, p=p, floor=0.1)) == [2, 3]
    # once the likely ones are taken, the best open p is 0.01: 0.0005 is below a tenth of
    # it, so it comes last (when it is the best left)
    assert list(diverse_order(score, systems, 4, penalty=0.0, p=p, floor=0.1)) == [2, 3, 1, 0]
    # where every alloy is unlikely the floor is low too, and the score decides
    low = np.array([0.002, 0.01, 0.003, 0.004])
    assert list(diverse_order(score, systems, 4, penalty=0.0, p=low, floor=0.1)) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="floor=2"):
        diverse_order(score, systems, 2, penalty=0.0, p=p, floor=2)
    with pytest.raises(ValueError, match="floor=0.1 needs p"):
        diverse_order(score, systems, 2, penalty=0.0, floor=0.1)


def test_the_margin_is_relative_to_the_best_p():
    """The study's round 3: the best open p was 0.07; an absolute margin of 0.1 let an
    alloy of p = 0.0015 open a system. Relative: a new system needs ≥ 0.9 × 0.07."""
    score = np.array([5.0, 4.0, 3.0, 2.0])
    p = np.array([0.070, 0.068, 0.0015, 0.066])
    systems = ["A", "A", "B", "C"]
    # after the first A pick, the best open p is 0.068: C (0.066 ≥ 0.061) may replace A,
    # B (0.0015) may not
    assert list(diverse_order(score, systems, 2, penalty=0.0, p=p, margin=0.1)) == [0, 3]
    assert list(diverse_order(score, systems, 3, penalty=0.0, p=p, margin=0.1)) == [0, 3, 1]
    assert list(diverse_order(score, systems, 2, penalty=0.0, p=p, margin=1.0)) == [0, 2]


def _needle_pool(model, pool, space):
    """The pool's candidates the model thinks unlikely (p(single) < 0.3): a pool of
    needles, as after multi-phase labels."""
    x = pool_candidates(pool, space)
    x_model = to_model_columns(x, space, pool.elements)
    low = model.predict_proba(x_model) < 0.3
    return dataclasses.replace(pool, candidates=x_model[low])


@pytest.mark.parametrize("ratio", [0.1, 0.5])
def test_no_pick_below_the_floor(ensemble_campaign, ratio):
    """qUCB with a large beta ranks by the members' spread; still every pick's p(single)
    is at least ``min_p_ratio`` times the best p(single) open at its turn."""
    model, _, pool, space = ensemble_campaign
    pool = _needle_pool(model, pool, space)
    batch = EnsembleBO(acquisition="qUCB", beta=20.0, new_system_margin=0.0,
                       min_p_ratio=ratio).suggest(model, pool, space, 8, seed=0)
    assert len(batch) == 8
    x_open = pool_candidates(pool, space)
    p_open = model.predict_proba(to_model_columns(x_open, space, pool.elements))
    assert p_open.max() < 0.3 and len(p_open) > 8
    taken = np.zeros(len(x_open), dtype=bool)
    for row, s in zip(_matrix(batch, space.palette), batch):
        assert s.p_single >= ratio * p_open[~taken].max() - 1e-9, (s.key, s.p_single)
        taken |= np.isclose(x_open, row).all(axis=1)
    if ratio == 0.5:  # the floor binds on this pool: without it, a less likely pick
        off = EnsembleBO(acquisition="qUCB", beta=20.0, new_system_margin=0.0,
                         min_p_ratio=0.0).suggest(model, pool, space, 8, seed=0)
        assert min(s.p_single for s in off) < min(s.p_single for s in batch)


def test_the_lattice_best_join_the_latent_search(small_campaign):
    """qSR ranks by the mean logit: with the lattice's best among the candidates, the
    first pick is at least as likely as greedy screening's best in-domain alloy; without
    them, the decodes alone decide."""
    model, obs, space = small_campaign
    top, _ = Screening().top_candidates(model, obs, space, 16, seed=3)
    p_top = model.predict_detail(to_model_columns(top, space, obs.elements))
    best = p_top.p_single[p_top.in_domain].max()
    kw = dict(acquisition="qSR", raw_samples=64, num_restarts=2, new_system_margin=0.0,
              novel_margin=0.0)  # the novelty rule off: it may take a far pick first
    joined = EnsembleBO(screen_candidates=16, **kw).suggest(model, obs, space, 4, seed=3)
    alone = EnsembleBO(screen_candidates=0, **kw).suggest(model, obs, space, 4, seed=3)
    assert joined[0].p_single >= best - 1e-9
    assert joined[0].p_single >= alone[0].p_single - 1e-9
    assert space.feasible(_matrix(joined, space.palette)).all()
    assert all(s.in_domain for s in joined)
    screened = {tuple(np.round(r, 6)) for r in top}
    from_lattice = [s for s, r in zip(joined, _matrix(joined, space.palette))
                    if tuple(np.round(r, 6)) in screened]
    assert all(s.repair_distance == 0.0 for s in from_lattice)


def test_the_options_are_checked():
    with pytest.raises(OptionError, match="min_p_ratio"):
        EnsembleBO(min_p_ratio=1.5)
    with pytest.raises(OptionError, match="screen_candidates"):
        EnsembleBO(screen_candidates=-1)
