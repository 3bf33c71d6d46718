"""Issue #32, the trap (``cocrfenbti-hea`` discovery study, seed 4): greedy screening and
``botorch`` sent one region's alloys for three rounds while every label came back
multi-phase. The failed-region rule makes a strategy leave a region once ``avoid_misses``
of the campaign's own labels within ``avoid_radius`` of a candidate are all misses.
By hand, then on the small real DVAEs of tests/agent/conftest.py with real BoTorch."""

import dataclasses

import numpy as np
import pytest

from alloyloop.agent.strategies.ensemble_bo import EnsembleBO
from alloyloop.agent.strategies.failed_regions import failed_region_factor
from alloyloop.agent.strategies.screening import Screening
from alloyloop.agent.suggestion import Observations, to_model_columns
from alloyloop.campaigns.options.checks import OptionError

E = ("A", "B", "C")


def _obs(X, y, own):
    X = np.asarray(X, dtype=float)
    return Observations(elements=E, X=X, y=np.asarray(y), keys=tuple(map(str, range(len(X)))),
                        X_pending=np.empty((0, 3)), own=np.asarray(own, dtype=bool))


def test_the_rule_by_hand():
    misses = [[0.80, 0.10, 0.10], [0.75, 0.15, 0.10], [0.80, 0.15, 0.05]]
    x = np.array([[0.85, 0.10, 0.05],   # within 0.1 of all three misses: failed
                  [0.70, 0.25, 0.05],   # within 0.1 of two: not yet (misses = 3)
                  [0.10, 0.10, 0.80]])  # far from all
    obs = _obs(misses, [0, 0, 0], [True] * 3)
    f = failed_region_factor(x, obs, obs.y, misses=3, radius=0.1, factor=0.1)
    assert list(f) == [0.1, 1.0, 1.0]
    assert list(failed_region_factor(x, obs, obs.y, misses=2, radius=0.1, factor=0.0)) == \
        [0.0, 0.0, 1.0]
    # a hit of the campaign's in the region re-opens it
    hit = _obs(misses + [[0.80, 0.05, 0.15]], [0, 0, 0, 1], [True] * 4)
    assert list(failed_region_factor(x, hit, hit.y, misses=3, radius=0.1, factor=0.1)) == \
        [1.0, 1.0, 1.0]
    # the corpus's labels (not the campaign's own) never close a region
    corpus = _obs(misses, [0, 0, 0], [False] * 3)
    assert list(failed_region_factor(x, corpus, corpus.y, misses=1, radius=0.1,
                                     factor=0.1)) == [1.0, 1.0, 1.0]
    unknown = Observations(elements=E, X=np.asarray(misses), y=np.zeros(3), keys=("a", "b", "c"),
                           X_pending=np.empty((0, 3)))
    assert list(failed_region_factor(x, unknown, unknown.y, misses=1, radius=0.1,
                                     factor=0.1)) == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="own has 2 flags for 3 labelled alloys"):
        _obs(misses, [0, 0, 0], [True, True])


def test_the_options_are_checked():
    with pytest.raises(OptionError, match="avoid_factor: 2 is too large"):
        EnsembleBO(avoid_factor=2)
    with pytest.raises(OptionError, match="avoid_radius"):
        Screening(avoid_radius=0)
    with pytest.raises(OptionError, match="avoid_misses"):
        Screening(avoid_misses=-1)
    assert Screening().avoid_misses == 0  # greedy screening, the baseline, is unchanged
    assert EnsembleBO().avoid_misses == 3 and EnsembleBO().probe_count == 2
    assert Screening().probe_count == 0


def _trapped(model, obs, space, n_sent=6):
    """``obs`` after the campaign sent greedy screening's ``n_sent`` best alloys and every
    one came back multi-phase (the model is not refitted: its p there is unchanged, as
    when a corpus outweighs a few of the campaign's labels)."""
    top, _ = Screening().top_candidates(model, obs, space, n_sent, seed=0)
    sent = to_model_columns(top, space, obs.elements)
    return dataclasses.replace(
        obs, X=np.vstack([obs.X, sent]), y=np.concatenate([obs.y, np.zeros(len(sent), int)]),
        keys=obs.keys + tuple(f"sent{i}" for i in range(len(sent))),
        own=np.concatenate([np.zeros(len(obs.X), bool), np.ones(len(sent), bool)])), sent


def _in_failed_region(batch, sent, elements, space, misses=3, radius=0.1):
    x = np.array([[s.fractions.get(el, 0.0) for el in elements] for s in batch])
    near = np.abs(x[:, None, :] - sent[None, :, :]).max(axis=2) <= radius + 1e-9
    return near.sum(axis=1) >= misses


def test_greedy_screening_with_the_rule_leaves_the_failed_region(small_campaign):
    model, obs, space = small_campaign
    trapped, sent = _trapped(model, obs, space)
    stay = Screening().suggest(model, trapped, space, 6, seed=0)
    leave = Screening(avoid_misses=3).suggest(model, trapped, space, 6, seed=0)
    assert _in_failed_region(stay, sent, obs.elements, space).any()  # the trap, without it
    assert len(leave) == 6 and not _in_failed_region(leave, sent, obs.elements, space).any()
    # the next best region is still the model's best: its p is the best left outside
    assert min(s.p_single for s in leave) > 0


def test_botorch_leaves_the_failed_region(small_campaign):
    model, obs, space = small_campaign
    trapped, sent = _trapped(model, obs, space)
    # the novelty rule off: it too would move the picks (tests/agent/test_novelty_rule.py)
    kw = dict(acquisition="qUCB", raw_samples=64, num_restarts=2, novel_margin=0)
    stay = EnsembleBO(avoid_misses=0, **kw).suggest(model, trapped, space, 6, seed=3)
    leave = EnsembleBO(**kw).suggest(model, trapped, space, 6, seed=3)
    assert _in_failed_region(stay, sent, obs.elements, space).any()
    assert len(leave) == 6 and not _in_failed_region(leave, sent, obs.elements, space).any()
    assert space.feasible(np.array([[s.fractions.get(el, 0.0) for el in space.palette]
                                    for s in leave])).all()


def test_the_probe_cap_by_hand():
    from alloyloop.agent.strategies.diversity import diverse_order
    from alloyloop.agent.strategies.failed_regions import ProbeLimit

    x = np.array([[0.85, 0.10, 0.05], [0.80, 0.15, 0.05], [0.80, 0.10, 0.10],
                  [0.10, 0.80, 0.10], [0.05, 0.10, 0.85]])
    score = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    systems = ["A-B-C"] * 5
    empty = _obs(np.empty((0, 3)), [], [])
    cap = ProbeLimit(x, empty, empty.y, radius=0.1, count=2)
    assert list(diverse_order(score, systems, 4, penalty=0.0)) == [0, 1, 2, 3]
    # the corner of rows 0-2 gets two probes, then the other corners
    assert list(diverse_order(score, systems, 4, penalty=0.0, closed=cap)) == [0, 1, 3, 4]
    # when nothing else is open the cap gives way
    assert list(diverse_order(score, systems, 5, penalty=0.0, closed=cap)) == [0, 1, 3, 4, 2]
    # an alloy in the lab counts against its region
    lab = dataclasses.replace(empty, X_pending=x[:1])
    assert list(diverse_order(score, systems, 3, penalty=0.0,
                              closed=ProbeLimit(x, lab, lab.y, radius=0.1, count=2))) == [0, 3, 4]
    # a campaign hit in the region lifts the cap there
    hit = _obs([[0.85, 0.05, 0.10]], [1], [True])
    assert list(diverse_order(score, systems, 4, penalty=0.0,
                              closed=ProbeLimit(x, hit, hit.y, radius=0.1, count=2))) == [0, 1, 2, 3]


def _crowded(batch, elements, radius=0.1, count=2):
    """Some pick had ``count`` earlier picks of the batch within ``radius`` of it."""
    x = np.array([[s.fractions.get(el, 0.0) for el in elements] for s in batch])
    near = np.abs(x[:, None, :] - x[None, :, :]).max(axis=2) <= radius + 1e-9
    return any(near[k, :k].sum() >= count for k in range(len(x)))


def test_a_batch_probes_distinct_regions(small_campaign):
    """Without campaign hits, no pick has two earlier picks within 0.1 of it (the cap
    gives way only when nothing else is open); without the cap, the best crowd one region."""
    model, obs, space = small_campaign
    obs = dataclasses.replace(obs, own=np.zeros(len(obs.X), bool))
    assert _crowded(Screening().suggest(model, obs, space, 6, seed=0), space.palette)
    assert not _crowded(Screening(probe_count=2).suggest(model, obs, space, 6, seed=0),
                        space.palette)
    kw = dict(acquisition="qUCB", raw_samples=64, num_restarts=2, novel_margin=0)
    assert _crowded(EnsembleBO(probe_count=0, **kw).suggest(model, obs, space, 6, seed=3),
                    space.palette)
    assert not _crowded(EnsembleBO(**kw).suggest(model, obs, space, 6, seed=3), space.palette)
