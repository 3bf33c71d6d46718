"""Where lattice screening spends its time: enumeration, descriptors, classifier.

Used by :mod:`benchmarks.strategy_throughput`. Each stage runs over the whole lattice
(the chunks materialised once, outside the stages that do not make them) and is timed by
wall clock and by this process's CPU time: on a shared machine the CPU seconds are what
one core would take, the wall seconds include waiting for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Stage:
    name: str
    wall_s: float
    cpu_s: float


def _timed(name: str, fn: Callable[[], object]) -> tuple[Stage, object]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return Stage(name, time.perf_counter() - w, time.process_time() - c), out


def profile(model, screening, space, elements: tuple[str, ...], seed: int) -> list[Stage]:
    """Stages of screening ``space``'s lattice with ``model`` (a fitted DVAE)."""
    from alloyloop.agent.suggestion import to_model_columns
    from alloyloop.models.torch_scoring import TorchScorer

    stages = []
    s, chunks = _timed("enumerate the lattice + design-space filter",
                       lambda: list(screening.candidates(space, seed)))
    stages.append(s)
    s, xs = _timed("to model columns", lambda: [to_model_columns(c, space, elements) for c in chunks])
    stages.append(s)
    s, feats = _timed("numpy: descriptors + standardize (float64)",
                      lambda: [model.transform(x) for x in xs])
    stages.append(s)
    scorer = TorchScorer(model)
    s, _ = _timed("torch: descriptors + standardize (float64)",
                  lambda: _torch_inputs(scorer, xs))
    stages.append(s)
    s, _ = _timed("classifier (float32 MLP, logits)",
                  lambda: [model._logits(f) for f in feats])  # noqa: SLF001 - the stage itself
    stages.append(s)
    s, p_np = _timed("numpy path: predict_proba, all chunks",
                     lambda: [model.predict_proba(x) for x in xs])
    stages.append(s)
    s, p_t = _timed("torch path: TorchScorer.predict_proba, all chunks",
                    lambda: [scorer.predict_proba(x) for x in xs])
    stages.append(s)
    gap = max(float(np.abs(a - b).max()) for a, b in zip(p_np, p_t) if len(a))
    stages.append(Stage(f"max |p_torch - p_numpy| = {gap:.1e}", 0.0, 0.0))
    return stages


def _torch_inputs(scorer, xs: list[np.ndarray]) -> list[torch.Tensor]:
    with torch.inference_mode():
        return [scorer.inputs(torch.from_numpy(x)) for x in xs]


def classifier_macs(model) -> int:
    """Multiply-adds of one classifier evaluation (all heads)."""
    net = model._check_fitted()  # noqa: SLF001
    return sum(m.in_features * m.out_features for m in net.classifier.modules()
               if isinstance(m, torch.nn.Linear))
