"""The DVAE's own uncertainty as a BoTorch model, on latent codes or on compositions.

:class:`DVAEEnsemble` is a ``botorch.models.ensemble.EnsembleModel`` whose S members are
the classifier's members (:mod:`alloyloop.models.torch_members`: its heads, or fixed
MC-dropout masks of a single head) and whose output is the calibrated logit of
single-phase. Its inputs are mapped to model-palette fractions first by ``to_fractions``:

- :class:`LatentToDesign` (latent search): z → decode(z, y = 1) → :class:`SmoothDesignMap`,
  so ``optimize_acqf`` gets gradients from p(single) down to z;
- ``nn.Identity()`` (a candidate pool, or repaired compositions): the inputs are fractions.

Every MC acquisition function of BoTorch (qLogNEI, qUCB, qSimpleRegret) runs on it: the
ensemble posterior's samples are its members.
"""

from __future__ import annotations

import numpy as np
import torch
from botorch.models.ensemble import EnsembleModel
from torch import Tensor, nn

from alloyloop.agent.repair import repair_support
from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.models.torch_members import DomainScore, MemberLogits, TorchDecoder


class SmoothDesignMap(nn.Module):
    """Repair without its grid rounding, differentiable: model-palette fractions
    ``(*b, n, E)`` → the same shape, on the design space up to the grid.

    The latent search must score the alloy it will send (issue #32: with a smooth
    stand-in for repair, the decodes were then moved by 0.27–0.67 of their atoms and the
    lab got another alloy than the acquisition optimised). So this is repair's own steps 1
    and 2 (:mod:`alloyloop.agent.repair`):

    1. keep the palette's columns and renormalize; choose the support exactly as repair
       does (:func:`~alloyloop.agent.repair.repair_support`: required elements, element
       count, forbidden sets, bounds that can sum to 1) — a discrete choice, made without
       gradients;
    2. the Euclidean projection onto {Σx = 1, lo ≤ x ≤ hi} over that support: the shift τ
       is found exactly (:func:`_box_simplex_shift`: Σ clip(v − τ, lo, hi) is piecewise
       linear in τ, so the root lies between two of its kinks and is interpolated), then
       written as a function of the free (unclamped) entries,
       τ = (Σ_free v − 1 + Σ_clamped bound) / |free|, so gradients flow through it.

    Only step 3, rounding to the step grid, is left: the sent alloy is within
    ``max_elements × step / 2`` of this one (largest remainders move each present element
    by less than one step).

    It runs at every evaluation of the acquisition (a few hundred per suggest step), so
    both discrete steps are vectorized over the rows (:func:`support_masks`,
    :func:`_box_simplex_shift`): a Python loop per row and a 60-step bisection were half
    of a step's CPU time (issue #32's 3 s target).
    """

    def __init__(self, space: DesignSpace, elements: tuple[str, ...]) -> None:
        super().__init__()
        self.space = space
        cols = torch.tensor([elements.index(el) for el in space.palette])
        self.register_buffer("cols", cols)
        lo, hi = space.bound_arrays()
        self.register_buffer("lo", torch.as_tensor(lo, dtype=torch.float64))
        self.register_buffer("hi", torch.as_tensor(hi, dtype=torch.float64))
        self.n_elements = len(elements)

    def support(self, v: Tensor) -> Tensor:
        """``(..., P)`` renormalized palette fractions → bool support mask (no gradient)."""
        flat = v.detach().reshape(-1, v.shape[-1]).cpu().numpy()
        return torch.as_tensor(support_masks(flat, self.space), device=v.device).reshape(v.shape)

    def forward(self, x: Tensor) -> Tensor:
        v = x.index_select(-1, self.cols).clamp_min(0.0)
        total = v.sum(-1, keepdim=True)
        v = torch.where(total > 0, v / total.clamp_min(1e-12), torch.full_like(v, 1 / v.shape[-1]))
        mask = self.support(v)
        zero = torch.zeros((), dtype=v.dtype, device=v.device)
        lo = torch.where(mask, self.lo.to(v.dtype), zero)
        hi = torch.where(mask, self.hi.to(v.dtype), zero)
        with torch.no_grad():
            tau = _box_simplex_shift(v, lo, hi)
            clamped = torch.minimum(torch.maximum(v - tau, lo), hi)
            free = mask & (v - tau > lo) & (v - tau < hi)
        n_free = free.sum(-1, keepdim=True)
        fixed = torch.where(mask & ~free, clamped, zero).sum(-1, keepdim=True)
        tau_d = (torch.where(free, v, zero).sum(-1, keepdim=True) - 1.0 + fixed) \
            / n_free.clamp_min(1)
        out_p = torch.where(free, v - tau_d, clamped)
        out = x.new_zeros(*x.shape[:-1], self.n_elements)
        return out.index_copy(-1, self.cols, out_p.to(x.dtype))


def support_masks(v: np.ndarray, space: DesignSpace) -> np.ndarray:
    """``(n, P)`` renormalized palette fractions → ``(n, P)`` bool: the support
    :func:`~alloyloop.agent.repair.repair_support` keeps for each row, for all rows at once
    (row by row when the space has forbidden sets, whose skipping rule is sequential).

    Same rule: required elements first (in ``space.required`` order), then by decreasing
    fraction (ties by column); of the support sizes within the element-count range, the
    first feasible one (bounds can sum to 1) in the order (|k − k0|, k), k0 the decoded
    element count (entries ≥ step / 2) clipped to the range.
    """
    n, P = v.shape
    if space.forbidden:
        mask = np.zeros((n, P), dtype=bool)
        for i, row in enumerate(v):
            mask[i, repair_support(row, space)] = True
        return mask
    lo, hi = space.bound_arrays()
    required = [space.palette.index(el) for el in space.required]
    key = -v.astype(np.float64)
    key[:, required] = -10.0 + np.arange(len(required))  # ahead of every fraction, in order
    order = np.argsort(key, axis=1, kind="stable")
    k_min = max(space.min_elements, len(required))
    k_max = min(space.max_elements, P)
    k0 = np.clip((v >= space.step / 2).sum(axis=1), k_min, k_max)
    sizes = np.arange(1, P + 1)
    lo_sum, hi_sum = np.cumsum(lo[order], axis=1), np.cumsum(hi[order], axis=1)
    ok = (lo_sum <= 1 + 1e-12) & (1 + 1e-12 <= hi_sum + 2e-12) \
        & (sizes >= k_min) & (sizes <= k_max)
    if not ok.any(axis=1).all():  # the design space was validated feasible
        raise RuntimeError("no feasible support found for a validated design space")
    rank = np.abs(sizes - k0[:, None]) * (P + 1) + sizes
    k = sizes[np.where(ok, rank, np.iinfo(np.int64).max).argmin(axis=1)]
    mask = np.zeros((n, P), dtype=bool)
    np.put_along_axis(mask, order, sizes <= k[:, None], axis=1)
    return mask


def _box_simplex_shift(v: Tensor, lo: Tensor, hi: Tensor) -> Tensor:
    """``(..., 1)`` the τ with Σ clip(v − τ, lo, hi) = 1 (no gradient; ``lo = hi = 0``
    off the support). The sum is non-increasing and piecewise linear in τ with kinks at
    v − lo and v − hi: evaluated at every kink, the root lies between the last kink where
    it is ≥ 1 and the next one, where it is linear. The support's bounds reach 1
    (``lo`` sums to ≤ 1 ≤ ``hi``'s sum), so both kinks exist."""
    kinks = torch.cat([v - lo, v - hi], dim=-1)  # (..., 2P)
    total = torch.minimum(torch.maximum(v.unsqueeze(-2) - kinks.unsqueeze(-1), lo.unsqueeze(-2)),
                          hi.unsqueeze(-2)).sum(-1)  # (..., 2P): the sum at each kink
    big = torch.full_like(kinks, float("inf"))
    left = torch.where(total >= 1.0, kinks, -big).amax(-1, keepdim=True)
    right = torch.where(total <= 1.0, kinks, big).amin(-1, keepdim=True)
    at_left = torch.minimum(torch.maximum(v - left, lo), hi).sum(-1, keepdim=True)
    at_right = torch.minimum(torch.maximum(v - right, lo), hi).sum(-1, keepdim=True)
    drop = at_left - at_right
    step = torch.where(drop > 0, (at_left - 1.0) / torch.where(drop > 0, drop, 1.0), 0.0)
    return torch.where(right > left, left + step * (right - left), left)


class LatentToDesign(nn.Module):
    """z ``(*b, n, d)`` → decode(z, y = 1) → :class:`SmoothDesignMap` → ``(*b, n, E)``."""

    def __init__(self, decoder: TorchDecoder, design: SmoothDesignMap) -> None:
        super().__init__()
        self.decoder = decoder
        self.design = design

    def forward(self, z: Tensor) -> Tensor:
        return self.design(self.decoder(z))


class DVAEEnsemble(EnsembleModel):
    """Ensemble posterior over the calibrated logit of single-phase.

    Args:
        members: fractions → ``(*b, S, n)`` member logits.
        to_fractions: inputs ``(*b, n, d)`` → fractions ``(*b, n, E)``.
        domain: fractions → ``(*b, n)`` domain score (≤ 1 inside the model's domain of
            applicability), or None. With it every member's logit is lowered by
            ``domain_weight × relu(score − 1)²`` : the classifier's confident logits far
            from any labelled alloy are extrapolation, which a latent search would
            otherwise chase to the edge of the box.
        domain_weight: see ``domain``.
    """

    _num_outputs = 1

    def __init__(self, members: MemberLogits, to_fractions: nn.Module,
                 domain: DomainScore | None = None, domain_weight: float = 10.0) -> None:
        super().__init__()
        self.members = members
        self.to_fractions = to_fractions
        self.domain = domain
        self.domain_weight = float(domain_weight)

    @property
    def n_members(self) -> int:
        return self.members.n_members

    def forward(self, X: Tensor) -> Tensor:
        """``X`` ``(*b, n, d)`` → ``(*b, S, n, 1)`` member logits."""
        c = self.to_fractions(X)
        out = self.members(c)
        if self.domain is not None:
            out = out - (self.domain_weight * torch.relu(self.domain(c) - 1.0) ** 2).unsqueeze(-2)
        return out.unsqueeze(-1)

    def member_values(self, X: Tensor) -> Tensor:
        """``X`` ``(n, d)`` → ``(S, n)`` member logits, without gradients."""
        with torch.no_grad():
            return self.forward(X).squeeze(-1)
