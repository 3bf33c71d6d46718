"""Torch views of a fitted DVAE for acquisition: the decoder and the classifier's members.

Two frozen, float64 copies of a fitted :class:`~alloyloop.models.dvae.DisentangledVAE`'s
networks, for code that needs gradients or an ensemble posterior (the ``botorch``
strategy in ``agent/strategies``):

- :class:`TorchDecoder`: ``z`` → the decoder's mean composition (softmax over the palette);
- :class:`MemberLogits`: fractions → the calibrated logit (logit / T) of every ensemble
  member, through :class:`~alloyloop.models.torch_features.TorchClassifierInputs` (the
  featurizer's own formulas);
- :class:`DomainScore`: fractions → the domain-of-applicability score of
  :class:`~alloyloop.models.domain.DomainModel` (nearest labelled alloy's descriptor
  distance / threshold, ≤ 1 inside), differentiable almost everywhere.

The members are the classifier's heads when it has two or more (``n_ensemble``, eval
mode); a single-head classifier trained with dropout gives ``dropout_members`` MC-dropout
members instead, each with its own dropout mask drawn once from ``seed`` (a member is
one fixed function, the same at every input, as an ensemble posterior needs).
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from alloyloop.models.torch_features import TorchClassifierInputs


def _frozen(module: nn.Module) -> nn.Module:
    out = copy.deepcopy(module).double().eval()
    for p in out.parameters():
        p.requires_grad_(False)
    return out


class TorchDecoder(nn.Module):
    """``z`` ``(*b, n, d)`` → ``(*b, n, E)`` decoded fractions (rows sum to 1) for label y."""

    def __init__(self, decoder: nn.Module, y: float) -> None:
        super().__init__()
        self.decoder = _frozen(decoder)
        self.y = float(y)

    def forward(self, z: Tensor) -> Tensor:
        flat = z.reshape(-1, z.shape[-1])
        logp = self.decoder(flat, flat.new_full((flat.shape[0],), self.y))
        return logp.exp().reshape(*z.shape[:-1], -1)


class MemberLogits(nn.Module):
    """Fractions ``(*b, n, E)`` → ``(*b, S, n)`` calibrated logits of the S members.

    Args:
        inputs: fractions → classifier inputs (float64).
        heads: the classifier's head MLPs (``nn.Sequential``), frozen copies.
        temperature: the model's calibration temperature (logits are divided by it).
        masks: per member, one ``(width,)`` keep-mask (already scaled by 1 / (1 − rate))
            per dropout layer; None = one member per head, dropout off.
    """

    def __init__(self, inputs: TorchClassifierInputs, heads: nn.ModuleList, temperature: float,
                 masks: list[list[Tensor]] | None = None) -> None:
        super().__init__()
        self.inputs = inputs
        self.heads = heads
        self.inv_temperature = 1.0 / float(temperature)
        self.masks = masks
        self.n_members = len(heads) if masks is None else len(masks)

    def _head(self, head: nn.Sequential, f: Tensor, mask: list[Tensor] | None) -> Tensor:
        k = 0
        for layer in head:
            if isinstance(layer, nn.Dropout):
                if mask is not None:
                    f = f * mask[k]
                    k += 1
            else:
                f = layer(f)
        return f.squeeze(-1)

    def forward(self, c: Tensor) -> Tensor:
        flat = c.reshape(-1, c.shape[-1])
        f = self.inputs(flat)
        if self.masks is None:
            out = torch.stack([self._head(h, f, None) for h in self.heads], dim=0)
        else:
            out = torch.stack([self._head(self.heads[0], f, m) for m in self.masks], dim=0)
        out = out * self.inv_temperature  # (S, N)
        return out.reshape(self.n_members, *c.shape[:-1]).movedim(0, -2)


class DomainScore(nn.Module):
    """Fractions ``(*b, n, E)`` → ``(*b, n)`` domain score (distance / threshold)."""

    def __init__(self, inputs: TorchClassifierInputs, reference: Tensor, threshold: float) -> None:
        super().__init__()
        self.inputs = inputs
        self.register_buffer("reference", reference)
        self.threshold = float(threshold)

    def forward(self, c: Tensor) -> Tensor:
        flat = c.reshape(-1, c.shape[-1])
        d = (self.inputs.descriptors(flat) - self.inputs.mean) / self.inputs.std
        d2 = ((d[:, None, :] - self.reference[None, :, :]) ** 2).sum(-1).min(dim=1).values
        return (d2.clamp_min(1e-18).sqrt() / self.threshold).reshape(c.shape[:-1])


def _inputs(model) -> TorchClassifierInputs:
    assert model.standardizer_ is not None
    return TorchClassifierInputs(model.elements, model.schema, model.standardizer_,
                                 model.config.classifier_inputs, dtype=torch.float64)


def domain_score(model) -> DomainScore:
    """The domain score of a fitted DVAE as a torch module (element coverage, the
    domain's other check, is left to the numpy model)."""
    model._check_fitted()
    assert model.domain_ is not None
    return DomainScore(_inputs(model), torch.as_tensor(model.domain_.reference,
                                                       dtype=torch.float64),
                       model.domain_.threshold)


def torch_decoder(model, y: int = 1) -> TorchDecoder:
    """A frozen float64 copy of a fitted DVAE's decoder with label ``y``."""
    net = model._check_fitted()
    return TorchDecoder(net.decoder, y)


def member_logits(model, *, dropout_members: int = 8, seed: int = 0) -> MemberLogits:
    """The members of a fitted DVAE's classifier (see the module docstring).

    Raises:
        ValueError: a single-head classifier without dropout (no spread to sample).
    """
    net = model._check_fitted()
    inputs = _inputs(model)
    heads = _frozen(net.classifier.heads)
    if len(heads) >= 2:
        return MemberLogits(inputs, heads, model.temperature_)
    drops = [m for m in heads[0] if isinstance(m, nn.Dropout)]
    if not drops or drops[0].p <= 0:
        raise ValueError("the classifier has one head and no dropout, so it has no spread to "
                         "sample: set [model.dvae] n_ensemble = 5 (or dropout > 0)")
    if dropout_members < 2:
        raise ValueError(f"dropout_members={dropout_members} must be at least 2, e.g. 8")
    widths = [layer.out_features for layer in heads[0] if isinstance(layer, nn.Linear)][:-1]
    gen = torch.Generator().manual_seed(int(seed))
    masks = [[(torch.rand(w, generator=gen, dtype=torch.float64) >= d.p).double() / (1 - d.p)
              for w, d in zip(widths, drops)] for _ in range(dropout_members)]
    return MemberLogits(inputs, heads, model.temperature_, masks)
