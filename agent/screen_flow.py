"""Screening very large candidate pools (10M and more) with Prefect tasks on Dask.

The round's ``screen`` strategy scores up to ``max_candidates`` lattice points in one
process. This flow scales the same screening out: the candidate pool is cut into
*chunk jobs* that are only descriptions (a seed, or a list of lattice blocks), each chunk
job is a Prefect task (``screen-chunk``) that makes its candidates itself, filters them
by the design space, scores them with the classifier in sub-chunks of ``chunk_size`` rows
and returns only its own top ``top_k``. The flow keeps at most ``max_in_flight`` tasks
submitted and merges each finished task's top list into a running top list, so memory is
bounded by ``max_in_flight × chunk_size`` rows in the workers plus ``top_k`` rows in the
flow, whatever the pool size.

Pools:

- the lattice is **enumerated** when it has at most ``candidates`` points: it is split into
  blocks (an element subset plus the amount of its first element) of known size, packed
  into jobs of about ``chunk_size`` points; every lattice point is scored exactly once;
- else ``candidates`` points are **sampled** uniformly from the lattice (with replacement,
  as :func:`alloyloop.featurize.lattice.sample_lattice` does), job ``i`` with the seed
  ``SeedSequence(seed, spawn_key=(i,))``: the same seed gives the same result on any
  number of workers.

Tasks run on a :class:`prefect_dask.DaskTaskRunner`: a local cluster of ``workers``
single-threaded worker processes, or an existing Dask scheduler (``address``, e.g.
``tcp://10.0.0.5:8786``; see ``docs/operations.md``). Workers load the model checkpoint
once per process (the path must be readable on every worker machine).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from math import comb
from typing import Any

import numpy as np
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.strategies.diversity import system_rank
from alloyloop.agent.strategies.screening import bulk_scorer, screening_scores
from alloyloop.agent.suggestion import to_model_columns
from alloyloop.featurize.lattice import _compositions, lattice_size, sample_lattice

Block = tuple[tuple[int, ...], int]
"""A lattice block: (element subset as palette column indices, first element's units; 0
when the subset has one element)."""


@dataclass(frozen=True)
class ChunkJob:
    """One task's share of the pool: ``blocks`` to enumerate, or ``size`` samples drawn
    with ``seed_key``."""

    index: int
    size: int
    blocks: tuple[Block, ...] = ()
    seed_key: tuple[int, int] | None = None


@dataclass(frozen=True)
class ChunkResult:
    index: int
    scored: int
    """Candidates made (before the design-space filter)."""
    feasible: int
    x: np.ndarray
    """``(≤ top_k, E_space)`` fractions of the chunk's best candidates."""
    p: np.ndarray
    a: np.ndarray


@dataclass(frozen=True)
class ScreenResult:
    mode: str
    """``enumerate`` or ``sample``."""
    jobs: int
    scored: int
    feasible: int
    x: np.ndarray
    p_single: np.ndarray
    acquisition: np.ndarray
    palette: tuple[str, ...]

    def rows(self) -> list[dict[str, Any]]:
        """The top list as ``{composition, p_single, acquisition}`` rows, best first."""
        from alloyloop.featurize.composition import canonical_key

        return [{"composition": canonical_key({el: float(f) for el, f in zip(self.palette, row) if f > 0}),
                 "p_single": float(p), "acquisition": float(a)}
                for row, p, a in zip(self.x, self.p_single, self.acquisition)]


# --- planning ------------------------------------------------------------------------------
def _units(space: DesignSpace) -> int:
    return round(1 / space.step)


def lattice_blocks(space: DesignSpace) -> list[tuple[Block, int]]:
    """Every block of the lattice with its number of points, in a fixed order."""
    n, e = _units(space), len(space.palette)
    out: list[tuple[Block, int]] = []
    for k in range(space.min_elements, min(space.max_elements, e, n) + 1):
        for subset in itertools.combinations(range(e), k):
            if k == 1:
                out.append(((subset, 0), 1))
                continue
            for first in range(1, n - k + 2):
                out.append(((subset, first), comb(n - first - 1, k - 2)))
    return out


def plan_jobs(space: DesignSpace, candidates: int, chunk_size: int) -> tuple[str, list[ChunkJob]]:
    """Cut the pool into jobs of about ``chunk_size`` candidates (see the module docstring)."""
    if candidates < 1 or chunk_size < 1:
        raise ValueError(f"candidates ({candidates}) and chunk_size ({chunk_size}) must be positive")
    size = lattice_size(len(space.palette), space.step, space.min_elements, space.max_elements)
    if size > candidates:
        jobs = [ChunkJob(i, min(chunk_size, candidates - start), seed_key=(i, 0))
                for i, start in enumerate(range(0, candidates, chunk_size))]
        return "sample", jobs
    jobs, current, filled = [], [], 0
    for block, count in lattice_blocks(space):
        current.append(block)
        filled += count
        if filled >= chunk_size:
            jobs.append(ChunkJob(len(jobs), filled, blocks=tuple(current)))
            current, filled = [], 0
    if current:
        jobs.append(ChunkJob(len(jobs), filled, blocks=tuple(current)))
    return "enumerate", jobs


def _block_points(block: Block, n: int, e: int, sub_chunk: int):
    """``(m, e)`` fractions of one block, in pieces of at most ``sub_chunk`` rows."""
    subset, first = block
    cols = list(subset)
    if len(subset) == 1:
        out = np.zeros((1, e))
        out[0, cols[0]] = 1.0
        yield out
        return
    for rest in _compositions(n - first, len(subset) - 1, sub_chunk):
        out = np.zeros((len(rest), e))
        out[:, cols[0]] = first / n
        out[:, cols[1:]] = rest / n
        yield out


def job_candidates(job: ChunkJob, space: DesignSpace, seed: int, sub_chunk: int):
    """The job's candidates in pieces of at most ``sub_chunk`` rows (before filtering)."""
    if job.seed_key is not None:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=job.seed_key))
        for start in range(0, job.size, sub_chunk):
            yield sample_lattice(len(space.palette), space.step, min(sub_chunk, job.size - start), rng,
                                 space.min_elements, space.max_elements)
        return
    n, e = _units(space), len(space.palette)
    for block in job.blocks:
        yield from _block_points(block, n, e, sub_chunk)


# --- scoring -------------------------------------------------------------------------------
_MODELS: dict[str, Any] = {}


def _model(checkpoint: str):  # noqa: ANN202
    """The checkpoint's model, loaded once per worker process."""
    if checkpoint not in _MODELS:
        import torch

        from alloyloop.models.dvae import DisentangledVAE

        torch.set_num_threads(1)  # one thread per Dask worker: workers are the parallelism
        _MODELS.clear()
        _MODELS[checkpoint] = DisentangledVAE.load(checkpoint)
    return _MODELS[checkpoint]


def merge_top(x: np.ndarray, p: np.ndarray, a: np.ndarray, top_k: int, step: float,
              per_system: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``top_k`` best distinct lattice points, best first; ties are broken by the
    composition, so the result does not depend on the order chunks finish in. With
    ``per_system`` > 0, at most that many points of one element system (the set of
    elements present) are kept, so a saturated ranking covers many systems."""
    if len(a) > 4 * top_k:  # cheap pre-selection: everything scoring at least the 4k-th best
        threshold = np.partition(a, len(a) - 4 * top_k)[len(a) - 4 * top_k]
        pick = np.flatnonzero(a >= threshold)
        if len(pick) < len(a):
            best = merge_top(x[pick], p[pick], a[pick], top_k, step, per_system)
            if len(best[0]) == top_k:
                return best
        # too many copies of the same points (or of one system) among them: rank everything
    grid = np.rint(x / step).astype(np.int64)
    order = np.lexsort((*grid.T[::-1], -a))
    x, p, a, grid = x[order], p[order], a[order], grid[order]
    if len(grid):
        _, first = np.unique(grid, axis=0, return_index=True)
        keep = np.sort(first)  # the first of equal points is its best-scored copy
        if per_system > 0:
            present = grid[keep] > 0
            keep = keep[system_rank([row.tobytes() for row in present]) < per_system]
        keep = keep[:top_k]
        x, p, a = x[keep], p[keep], a[keep]
    return x, p, a


def score_job(job: ChunkJob, checkpoint: str, space: DesignSpace, acquisition: str, top_k: int,
              seed: int, sub_chunk: int, per_system: int = 0) -> ChunkResult:
    """Make, filter and score one job's candidates; keep its top ``top_k`` (at most
    ``per_system`` per element system when > 0, see :func:`merge_top`)."""
    model = _model(checkpoint)
    score = bulk_scorer(model)
    e = len(space.palette)
    best = (np.empty((0, e)), np.empty(0), np.empty(0))
    scored = feasible = 0
    for piece in job_candidates(job, space, seed, sub_chunk):
        scored += len(piece)
        piece = piece[space.feasible(piece)]
        feasible += len(piece)
        if len(piece) == 0:
            continue
        p = score(to_model_columns(piece, space, model.elements))
        a = screening_scores(p, acquisition)  # type: ignore[arg-type]
        best = merge_top(np.vstack([best[0], piece]), np.concatenate([best[1], p]),
                         np.concatenate([best[2], a]), top_k, space.step, per_system)
    return ChunkResult(job.index, scored, feasible, *best)


@task(name="screen-chunk", retries=1, retry_delay_seconds=1, cache_policy=NO_CACHE)
def screen_chunk(job: ChunkJob, checkpoint: str, space: dict[str, Any], acquisition: str, top_k: int,
                 seed: int, sub_chunk: int, per_system: int = 0) -> ChunkResult:
    """One chunk job on a worker (see :func:`score_job`)."""
    return score_job(job, checkpoint, DesignSpace.from_dict(space), acquisition, top_k, seed, sub_chunk,
                     per_system)


@flow(name="screen-lattice")
def screen_lattice(checkpoint: str, space: dict[str, Any], candidates: int, top_k: int = 100,
                   acquisition: str = "greedy", seed: int = 0, chunk_size: int = 100_000,
                   max_in_flight: int = 4, per_system: int = 0) -> ScreenResult:
    """Screen the design space's lattice (see the module docstring); ``space`` is
    :meth:`DesignSpace.to_dict` of the design space (Prefect stores parameters as JSON).

    ``per_system`` > 0 keeps at most that many alloys per element system in the top list.
    Chunks then hand back ``4 × top_k`` rows, and the list is exact unless one chunk holds
    more than that many better-scored alloys of systems already full elsewhere."""
    from prefect.futures import as_completed

    screening_scores(np.array([0.5]), acquisition)  # type: ignore[arg-type]  # refuse a bad name early
    design = DesignSpace.from_dict(space)
    mode, jobs = plan_jobs(design, candidates, chunk_size)
    sub_chunk = min(chunk_size, 100_000)
    keep = 4 * top_k if per_system > 0 else top_k
    e = len(design.palette)
    top = (np.empty((0, e)), np.empty(0), np.empty(0))
    scored = feasible = 0
    pending = iter(jobs)
    in_flight: list[Any] = []

    def fill() -> None:
        for job in itertools.islice(pending, max(1, max_in_flight) - len(in_flight)):
            in_flight.append(screen_chunk.submit(job, checkpoint, space, acquisition, keep, seed,
                                                 sub_chunk, per_system))

    fill()
    while in_flight:
        done = next(as_completed(in_flight))
        in_flight.remove(done)
        fill()  # keep the workers busy while this result is merged
        result: ChunkResult = done.result()
        scored += result.scored
        feasible += result.feasible
        top = merge_top(np.vstack([top[0], result.x]), np.concatenate([top[1], result.p]),
                        np.concatenate([top[2], result.a]), keep, design.step, per_system)
    top = tuple(v[:top_k] for v in top)
    return ScreenResult(mode, len(jobs), scored, feasible, top[0], top[1], top[2], design.palette)


def dask_runner(workers: int = 1, address: str | None = None):  # noqa: ANN201
    """A DaskTaskRunner: ``address`` of a running scheduler, else a local cluster of
    ``workers`` single-threaded worker processes."""
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                          "processes": True, "dashboard_address": ":0"})


def run_screening(checkpoint: str, space: DesignSpace, candidates: int, *, top_k: int = 100,
                  acquisition: str = "greedy", seed: int = 0, chunk_size: int = 100_000,
                  workers: int = 1, address: str | None = None,
                  max_in_flight: int | None = None, per_system: int = 0) -> ScreenResult:
    """:func:`screen_lattice` on Dask (a local cluster, or the scheduler at ``address``)."""
    flow_ = screen_lattice.with_options(task_runner=dask_runner(workers, address))
    return flow_(str(checkpoint), space.to_dict(), candidates, top_k=top_k, acquisition=acquisition,
                 seed=seed, chunk_size=chunk_size, per_system=per_system,
                 max_in_flight=max_in_flight if max_in_flight is not None else 2 * max(workers, 1))
