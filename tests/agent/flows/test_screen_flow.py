"""Screening on Dask (agent.screen_flow): the chunk plan covers the lattice exactly once,
the flow on a local Dask cluster finds exactly the brute-force top list, and the result
does not depend on the number of workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.screen_flow import (
    job_candidates,
    merge_top,
    plan_jobs,
    run_screening,
    score_job,
    screen_lattice,
)
from alloyloop.agent.strategies.screening import screening_scores
from alloyloop.agent.suggestion import to_model_columns
from alloyloop.featurize.lattice import enumerate_lattice, lattice_size

from tests.fixtures.dvae import corpus_rows, fast

PALETTE = ("Co", "Cr", "Fe", "Mn", "Ni")
SPACE = DesignSpace(palette=PALETTE, min_elements=3, max_elements=5, step=0.05,
                    bounds={"Mn": (0.0, 0.3)}, forbidden=[{"Cr", "Mn"}],
                    descriptor_limits={"vec": (7.5, None)})


def _grid(x: np.ndarray, step: float) -> set[tuple[int, ...]]:
    return {tuple(r) for r in np.rint(x / step).astype(int)}


def test_the_plan_enumerates_every_lattice_point_once() -> None:
    mode, jobs = plan_jobs(SPACE, 10**9, 500)
    assert mode == "enumerate" and len(jobs) > 4
    points = np.vstack([p for j in jobs for p in job_candidates(j, SPACE, 0, 97)])
    assert len(points) == sum(j.size for j in jobs) == lattice_size(5, 0.05, 3, 5)
    assert _grid(points, 0.05) == _grid(np.vstack(list(enumerate_lattice(PALETTE, 0.05, 3, 5))), 0.05)
    assert len(_grid(points, 0.05)) == len(points)  # nothing twice
    assert np.allclose(points.sum(axis=1), 1.0)


def test_the_sampled_plan_is_seeded_per_job() -> None:
    mode, jobs = plan_jobs(SPACE, 1_000, 300)
    assert mode == "sample" and [j.size for j in jobs] == [300, 300, 300, 100]
    first = [np.vstack(list(job_candidates(j, SPACE, 7, 128))) for j in jobs]
    again = [np.vstack(list(job_candidates(j, SPACE, 7, 128))) for j in reversed(jobs)][::-1]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))  # job i is job i, in any order
    assert not np.array_equal(first[0], first[1])
    other_seed = np.vstack(list(job_candidates(jobs[0], SPACE, 8, 128)))
    assert not np.array_equal(first[0], other_seed)


def test_bad_sizes_and_acquisitions_are_refused() -> None:
    with pytest.raises(ValueError, match=r"candidates \(0\) and chunk_size \(10\) must be positive"):
        plan_jobs(SPACE, 0, 10)
    with pytest.raises(ValueError, match="unknown acquisition 'best': use 'greedy' or 'uncertainty'"):
        screen_lattice.fn("unused", SPACE.to_dict(), 10, acquisition="best")


def test_merge_top_breaks_ties_by_composition_and_drops_copies() -> None:
    x = np.array([[0.5, 0.5, 0], [0, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5]])
    a = np.array([0.9, 0.9, 0.9, 0.1])
    for perm in ([0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]):
        top_x, _, top_a = merge_top(x[perm], a[perm], a[perm], 3, 0.5)
        assert top_x.tolist() == [[0, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5]]
        assert top_a.tolist() == [0.9, 0.9, 0.1]


def test_merge_top_caps_each_element_system() -> None:
    x = np.array([[0.5, 0.5, 0.0], [0.4, 0.6, 0.0], [0.3, 0.7, 0.0], [0.5, 0.0, 0.5],
                  [0.0, 0.5, 0.5]])
    a = np.array([1.0, 1.0, 1.0, 0.9, 0.2])  # three saturated alloys of one system
    top_x, _, top_a = merge_top(x, a, a, 3, 0.1, per_system=1)
    assert np.allclose(top_a, [1.0, 0.9, 0.2])
    assert np.allclose(top_x[0], [0.3, 0.7, 0.0])  # ties by composition, as without the cap
    two, _, _ = merge_top(x, a, a, 3, 0.1, per_system=2)
    assert np.allclose(two[:, 2], [0.0, 0.0, 0.5])


def test_space_round_trips_through_flow_parameters() -> None:
    import json

    assert DesignSpace.from_dict(json.loads(json.dumps(SPACE.to_dict()))) == SPACE


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from alloyloop.featurize.matrix import fraction_matrix
    from alloyloop.models.dvae import DisentangledVAE

    lab = corpus_rows(PALETTE)
    config = fast(max_epochs=4, min_epochs=2, patience=2, vae_max_epochs=2,
                  encoder_hidden=(32, 32), decoder_hidden=(32, 32))
    model = DisentangledVAE(config, elements=PALETTE, seed=0).fit(
        fraction_matrix(lab["fractions"], PALETTE), lab["single_phase"].astype(int).to_numpy())
    return model.save(tmp_path_factory.mktemp("screen") / "model")


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_dask_flow_finds_the_brute_force_top_list_on_1_and_2_workers(checkpoint: Path) -> None:
    from alloyloop.models.dvae import DisentangledVAE

    model = DisentangledVAE.load(checkpoint)
    every = np.vstack(list(enumerate_lattice(PALETTE, 0.05, 3, 5)))
    every = every[SPACE.feasible(every)]
    a = screening_scores(model.predict_proba(to_model_columns(every, SPACE, model.elements)), "uncertainty")
    want_x, _, want_a = merge_top(every, a, a, 25, SPACE.step)

    results = [run_screening(str(checkpoint), SPACE, 10**9, top_k=25, acquisition="uncertainty",
                             chunk_size=700, workers=w) for w in (1, 2)]
    for got in results:
        assert got.mode == "enumerate" and got.jobs > 4
        assert got.scored == lattice_size(5, 0.05, 3, 5) and got.feasible == len(every)
        assert np.array_equal(got.x, want_x) and np.allclose(got.acquisition, want_a)
        assert len(got.rows()) == 25 and got.rows()[0]["p_single"] == pytest.approx(got.p_single[0])
    # sampled: the same seed gives the same top list whatever the number of workers
    sampled = [run_screening(str(checkpoint), SPACE, 3_000, top_k=10, seed=3, chunk_size=1_000,
                             workers=w, max_in_flight=1 + w) for w in (1, 2)]
    assert sampled[0].mode == "sample" and sampled[0].scored == 3_000 == sampled[1].scored
    spread = run_screening(str(checkpoint), SPACE, 10**9, top_k=10, acquisition="uncertainty",
                           chunk_size=700, workers=1, per_system=1)
    assert np.array_equal(spread.x, merge_top(every, a, a, 10, SPACE.step, per_system=1)[0])
    assert np.array_equal(sampled[0].x, sampled[1].x)
    # each task hands back at most its top list, never its chunk
    (job,) = plan_jobs(SPACE, 3_000, 3_000)[1]
    assert len(score_job(job, str(checkpoint), SPACE, "greedy", 10, 3, 500).x) == 10
