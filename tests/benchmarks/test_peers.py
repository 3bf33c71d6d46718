"""The peer adapters (benchmarks/peers/) on a small 4-element space: each returns a batch of
valid, distinct, new grid compositions and the same batch for the same seed. An adapter's
tests skip only when its package is not installed (BayBE and Ax come from the ``peers``
extra; hea-bench is a product dependency)."""

from __future__ import annotations

import itertools
import random

import pytest

from benchmarks.peer_protocol import Observation, StudySpace
from benchmarks.peers import grid

SPACE = StudySpace(elements=("Co", "Cr", "Fe", "Ni"), bounds={"Co": (0.1, 0.4), "Ni": (0.0, 0.6)},
                   min_elements=2, max_elements=3, step=0.05)
BATCH = 3


def _observations(count: int, seed: int = 0) -> list[Observation]:
    """Grid alloys labelled by a simple rule (at least 30 % Cr is a hit); both labels occur."""
    lattice = grid.enumerate_grid(SPACE)
    rows = random.Random(seed).sample(range(len(lattice)), count)
    observations = [Observation(grid.to_fractions(SPACE, lattice[i]), bool(lattice[i][1] >= 6))
                    for i in rows]
    assert 0 < sum(o.hit for o in observations) < count
    return observations


# plus a known alloy between grid points: its nearest grid point counts as observed
OBSERVED = [*_observations(12), Observation({"Cr": 0.52, "Fe": 0.48}, True)]
PENDING = [grid.to_fractions(SPACE, row) for row in grid.enumerate_grid(SPACE)[[5, 77]]]


def _check_batch(batch: list[dict[str, float]]) -> None:
    assert len(batch) == BATCH
    keys = [grid.to_units(SPACE, comp) for comp in batch]
    assert all(grid.is_feasible(SPACE, comp) for comp in batch), batch
    assert len(set(keys)) == BATCH, batch
    taken = grid.taken_keys(SPACE, [o.fractions for o in OBSERVED]) | grid.taken_keys(SPACE, PENDING)
    assert not set(keys) & taken, batch


def test_grid_is_every_feasible_composition():
    brute = {p for p in itertools.product(range(21), repeat=4)
             if sum(p) == 20 and 2 <= sum(n > 0 for n in p) <= 3
             and (p[0] == 0 or 2 <= p[0] <= 8) and p[3] <= 12}
    lattice = {tuple(int(n) for n in row) for row in grid.enumerate_grid(SPACE)}
    assert lattice == brute
    assert grid.is_feasible(SPACE, {"Co": 0.1, "Cr": 0.9})
    assert not grid.is_feasible(SPACE, {"Co": 0.05, "Cr": 0.95})  # Co below its bound when present
    assert not grid.is_feasible(SPACE, {"Co": 0.1, "Cr": 0.3, "Fe": 0.3, "Ni": 0.3})  # 4 elements
    assert not grid.is_feasible(SPACE, {"Cr": 0.52, "Fe": 0.48})  # off the grid


def test_step_that_does_not_divide_one_is_refused():
    with pytest.raises(ValueError, match="does not divide 1"):
        grid.grid_units(StudySpace(elements=("Co", "Cr"), step=0.3))


def test_nearest_free_skips_taken_points_and_reports_the_move():
    lattice = grid.enumerate_grid(SPACE)
    point = {"Cr": 0.51, "Fe": 0.49}
    key, moved = grid.nearest_free(SPACE, lattice, point, set())
    assert grid.to_fractions(SPACE, key) in ({"Cr": 0.5, "Fe": 0.5}, {"Cr": 0.55, "Fe": 0.45})
    assert moved == pytest.approx(0.01)
    second, moved_again = grid.nearest_free(SPACE, lattice, point, {key})
    assert second != key and moved_again > moved


def _peer(path: str):
    module, name = path.split(":")
    return getattr(__import__(module, fromlist=[name]), name)()


@pytest.mark.parametrize("package, path", [
    ("baybe", "benchmarks.peers.baybe_peer:BayBEPeer"),
    ("ax", "benchmarks.peers.ax_peer:AxPeer"),
    ("hea_bench", "benchmarks.peers.heabench_peer:HeaBenchPeer"),
])
def test_peer_proposes_new_valid_grid_alloys_reproducibly(package, path):
    pytest.importorskip(package)
    peer = _peer(path)
    first = peer.propose(SPACE, OBSERVED, BATCH, seed=3, pending=PENDING)
    _check_batch(first)
    again = _peer(path).propose(SPACE, OBSERVED, BATCH, seed=3, pending=PENDING)
    assert again == first


def test_baybe_search_space_is_the_study_grid():
    pytest.importorskip("baybe")
    from benchmarks.peers.baybe_peer import _searchspace

    frame = _searchspace(SPACE).discrete.exp_rep
    keys = {grid.to_units(SPACE, dict(row)) for _, row in frame.iterrows()}
    assert keys == {tuple(int(n) for n in row) for row in grid.enumerate_grid(SPACE)}


def test_ax_reports_how_far_rounding_moved_each_proposal():
    pytest.importorskip("ax")
    from benchmarks.peers.ax_peer import AxPeer

    peer = AxPeer()
    # a start label richer in the last element than the space allows breaks Ax's parameter
    # constraint (attach_trial refuses it): it is left out and counted, not a crash
    too_much_ni = Observation(fractions={"Co": 0.2, "Ni": 0.8}, hit=True)
    peer.propose(SPACE, [*OBSERVED, too_much_ni], BATCH, seed=3, pending=PENDING)
    assert peer.last_left_out == 1
    assert len(peer.last_rounding) == BATCH
    assert all(0.0 <= moved <= 1.0 for moved in peer.last_rounding)


def test_heabench_below_its_floor_falls_back_to_seeded_random_picks():
    pytest.importorskip("hea_bench")
    from benchmarks.peers.heabench_peer import HeaBenchPeer

    peer = HeaBenchPeer()
    few = OBSERVED[:4]
    batch = peer.propose(SPACE, few, BATCH, seed=3, pending=PENDING)
    assert peer.last_mode == "cold-start random"
    assert len(batch) == BATCH and all(grid.is_feasible(SPACE, comp) for comp in batch)
    assert batch == HeaBenchPeer().propose(SPACE, few, BATCH, seed=3, pending=PENDING)
    assert peer.propose(SPACE, OBSERVED, BATCH, seed=3, pending=PENDING) and peer.last_mode == "ei"
