"""The validators options classes declare their bounds with (attrs validators).

Each factory returns an attrs validator ``(instance, attribute, value)`` that raises
:class:`OptionError` whose message names the value and the fix; the same validator checks
a raw TOML value (:func:`alloyloop.campaigns.options.collect.build`, which reports every
problem at once) and a constructed object (``BotorchOptions(beta=-3)`` raises). A bound is
declared once, on the class; nothing else re-checks it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

Validator = Callable[[Any, Any, Any], None]


class OptionError(ValueError):
    """An option value is out of bounds or of the wrong type; the message says the fix.

    ``key``: the option at fault when a cross-field check raises (else the caller knows)."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def named(check: Validator) -> Validator:
    """``check`` whose refusal of a constructed object names the attribute (``beta: -3 is
    too small: …``); raw values (``attr`` None) are named by the caller's dotted key."""
    def inner(inst: Any, attr: Any, v: Any) -> None:
        try:
            check(inst, attr, v)
        except OptionError as exc:
            if attr is None:
                raise
            raise OptionError(f"{attr.name}: {exc}", key=attr.name) from None
    inner.__doc__ = check.__doc__
    return inner


def _number_like(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)


def whole(low: int = 0, high: int | None = None) -> Validator:
    """A whole number in ``[low, high]``."""
    def check(_inst: Any, _attr: Any, v: Any) -> None:
        if isinstance(v, bool) or not isinstance(v, int) or v < low or (high is not None and v > high):
            upper = f" and at most {high}" if high is not None else ""
            raise OptionError(f"{v!r} is not valid: give a whole number of at least {low}{upper}")
    return named(check)


def number(low: float | None = None, high: float | None = None, *, open_low: bool = False,
           open_high: bool = False) -> Validator:
    """A finite number in the interval (``open_*``: the end itself is refused)."""
    def check(_inst: Any, _attr: Any, v: Any) -> None:
        if not _number_like(v):
            raise OptionError(f"{v!r} is not a number: give a finite number")
        if low is not None and (v < low or (open_low and v == low)):
            raise OptionError(f"{v!r} is too small: give a number "
                              f"{'above' if open_low else 'of at least'} {low}")
        if high is not None and (v > high or (open_high and v == high)):
            raise OptionError(f"{v!r} is too large: give a number "
                              f"{'below' if open_high else 'of at most'} {high}")
    return named(check)


def one_of(options: Sequence[str]) -> Validator:
    """One of the listed words."""
    def check(_inst: Any, _attr: Any, v: Any) -> None:
        if not isinstance(v, str) or v not in options:
            raise OptionError(f"{v!r} is not one of {', '.join(repr(o) for o in options)}: pick one")
    return named(check)


@named
def flag(_inst: Any, _attr: Any, v: Any) -> None:
    """True or false (not 1, not "yes")."""
    if not isinstance(v, bool):
        raise OptionError(f"{v!r} is not true or false: write true or false")


@named
def text(_inst: Any, _attr: Any, v: Any) -> None:
    """A string."""
    if not isinstance(v, str):
        raise OptionError(f"{v!r} is not text: put it in double quotes")


def optional(check: Validator) -> Validator:
    """``check``, or None (the option is unset)."""
    def inner(inst: Any, attr: Any, v: Any) -> None:
        if v is not None:
            check(inst, attr, v)
    return inner


def as_tuple(v: Any) -> Any:
    """attrs converter: a TOML list becomes a tuple (anything else is left for the
    validator to refuse, so ``"CoCrNi"`` is not read as six one-letter starts)."""
    return tuple(as_tuple(x) for x in v) if isinstance(v, list | tuple) else v


def problem_of(check: Validator, value: Any) -> str | None:
    """The message ``check`` raises for ``value``, or None when the value is fine."""
    try:
        check(None, None, value)
    except OptionError as exc:
        return str(exc)
    return None


@named
def elements(_inst: Any, _attr: Any, v: Any) -> None:
    """A non-empty list of distinct element symbols of the element property table."""
    from alloyloop.featurize.elements import element_table

    if not isinstance(v, list | tuple) or not v or not all(isinstance(e, str) for e in v):
        raise OptionError(f"{v!r} is not a list of element symbols: write e.g. [\"Co\", \"Cr\", \"Ni\"]")
    known = element_table().symbols
    unknown = [e for e in v if e not in set(known)]
    if unknown:
        raise OptionError(f"element {unknown[0]!r} has no entry in the element property table: "
                          f"use symbols among {', '.join(known)}")
    if len(set(v)) != len(v):
        raise OptionError("an element is listed twice: list each once")
