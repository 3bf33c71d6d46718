"""``[design_space]`` in the spec's units: read into a :class:`DesignSpace`, written back.

The spec gives ``step``, ``bounds`` (and the replay ``tolerance``) in ``units`` — at.% or
mole fractions; the design space holds mole fractions. Reading divides by the unit,
writing multiplies back without float noise, so ``step = 5`` stays 5.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alloyloop.campaigns.design_space import DesignSpace, DesignSpaceError
from alloyloop.campaigns.errors import SpecProblem
from alloyloop.campaigns.options.checks import elements, number, problem_of, whole
from alloyloop.campaigns.options.collect import dotted, table, unknown_keys

UNITS = {"at.%": 100.0, "fraction": 1.0}
"""Spec units of compositions and their divisor to mole fractions."""

KEYS = ("bounds", "descriptor_limits", "forbidden", "max_elements", "min_elements", "palette",
        "step", "units")


def in_units(value: float, scale: float) -> float | int:
    """A mole fraction in spec units, without float noise (0.05 → 5, not 5.000000000000001)."""
    out = round(value * scale, 9)
    return int(out) if out == int(out) else out


def _checked(sec: dict, name: str, check: Any, path: str, problems: list[SpecProblem],
             default: Any = None) -> Any:
    if name not in sec:
        return default
    wrong = problem_of(check, sec[name])
    if wrong:
        problems.append(SpecProblem(dotted(path, name), wrong))
        return default
    return sec[name]


def _limits(raw: Any, path: str, problems: list[SpecProblem]) -> dict:
    limits = {}
    for name, lim in dict(raw).items():
        key = dotted(path, f"descriptor_limits.{name}")
        sub = table(lim, key, problems)
        if sub is None:
            continue
        unknown_keys(sub, ("max", "min"), key, problems)
        lo = _checked(sub, "min", number(), key, problems)
        hi = _checked(sub, "max", number(), key, problems)
        if not sub:
            problems.append(SpecProblem(key, "give min and/or max, e.g. { max = 6.6 }"))
        limits[name] = (lo, hi)
    return limits


def _bounds(raw: Any, scale: float, path: str, problems: list[SpecProblem]) -> dict:
    bounds = {}
    for el, pair in dict(raw).items():
        if (not isinstance(pair, list) or len(pair) != 2 or
                any(isinstance(x, bool) or not isinstance(x, int | float) for x in pair)):
            problems.append(SpecProblem(dotted(path, f"bounds.{el}"),
                                        f"{pair!r} is not [min, max]: write e.g. {el} = [0, 10]"))
            continue
        bounds[el] = (pair[0] / scale, pair[1] / scale)
    return bounds


def _tables(sec: dict, scale: float, path: str, problems: list[SpecProblem]
            ) -> tuple[dict, list, dict] | None:
    """``bounds`` (as fractions), ``forbidden`` and ``descriptor_limits``; None if one is
    not of its shape."""
    before = len(problems)
    raw_bounds, raw_limits = sec.get("bounds", {}), sec.get("descriptor_limits", {})
    bounds = limits = {}
    if isinstance(raw_bounds, Mapping):
        bounds = _bounds(raw_bounds, scale, path, problems)
    else:
        problems.append(SpecProblem(dotted(path, "bounds"), "write a table of element = [min, max]"))
    forbidden = sec.get("forbidden", [])
    if not (isinstance(forbidden, list) and all(isinstance(c, list) and len(c) >= 2 and all(
            isinstance(e, str) for e in c) for c in forbidden)):
        problems.append(SpecProblem(dotted(path, "forbidden"),
                                    'write a list of element lists, e.g. [["Al", "Cu"]]'))
    if isinstance(raw_limits, Mapping):
        limits = _limits(raw_limits, path, problems)
    else:
        problems.append(SpecProblem(dotted(path, "descriptor_limits"),
                                    "write a table of descriptor = { min = …, max = … }"))
    return None if len(problems) > before else (bounds, forbidden, limits)


def read_space(data: Any, problems: list[SpecProblem], path: str = "design_space"
               ) -> tuple[DesignSpace | None, str | None]:
    """The design space and its units (None where they cannot be read; problems added)."""
    sec = table(data, path, problems) or {}
    unknown_keys(sec, KEYS, path, problems)
    units = sec.get("units")
    if units not in UNITS:
        problems.append(SpecProblem(dotted(path, "units"), (
            'is required: say how step, bounds and tolerance are given, units = "at.%" (5 = 5 '
            'at.%) or units = "fraction" (0.05)') if units is None else
            f"{units!r} is not one of {', '.join(repr(u) for u in UNITS)}: pick one"))
        units = None
    scale = UNITS.get(units or "", 1.0)
    palette = _checked(sec, "palette", elements, path, problems)
    if "palette" not in sec:
        problems.append(SpecProblem(dotted(path, "palette"), 'is required: list the elements, '
                                    'e.g. palette = ["Co", "Cr", "Fe", "Mn", "Ni"]'))
    min_el = _checked(sec, "min_elements", whole(1), path, problems, 1)
    max_el = _checked(sec, "max_elements", whole(1), path, problems)
    step = _checked(sec, "step", number(0, open_low=True), path, problems)
    if "step" not in sec:
        problems.append(SpecProblem(dotted(path, "step"), 'is required: give the composition '
                                    'grid, e.g. step = 5 with units = "at.%"'))
    if step is not None and units == "at.%" and step < 0.1:
        problems.append(SpecProblem(dotted(path, "step"), (
            f"{step} at.% is finer than 0.1 at.%: did you mean units = \"fraction\"? Otherwise "
            f"give step in at.% (e.g. {step * 100:g})")))
        step = None
    tables = _tables(sec, scale, path, problems)
    if palette is None or step is None or units is None or tables is None:
        return None, units
    bounds, forbidden, limits = tables
    try:
        return DesignSpace(palette=tuple(palette), bounds=bounds, min_elements=min_el,
                           max_elements=max_el, step=step / scale,
                           forbidden=tuple(frozenset(c) for c in forbidden),
                           descriptor_limits=limits), units
    except DesignSpaceError as exc:
        if exc.key is not None:  # a property limit: in the property's unit, not at.%
            problems.append(SpecProblem(dotted(path, exc.key), str(exc)))
            return None, units
        note = (" (fractions above are mole fractions: the spec's at.% divided by 100)"
                if units == "at.%" else "")
        problems.append(SpecProblem(path, f"{exc}{note}"))
        return None, units


def write_space(space: DesignSpace, units: str) -> dict[str, Any]:
    """``[design_space]`` of ``space`` in ``units`` (no None: an open limit side is left out)."""
    scale = UNITS[units]
    design: dict[str, Any] = {"units": units, "palette": list(space.palette),
                              "min_elements": space.min_elements,
                              "max_elements": space.max_elements,
                              "step": in_units(space.step, scale)}
    if space.bounds:
        design["bounds"] = {el: [in_units(lo, scale), in_units(hi, scale)]
                            for el, (lo, hi) in space.bounds.items()}
    if space.forbidden:
        design["forbidden"] = [sorted(c) for c in space.forbidden]
    if space.descriptor_limits:
        design["descriptor_limits"] = {
            name: {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
            for name, (lo, hi) in space.descriptor_limits.items()}
    return design
