"""Mini-batch schedules of a DVAE fit: how many optimiser steps make an epoch, and which
rows each step sees (labelled and unlabelled streams drawn from one seeded generator)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from alloyloop.models.config import DVAEConfig


class IndexStream:
    """Endless mini-batches of row indices: reshuffled permutations laid end to end, so
    every row appears once per pass and a set smaller than an epoch simply cycles."""

    def __init__(self, n: int, batch: int, generator: torch.Generator) -> None:
        self.n, self.batch, self.gen = n, batch, generator
        self.buffer = torch.empty(0, dtype=torch.long)

    def next(self) -> torch.Tensor:
        """``(batch,)`` int64 indices in [0, n)."""
        while self.buffer.numel() < self.batch:
            self.buffer = torch.cat([self.buffer, torch.randperm(self.n, generator=self.gen)])
        out, self.buffer = self.buffer[: self.batch], self.buffer[self.batch:]
        return out


@dataclass
class Schedule:
    """One phase's batches.

    Attributes:
        steps: optimiser steps per epoch.
        labelled: the labelled rows' index stream.
        unlabelled: the unlabelled rows' index stream (None without unlabelled rows).
        unlabelled_scale: weight of the unlabelled loss relative to the labelled one.
    """

    steps: int
    labelled: IndexStream
    unlabelled: IndexStream | None
    unlabelled_scale: float


def schedule(c: DVAEConfig, n_l: int, n_u: int, seed: int, batch: int | None = None
             ) -> Schedule:
    """The batches of one training phase, ``batch`` labelled rows per step (default
    ``c.batch_size``).

    An epoch is one pass over the larger of the two sets (the smaller one cycles), and
    at least as many labelled rows as ``min_steps_per_epoch`` steps of ``c.batch_size``,
    so that a small labelled set still gets enough updates between two validation
    checks. The unlabelled weight is row-wise as in the summed M2 objective: each
    unlabelled row counts as much as a labelled one (times ``unlabelled_weight``).
    """
    batch = c.batch_size if batch is None else batch
    floor = math.ceil(c.min_steps_per_epoch * min(c.batch_size, n_l) / min(batch, n_l))
    steps = max(math.ceil(n_l / batch), math.ceil(n_u / batch), floor)
    gen = torch.Generator().manual_seed(seed)
    lab = IndexStream(n_l, min(batch, n_l), gen)
    unl = IndexStream(n_u, math.ceil(n_u / steps), gen) if n_u else None
    return Schedule(steps, lab, unl, c.unlabelled_weight * (n_u / n_l) if n_u else 0.0)
