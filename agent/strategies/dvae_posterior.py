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

import torch
from botorch.models.ensemble import EnsembleModel
from torch import Tensor, nn

from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.models.torch_members import DomainScore, MemberLogits, TorchDecoder


class SmoothDesignMap(nn.Module):
    """A smooth stand-in for repair: model-palette fractions ``(*b, n, E)`` → the same
    shape, inside the design space's palette and upper bounds.

    1. keep the palette's columns and renormalize (mass outside the palette is dropped);
    2. drop entries below half a step (``relu(x − step/2)``, renormalized), as repair keeps
       only elements decoded at half a step or more, so the element count the descriptors
       see is the one the repaired alloy will have;
    3. cap each element at its upper bound and hand the excess to the uncapped ones in
       proportion (a few passes).

    Gradients flow almost everywhere. Lower bounds, element counts, forbidden sets and the
    grid are left to the exact repair that rounds the final suggestions.
    """

    def __init__(self, space: DesignSpace, elements: tuple[str, ...], passes: int = 4) -> None:
        super().__init__()
        cols = torch.tensor([elements.index(el) for el in space.palette])
        self.register_buffer("cols", cols)
        self.register_buffer("hi", torch.tensor([space.bounds.get(el, (0.0, 1.0))[1]
                                                 for el in space.palette], dtype=torch.float64))
        self.n_elements = len(elements)
        self.half_step = 0.5 * float(space.step)
        self.passes = passes

    def forward(self, x: Tensor) -> Tensor:
        v = x.index_select(-1, self.cols)
        v = v / v.sum(-1, keepdim=True).clamp_min(1e-12)
        v = torch.relu(v - self.half_step)
        v = v / v.sum(-1, keepdim=True).clamp_min(1e-12)
        for _ in range(self.passes):
            capped = torch.minimum(v, self.hi)
            excess = 1.0 - capped.sum(-1, keepdim=True)
            free = torch.where(capped < self.hi, capped, torch.zeros_like(capped))
            v = capped + excess * free / free.sum(-1, keepdim=True).clamp_min(1e-12)
        out = x.new_zeros(*x.shape[:-1], self.n_elements)
        return out.index_copy(-1, self.cols, v)


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
