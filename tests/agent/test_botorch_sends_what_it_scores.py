"""Issue #32, "acquisition that optimises what it sends": the ``botorch`` latent search
scores the repaired alloy, records the values of the alloy it sends, and spreads a batch
over element systems only within ``new_system_margin`` of the best p(target) left.
On the small real DVAEs of tests/agent/conftest.py."""

import numpy as np
import pytest
import torch

from alloyloop.agent.repair import repair, repair_support
from alloyloop.agent.strategies.common import decode_to_space
from alloyloop.agent.strategies.diversity import diverse_order, element_systems
from alloyloop.agent.strategies.dvae_posterior import SmoothDesignMap, support_masks
from alloyloop.agent.strategies.ensemble_bo import EnsembleBO
from alloyloop.agent.strategies.latent_bo import in_palette, latent_box
from alloyloop.agent.strategies.screening import pool_candidates
from alloyloop.agent.suggestion import to_model_columns, to_space_columns
from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.models.torch_members import domain_score


def _matrix(suggestions, palette):
    return np.array([[s.fractions.get(el, 0.0) for el in palette] for s in suggestions])


def _grid_bound(space) -> float:
    """Largest-remainder rounding moves each present element by less than one step."""
    return space.max_elements * space.step / 2


def test_the_searched_alloy_is_the_repaired_one_up_to_the_grid(small_campaign):
    model, obs, space = small_campaign
    box = latent_box(model, obs)
    z = box[0] + (box[1] - box[0]) * np.random.default_rng(0).random((300, box.shape[1]))
    decoded = model.decode(z, 1)
    with torch.no_grad():
        seen = SmoothDesignMap(space, obs.elements)(torch.as_tensor(decoded)).numpy()
    seen = to_space_columns(seen, space, obs.elements)
    sent = repair(to_space_columns(decoded, space, obs.elements), space).x
    np.testing.assert_allclose(seen.sum(axis=1), 1.0, atol=1e-9)
    lo, hi = space.bound_arrays()
    present = seen > 1e-12
    assert (np.where(present, seen >= lo - 1e-9, True)).all() and (seen <= hi + 1e-9).all()
    # same elements as the alloy sent (support, counts, forbidden sets: repair's own rule)
    assert (present >= (sent > 0)).all()
    assert (present.sum(axis=1) <= space.max_elements).all()
    tv = 0.5 * np.abs(seen - sent).sum(axis=1)
    assert tv.max() <= _grid_bound(space), tv.max()
    # the raw decodes were farther from what repair sends than the searched alloys are
    _x, raw, _valid = decode_to_space(model, z, space, obs.elements)
    assert raw.mean() > tv.mean()


def test_the_projection_passes_gradients_through_its_shift(small_campaign):
    model, obs, space = small_campaign
    v = torch.as_tensor(model.decode(model.encode(obs.X[:8], 1), 1)).requires_grad_(True)
    out = SmoothDesignMap(space, obs.elements)(v)
    weights = torch.arange(out.shape[-1], dtype=out.dtype)
    (out * weights).sum().backward()
    assert torch.isfinite(v.grad).all() and (v.grad.abs().sum(dim=1) > 0).all()


@pytest.mark.parametrize("acquisition", ["qUCB", "qSR"])
def test_latent_suggestions_record_the_alloy_sent(small_campaign, acquisition):
    """The recorded acquisition and p are the model's values of the stored alloy (to
    float round-off: a batch of other size sums in another order), and the recorded
    repair distance (searched alloy → sent alloy) is within the grid."""
    model, obs, space = small_campaign
    strategy = EnsembleBO(acquisition=acquisition, raw_samples=64, num_restarts=2)
    batch = strategy.suggest(model, obs, space, 6, seed=3)
    assert len(batch) >= 3
    x_model = to_model_columns(_matrix(batch, space.palette), space, obs.elements)
    frac = strategy.posterior_model(model, space, obs.elements, seed=3, latent=False)
    again = strategy.scores(frac, x_model, obs.X[in_palette(obs, space)])
    np.testing.assert_allclose(np.array([s.acquisition for s in batch]), again, rtol=1e-10)
    np.testing.assert_allclose(np.array([s.p_single for s in batch]),
                               model.predict_proba(x_model), rtol=1e-10)
    distances = np.array([s.repair_distance for s in batch])
    assert (distances <= _grid_bound(space)).all(), distances


def test_the_margin_rule_by_hand():
    score = np.array([5.0, 4.9, 4.8, 1.0, 0.5])
    p = np.array([0.95, 0.94, 0.93, 0.90, 0.10])
    systems = ["A-B", "A-B", "A-B", "C-D", "E-F"]
    # C-D is within 0.1 of the best open p (0.94 after the first pick): it replaces 4.9;
    # E-F (p 0.10) never gets in while A-B alloys of p ≈ 0.93 are left.
    assert list(diverse_order(score, systems, 4, penalty=0.0, p=p, margin=0.1)) == [0, 3, 1, 2]
    assert list(diverse_order(score, systems, 3, penalty=0.0, p=p, margin=0.01)) == [0, 1, 2]
    assert list(diverse_order(score, systems, 3, penalty=0.0, p=p, margin=1.0)) == [0, 3, 4]
    # a system already pending in the lab is not new
    assert list(diverse_order(score, systems, 2, penalty=0.0, p=p, margin=0.1,
                              taken=["C-D"])) == [0, 1]
    with pytest.raises(ValueError, match="margin=1.5"):
        diverse_order(score, systems, 2, penalty=0.0, p=p, margin=1.5)


@pytest.mark.parametrize("margin", [0.02, 0.1, 0.3])
def test_new_systems_come_only_within_the_margin(ensemble_campaign, margin):
    """qSR ranks by the ensemble's mean logit, so its own pick is the best open alloy:
    every pick is then within ``margin`` of the best p(single) still open."""
    model, _, pool, space = ensemble_campaign
    batch = EnsembleBO(acquisition="qSR", new_system_margin=margin).suggest(
        model, pool, space, 8, seed=0)
    x_open = pool_candidates(pool, space)
    p_open = model.predict_proba(to_model_columns(x_open, space, pool.elements))
    keys = [s.key for s in batch]
    taken = np.zeros(len(x_open), dtype=bool)
    picked = _matrix(batch, space.palette)
    for row, s in zip(picked, batch):
        best = p_open[~taken].max()
        assert s.p_single >= best - margin - 1e-9, (s.key, s.p_single, best)
        taken |= np.isclose(x_open, row).all(axis=1)
    assert len(set(keys)) == len(keys)


def test_a_wider_margin_buys_more_systems_with_less_p(ensemble_campaign):
    model, _, pool, space = ensemble_campaign
    # the novelty rule off: its far picks would move the batches too
    made = {m: EnsembleBO(acquisition="qSR", new_system_margin=m, novel_margin=0).suggest(
        model, pool, space, 8, seed=0) for m in (0.0, 1.0)}
    systems = {m: len(set(element_systems(_matrix(b, space.palette), space.palette)))
               for m, b in made.items()}
    mean_p = {m: np.mean([s.p_single for s in b]) for m, b in made.items()}
    assert systems[1.0] > systems[0.0]
    assert mean_p[1.0] <= mean_p[0.0]


def test_repair_support_is_what_repair_keeps(small_campaign):
    _, obs, space = small_campaign
    v = np.random.default_rng(1).dirichlet(np.full(len(space.palette), 0.5), 200)
    fixed = repair(v, space).x
    for row, out in zip(v, fixed):
        kept = set(np.flatnonzero(out > 0))
        assert kept <= set(repair_support(row, space))


_SPACES = [  # required elements, bounds that bite, element-count ranges; no forbidden sets
    DesignSpace(palette=("Al", "Co", "Cr", "Fe", "Mn", "Ni"), min_elements=4, max_elements=6,
                step=0.05, bounds={"Al": (0, 0.2), "Co": (0, 0.35), "Cr": (0, 0.35),
                                   "Fe": (0, 0.35), "Mn": (0, 0.35), "Ni": (0, 0.35)}),
    DesignSpace(palette=("Al", "Co", "Cr", "Fe", "Ni"), min_elements=3, max_elements=4,
                step=0.05, bounds={"Ni": (0.1, 0.4), "Al": (0, 0.2)}),
    DesignSpace(palette=("Al", "Co", "Cr", "Fe", "Mn", "Ni"), min_elements=4, max_elements=5,
                step=0.05, bounds={"Co": (0.2, 0.35), "Cr": (0.05, 0.3)}),
]


def _rows(space, n=1500, seed=0):
    """Renormalized fractions, a tenth of them on the grid (ties between elements)."""
    v = np.random.default_rng(seed).dirichlet(np.full(len(space.palette), 0.4), n)
    v[: n // 10] = np.round(v[: n // 10] / space.step) * space.step
    v = np.where(v.sum(axis=1, keepdims=True) > 0, v, 1.0)
    return v / v.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("k", range(len(_SPACES)))
def test_support_masks_are_repairs_support_row_by_row(k):
    """The vectorized support (no forbidden sets) is repair's own rule, ties included."""
    space = _SPACES[k]
    v = _rows(space, seed=k)
    expected = np.zeros(v.shape, dtype=bool)
    for i, row in enumerate(v):
        expected[i, repair_support(row, space)] = True
    np.testing.assert_array_equal(support_masks(v, space), expected)


def test_support_masks_with_forbidden_sets_follow_repair(small_campaign):
    _, _, space = small_campaign  # forbids Al with Cu
    v = _rows(space, n=300)
    got = support_masks(v, space)
    for row, mask in zip(v, got):
        assert set(np.flatnonzero(mask)) == set(repair_support(row, space))


@pytest.mark.parametrize("k", range(len(_SPACES)))
def test_the_projection_is_the_euclidean_one_onto_the_box_simplex(k):
    """Optimality of the projection over the support: Σx = 1, bounds held, and one shift
    τ with x = clip(v − τ, lo, hi) — free entries at v − τ exactly, entries at a bound
    only where v − τ is beyond it."""
    space = _SPACES[k]
    v = _rows(space, seed=10 + k)
    with torch.no_grad():
        x = SmoothDesignMap(space, space.palette)(torch.as_tensor(v)).numpy()
    support = support_masks(v, space)
    lo, hi = space.bound_arrays()
    np.testing.assert_allclose(x.sum(axis=1), 1.0, atol=1e-12)
    assert (x[~support] == 0).all()
    lo_s, hi_s = np.where(support, lo, 0.0), np.where(support, hi, 0.0)
    assert (x >= lo_s - 1e-12).all() and (x <= hi_s + 1e-12).all()
    free = support & (x > lo_s + 1e-12) & (x < hi_s - 1e-12)
    for row, xi, fi, si, lo_i, hi_i in zip(v, x, free, support, lo_s, hi_s):
        if not fi.any():
            continue
        tau = (row - xi)[fi]
        assert np.ptp(tau) <= 1e-12  # one shift for every free entry
        gap = row - tau.mean()
        at_lo, at_hi = si & ~fi & (xi <= lo_i + 1e-12), si & ~fi & (xi >= hi_i - 1e-12)
        assert (gap[at_lo] <= lo_i[at_lo] + 1e-9).all() and (gap[at_hi] >= hi_i[at_hi] - 1e-9).all()


def test_the_torch_domain_score_is_the_models(small_campaign):
    """The acquisition's domain penalty reads the same score as ``predict_detail``."""
    model, obs, _ = small_campaign
    x = np.vstack([obs.X[:50], np.random.default_rng(0).dirichlet(np.ones(len(obs.elements)), 50)])
    with torch.no_grad():
        got = domain_score(model)(torch.as_tensor(x)).numpy()
    np.testing.assert_allclose(got, model.predict_detail(x).domain_score, rtol=1e-6, atol=1e-6)
