"""Build a validated attrs class from one TOML table, reporting every problem at once.

The class declares its keys, defaults, required keys (no default; ``metadata["hint"]``
says what to write) and bounds (validators, :mod:`.checks`). :func:`build` checks each
given key with the field's own validator, so one pass yields every bad key of the table —
each as a :class:`~alloyloop.campaigns.errors.SpecProblem` with its dotted key — and then
lets the one converter build the object, whose cross-field checks run as it is built.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from typing import Any, TypeVar

import attrs

from alloyloop.campaigns.errors import SpecError, SpecProblem
from alloyloop.campaigns.options.checks import OptionError, problem_of
from alloyloop.featurize.converter import converter

T = TypeVar("T")


def similar(a: str, b: str) -> bool:
    """A likely typo of ``b`` (``palete``, ``Palette``, ``min-elements``)."""
    a, b = a.lower().replace("-", "_"), b.lower()
    return a == b or (len(a) > 3 and (a in b or b in a)) or \
        difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def dotted(path: str, name: str) -> str:
    return f"{path}.{name}" if path and name else (path or name)


def table(data: Any, path: str, problems: list[SpecProblem]) -> dict[str, Any] | None:
    """``data`` as a dict (missing: empty), or None with a problem when it is no table."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        problems.append(SpecProblem(path, f"must be a table (got {type(data).__name__}): write "
                                    f"[{path}] followed by key = value lines"))
        return None
    return dict(data)


def unknown_keys(data: Mapping[str, Any], valid: Collection[str], path: str,
                 problems: list[SpecProblem]) -> None:
    """A problem for each key not in ``valid`` (a typo), naming the likely one."""
    names = sorted(valid)
    for extra in sorted(set(data) - set(names)):
        close = [v for v in names if similar(extra, v)]
        hint = f"did you mean {close[0]!r}? " if close else ""
        problems.append(SpecProblem(dotted(path, extra), f"unknown setting: {hint}valid keys "
                                    f"here are {', '.join(names)}"))


def build(cls: type[T], data: Any, path: str, problems: list[SpecProblem], *,
          also: Collection[str] = (), only: Collection[str] | None = None) -> T | None:
    """``cls`` built from the table ``data`` at dotted ``path``, or None after adding every
    problem to ``problems``. ``also``: keys the caller reads itself (``kind``, ``count``);
    ``only``: the keys valid here when fewer than all fields (a pool source's own keys)."""
    data = table(data, path, problems)
    if data is None:
        return None
    fields = {a.name: a for a in attrs.fields(cls) if a.init}
    valid = set(fields if only is None else only)
    unknown_keys(data, valid | set(also), path, problems)
    before = len(problems)
    for name, field in fields.items():
        if name not in data:
            if field.default is attrs.NOTHING:
                hint = field.metadata.get("hint")
                problems.append(SpecProblem(dotted(path, name),
                                            "is required" + (f": {hint}" if hint else "")))
            continue
        wrong = problem_of(field.validator, data[name]) if field.validator else None
        if wrong:
            problems.append(SpecProblem(dotted(path, name), wrong))
    if len(problems) > before or set(data) - valid - set(also):
        return None
    return made(cls, {k: v for k, v in data.items() if k in fields}, path, problems)


def made(cls: type[T], data: dict[str, Any], path: str, problems: list[SpecProblem]) -> T | None:
    """The converter's ``cls`` from checked values; a cross-field refusal becomes a problem."""
    try:
        return converter.structure(data, cls)
    except SpecError as exc:
        problems.extend(exc.problems)
    except OptionError as exc:
        problems.append(SpecProblem(dotted(path, getattr(exc, "key", "") or ""), str(exc)))
    return None


def converted_as_given(cls: type[T]) -> type[T]:
    """Class decorator: the converter hands every field its raw value and the class checks
    and shapes it (validators, attrs converters: ``temperature = 1273`` or ``[1073,
    1273]``) — cattrs' coercion would turn ``7`` into ``"7"`` or ``2.5`` into ``2``."""
    from cattrs.gen import make_dict_structure_fn, override

    raw = {a.name: override(struct_hook=lambda v, _t: v) for a in attrs.fields(cls)}
    converter.register_structure_hook(cls, make_dict_structure_fn(
        cls, converter, _cattrs_forbid_extra_keys=True, **raw))
    return cls
