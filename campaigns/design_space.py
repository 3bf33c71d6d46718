"""The design space of a campaign: which compositions may be suggested.

A :class:`DesignSpace` is validated at construction: an empty palette, an unknown element,
bounds no composition can meet, or a step that fits no composition fail at once with an
error that names the offending setting and the fix (BayBE style), not rounds later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import isfinite

import numpy as np
from alloyloop.featurize.converter import structure, unstructure
from alloyloop.featurize.elements import element_table
from alloyloop.featurize.properties import PROPERTIES, get_property, property_matrix, reachable_range


class DesignSpaceError(ValueError):
    """A design-space setting is invalid or infeasible; the message names the fix.

    ``key``: the setting at fault below the design space (``descriptor_limits.density``)
    when it is one setting, else None."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class DesignSpace:
    """Constraints on suggested compositions (fractions, not at.%).

    Attributes:
        palette: allowed elements, in column order of every fraction matrix.
        bounds: element -> (min, max) mole fraction *when present*; a min > 0 makes the
            element required. Elements not listed get (0, 1).
        min_elements, max_elements: element-count range.
        step: composition grid, e.g. 0.01 = 1 at.%; must divide 1.
        forbidden: element combinations that may not occur together (each a set). A
            palette holding a pair without a tabulated mixing enthalpy (Th-U) gets that
            pair added: no alloy with both can be featurized.
        descriptor_limits: property name (any of ``featurize.properties.PROPERTIES``:
            ``density`` in g/cm³, ``cost`` in USD/kg, and every descriptor of
            ``featurize.descriptors.FULL_SCHEMA`` such as ``vec``, ``tm``, ``delta``) ->
            (low, high) in the property's own unit; ``None`` for an open side. The one
            constraint mechanism on properties: every strategy's suggestions pass
            :meth:`feasible`, which checks them.
    """

    palette: tuple[str, ...]
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    min_elements: int = 1
    max_elements: int | None = None
    step: float = 0.01
    forbidden: tuple[frozenset[str], ...] = ()
    descriptor_limits: Mapping[str, tuple[float | None, float | None]] = field(
        default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "palette", tuple(self.palette))
        forbidden = tuple(frozenset(f) for f in self.forbidden)
        pair = element_table().missing_pair_in(self.palette)
        if pair is not None and not any(f <= set(pair) for f in forbidden):
            # No alloy with both can be featurized (its mixing enthalpy is not tabulated),
            # so such a suggestion could never be scored: the pair is forbidden outright.
            forbidden += (frozenset(pair),)
        object.__setattr__(self, "forbidden", forbidden)
        object.__setattr__(self, "bounds", {k: (float(v[0]), float(v[1]))
                                            for k, v in dict(self.bounds).items()})
        object.__setattr__(self, "descriptor_limits", dict(self.descriptor_limits))
        if self.max_elements is None:
            object.__setattr__(self, "max_elements", len(self.palette))
        self._validate()

    # ----------------------------------------------------------------- validation
    def _validate(self) -> None:  # long: one check per setting, each naming its own fix
        pal = self.palette
        self._validate_palette()
        if not (isfinite(self.step) and 0 < self.step <= 0.5):
            raise DesignSpaceError(
                f"step {self.step!r} must be in (0, 0.5]: e.g. 0.01 for 1 at.%")
        units = round(1 / self.step)
        if abs(units * self.step - 1) > 1e-9:
            raise DesignSpaceError(
                f"step {self.step!r} fits no composition (1 is not a multiple of it): "
                "choose a step that divides 1, such as 0.01, 0.02, 0.025, 0.05 or 0.1")
        if not 1 <= self.min_elements <= self.max_elements:
            raise DesignSpaceError(
                f"element-count range [{self.min_elements}, {self.max_elements}] is empty: "
                "use 1 <= min_elements <= max_elements")
        if self.max_elements > len(pal):
            raise DesignSpaceError(
                f"max_elements {self.max_elements} exceeds the palette's {len(pal)} "
                "elements: lower it or add elements")
        if self.min_elements > units:
            raise DesignSpaceError(
                f"min_elements {self.min_elements} cannot fit at step {self.step} "
                f"(at most {units} elements of one step each): use a finer step")
        self._validate_bounds()
        self._check_feasible()
        for name, lim in self.descriptor_limits.items():
            self._check_limit(name, lim)

    def _validate_palette(self) -> None:
        pal = self.palette
        if not pal:
            raise DesignSpaceError(
                "empty palette: list the elements the campaign may use, e.g. "
                "palette = ['Co', 'Cr', 'Fe', 'Mn', 'Ni']")
        if len(set(pal)) != len(pal):
            dup = next(el for el in pal if pal.count(el) > 1)
            raise DesignSpaceError(f"element {dup} appears twice in the palette: list it once")
        covered = element_table().symbols
        for el in pal:
            if el not in covered:
                raise DesignSpaceError(
                    f"palette element {el!r} has no entry in the element property table: "
                    f"choose elements among {', '.join(covered)}")

    def _validate_bounds(self) -> None:
        """Per-element bounds and forbidden combinations, against the palette and the step."""
        pal = self.palette
        for el, (lo, hi) in self.bounds.items():
            if el not in pal:
                raise DesignSpaceError(
                    f"bounds given for {el}, which is not in the palette: add {el} to the "
                    "palette or drop its bounds")
            if not (0 <= lo <= hi <= 1):
                raise DesignSpaceError(
                    f"bounds ({lo}, {hi}) for {el} must satisfy 0 <= min <= max <= 1 "
                    "(mole fractions, e.g. (0.05, 0.35) for 5-35 at.%)")
            lo_u, hi_u = self._grid_bounds(el)
            if lo_u > hi_u:
                raise DesignSpaceError(
                    f"bounds ({lo}, {hi}) for {el} contain no multiple of the step "
                    f"{self.step}: widen them or use a finer step")
        for combo in self.forbidden:
            unknown = sorted(combo - set(pal))
            if unknown:
                raise DesignSpaceError(
                    f"forbidden combination {sorted(combo)} names {unknown[0]}, which is "
                    "not in the palette: fix the symbol or drop the combination")
            if combo <= set(self.required):
                raise DesignSpaceError(
                    f"forbidden combination {sorted(combo)} consists of required elements "
                    "(min bound > 0): no composition can satisfy both; relax one")

    def _check_limit(self, name: str, lim: tuple[float | None, float | None]) -> None:
        try:
            self._check_one_limit(name, lim)
        except DesignSpaceError as exc:
            raise DesignSpaceError(str(exc), key=f"descriptor_limits.{name}") from None

    def _check_one_limit(self, name: str, lim: tuple[float | None, float | None]) -> None:
        if name not in PROPERTIES:
            raise DesignSpaceError(
                f"limit on {name!r}, which is not a property: use one of "
                f"{', '.join(sorted(PROPERTIES))}")
        prop = get_property(name)
        lo, hi = lim
        if lo is not None and hi is not None and lo > hi:
            raise DesignSpaceError(
                f"limit {name} = {{ min = {lo:g}, max = {hi:g} }} is empty: min must be <= "
                "max; swap them")
        missing = prop.missing_elements(self.palette)
        if missing:
            raise DesignSpaceError(
                f"{name} has no data for palette element {missing[0]} ({prop.provenance}): "
                f"drop {missing[0]} from the palette or drop the {name} limit")
        low, high = self.bound_arrays()
        required = np.array([el in self.required for el in self.palette])
        reach = reachable_range(prop, self.palette, low, high, required,
                                self.min_elements, self.step)
        if reach is None:
            return
        least, most = reach.low, reach.high
        unit = f" {prop.unit}" if prop.unit else ""

        def alloy(c: np.ndarray) -> str:
            return "".join(f"{el}{100 * v:.3g}" for el, v in zip(self.palette, c) if v > 1e-9)

        if hi is not None and hi < least - 1e-9:
            raise DesignSpaceError(
                f"limit {name} <= {hi:g}{unit} is infeasible: the lowest {name} the palette "
                f"({', '.join(self.palette)}) and bounds reach is {least:.3g}{unit} (at.%: "
                f"{alloy(reach.low_at)}); raise max "
                f"to at least {least:.3g}, or add elements with a lower {name}")
        if lo is not None and lo > most + 1e-9:
            raise DesignSpaceError(
                f"limit {name} >= {lo:g}{unit} is infeasible: the highest {name} the palette "
                f"({', '.join(self.palette)}) and bounds reach is {most:.3g}{unit} (at.%: "
                f"{alloy(reach.high_at)}); lower min "
                f"to at most {most:.3g}, or add elements with a higher {name}")

    def _grid_bounds(self, el: str) -> tuple[int, int]:
        """Bounds of ``el`` when present, in step units: at least one step."""
        units = round(1 / self.step)
        lo, hi = self.bounds.get(el, (0.0, 1.0))
        lo_u = max(1, int(np.ceil(lo * units - 1e-9)))
        hi_u = int(np.floor(hi * units + 1e-9))
        return lo_u, hi_u

    def _check_feasible(self) -> None:
        units = round(1 / self.step)
        required = self.required
        if len(required) > self.max_elements:
            raise DesignSpaceError(
                f"{len(required)} elements have a minimum above 0 ({', '.join(required)}) "
                f"but max_elements is {self.max_elements}: raise max_elements or relax a "
                "minimum")
        req_lo = sum(self._grid_bounds(el)[0] for el in required)
        req_hi = sum(self._grid_bounds(el)[1] for el in required)
        optional = [el for el in self.palette if el not in required]
        lows = sorted(self._grid_bounds(el)[0] for el in optional)
        highs = sorted((self._grid_bounds(el)[1] for el in optional), reverse=True)
        for k in range(max(self.min_elements, len(required)), self.max_elements + 1):
            extra = k - len(required)
            if extra > len(optional):
                break
            if req_lo + sum(lows[:extra]) <= units <= req_hi + sum(highs[:extra]):
                return
        k_max = min(self.max_elements, len(required) + len(optional))
        most = (req_hi + sum(highs[: k_max - len(required)])) * self.step
        least = (req_lo + sum(lows[: max(0, self.min_elements - len(required))])) * self.step
        why = (f"the maximums reach only {most:.2f} with at most {k_max} elements"
               if most < 1 else f"the minimums already add up to {least:.2f}")
        raise DesignSpaceError(
            f"the bounds admit no composition that sums to 100 at.%: {why}; relax the "
            "per-element bounds or the element-count range")

    # ------------------------------------------------------------------- queries
    @property
    def required(self) -> tuple[str, ...]:
        """Elements whose minimum fraction is above zero."""
        return tuple(el for el in self.palette if self.bounds.get(el, (0.0, 1.0))[0] > 0)

    def bound_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(E,)`` lower and upper fractions when present (lower at least one step)."""
        units = round(1 / self.step)
        lo, hi = zip(*(self._grid_bounds(el) for el in self.palette))
        return np.array(lo) / units, np.array(hi) / units

    def feasible(self, x: np.ndarray, *, on_grid: bool = True) -> np.ndarray:
        """``(n,)`` bool: which rows of an ``(n, E)`` fraction matrix over ``palette``
        satisfy every constraint (grid, bounds, element count, forbidden, descriptors).

        ``on_grid=False`` skips the grid check (and takes bounds as given, not rounded to
        the grid): candidates of a fixed pool are real alloys, not lattice points."""
        x = np.asarray(x, dtype=np.float64)
        units = round(1 / self.step)
        present = x > 1e-12
        count = present.sum(axis=1)
        if on_grid:
            lo, hi = self.bound_arrays()
        else:
            lo = np.array([self.bounds.get(el, (0.0, 1.0))[0] for el in self.palette])
            hi = np.array([self.bounds.get(el, (0.0, 1.0))[1] for el in self.palette])
        ok = (count >= self.min_elements) & (count <= self.max_elements)
        ok &= np.abs(x.sum(axis=1) - 1) < (1e-9 if on_grid else 1e-6)
        if on_grid:
            ok &= (np.abs(x * units - np.round(x * units)) < 1e-6).all(axis=1)
        ok &= ~(present & ((x < lo - 1e-9) | (x > hi + 1e-9))).any(axis=1)
        for el in self.required:
            ok &= present[:, self.palette.index(el)]
        for combo in self.forbidden:
            idx = [self.palette.index(el) for el in combo]
            ok &= ~present[:, idx].all(axis=1)
        if self.descriptor_limits and ok.any():
            ok &= self.descriptors_ok(x)
        return ok

    def descriptors_ok(self, x: np.ndarray) -> np.ndarray:
        """``(n,)`` bool: rows within every property limit."""
        names = list(self.descriptor_limits)
        d = property_matrix(x, self.palette, names)
        ok = np.ones(len(x), dtype=bool)
        for j, name in enumerate(names):
            lo, hi = self.descriptor_limits[name]
            if lo is not None:
                ok &= d[:, j] >= lo
            if hi is not None:
                ok &= d[:, j] <= hi
        return ok

    def to_dict(self) -> dict:
        """JSON/TOML-ready form (fractions); :meth:`from_dict` inverts it."""
        return unstructure(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> DesignSpace:
        return structure(dict(data), cls, error=DesignSpaceError,
                         what="design-space setting")


def space_for(palette: Sequence[str], **kwargs) -> DesignSpace:
    """Convenience constructor: ``space_for(["Co", "Cr", "Ni"], step=0.05)``."""
    return DesignSpace(palette=tuple(palette), **kwargs)
