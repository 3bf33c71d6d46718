"""Differentiable classifier inputs: the featurizer's descriptors as a torch module.

The formulas are :func:`alloyloop.featurize.descriptors.descriptor_columns`, the same
code the numpy featurizer runs, evaluated here with torch operations
(:data:`TORCH_OPS`), so gradients flow from the classifier back into a decoded
composition. Used by the label-control term of the DVAE's VAE phase
(:mod:`alloyloop.models.objective`).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import torch
from torch import Tensor, nn

from alloyloop.featurize.descriptors import (
    VARIANCE_FLOOR,
    ArrayOps,
    FeatureSchema,
    descriptor_columns,
)
from alloyloop.featurize.elements import element_table
from alloyloop.models.features import Standardizer

_PROPERTIES = ("radius_pm", "electronegativity", "vec", "valence_all", "melting_K",
               "bulk_modulus_GPa", "molar_volume_cm3", "pair_enthalpy_kJ")


class _TorchOps(ArrayOps):
    def xlogx(self, c: Tensor) -> Tensor:
        return torch.where(c > 0, c * torch.log(torch.where(c > 0, c, torch.ones_like(c))),
                           torch.zeros_like(c))

    def sqrt_pos(self, v: Tensor) -> Tensor:
        # sqrt's gradient is infinite at 0: keep the zeros out of its argument.
        ok = v > VARIANCE_FLOOR
        return torch.where(ok, torch.sqrt(torch.where(ok, v, torch.ones_like(v))),
                           torch.zeros_like(v))

    def count_positive(self, c: Tensor) -> Tensor:
        return (c > 0).sum(dim=1).to(c.dtype)

    def where(self, cond, a, b):
        a = torch.as_tensor(a, dtype=torch.get_default_dtype()) if not torch.is_tensor(a) else a
        b = torch.as_tensor(b, dtype=a.dtype) if not torch.is_tensor(b) else b
        return torch.where(cond, a, b)

    def abs(self, v: Tensor) -> Tensor:
        return v.abs()

    def stack_columns(self, cols: Sequence[Tensor], n: int) -> Tensor:
        return torch.stack(list(cols), dim=1) if cols else torch.empty((n, 0))


TORCH_OPS: ArrayOps = _TorchOps()


def clean_fractions(x: Tensor, at_pct: float) -> Tensor:
    """Fractions below ``at_pct`` at.% set to 0, rows renormalised (each row's largest
    element always stays): ``(n, E)`` → ``(n, E)``. The mask is not differentiated; the
    kept fractions are. ``at_pct = 0`` returns ``x``. (numpy twin:
    ``alloyloop.models.latent_quality.clean``, checked against this in the tests.)"""
    if at_pct <= 0:
        return x
    keep = (x >= at_pct / 100.0) | (x == x.max(dim=1, keepdim=True).values)
    kept = torch.where(keep, x, torch.zeros_like(x))
    return kept / kept.sum(dim=1, keepdim=True)


class TorchClassifierInputs(nn.Module):
    """Fractions → the classifier's input vector, differentiably.

    Computes what ``DisentangledVAE.transform`` computes with numpy: the schema's
    descriptors, standardized with the fitted standardizer, and (mode
    ``"descriptors+fractions"``) the fractions beside them.

    Args:
        elements: the palette (column order of the fractions).
        schema: the descriptors, in the classifier's order.
        standardizer: the fitted standardizer of the descriptors.
        mode: ``"descriptors"`` or ``"descriptors+fractions"``.
        dtype: float dtype of the property buffers (float32 for training, float64 for
            the parity test).
    """

    def __init__(self, elements: Sequence[str], schema: FeatureSchema,
                 standardizer: Standardizer, mode: str,
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        if mode not in ("descriptors", "descriptors+fractions"):
            raise ValueError(f"unknown classifier input mode {mode!r}")
        table = element_table().subset(list(elements))
        for name in _PROPERTIES:
            self.register_buffer(name, torch.as_tensor(getattr(table, name), dtype=dtype))
        self.register_buffer("mean", torch.as_tensor(standardizer.mean, dtype=dtype))
        self.register_buffer("std", torch.as_tensor(standardizer.std, dtype=dtype))
        self.names = tuple(schema.names)
        self.mode = mode

    def descriptors(self, c: Tensor) -> Tensor:
        """``(n, E)`` fractions (rows summing to 1) → ``(n, F)`` raw descriptors."""
        table = SimpleNamespace(**{name: getattr(self, name) for name in _PROPERTIES})
        return descriptor_columns(c, table, self.names, TORCH_OPS)

    def forward(self, c: Tensor) -> Tensor:
        """``(n, E)`` fractions → ``(n, F)`` or ``(n, F + E)`` classifier inputs."""
        d = (self.descriptors(c) - self.mean) / self.std
        return d if self.mode == "descriptors" else torch.cat([d, c], dim=1)


class RouteInputs(nn.Module):
    """A :class:`TorchClassifierInputs` with a fixed processing-route one-hot appended
    (``DVAEConfig.processing_input``): ``(n, E)`` → ``(n, F + R)``."""

    def __init__(self, inputs: TorchClassifierInputs, one_hot) -> None:
        super().__init__()
        self.inputs = inputs
        self.register_buffer("route", torch.as_tensor(one_hot, dtype=inputs.mean.dtype))

    @property
    def mean(self) -> Tensor:
        return self.inputs.mean

    @property
    def std(self) -> Tensor:
        return self.inputs.std

    def descriptors(self, c: Tensor) -> Tensor:
        return self.inputs.descriptors(c)

    def forward(self, c: Tensor) -> Tensor:
        f = self.inputs(c)
        return torch.cat([f, self.route.to(f.dtype).expand(f.shape[0], -1)], dim=1)
