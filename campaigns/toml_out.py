"""Write a spec mapping as TOML (the standard library reads TOML but does not write it).

Covers exactly what :meth:`alloyloop.campaigns.spec.CampaignSpec.to_dict` produces: strings,
booleans, integers, floats, lists of those (nested lists too) and nested tables. Top-level
tables become ``[section]`` headers, deeper tables without sub-tables inline tables
(``bounds = { Al = [0, 15] }``). ``None`` values are left out (TOML has no null).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"TOML cannot hold {v!r} here: give a finite number")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON string escapes are valid TOML
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        inner = ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items() if x is not None)
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} as TOML")


def dumps(data: Mapping[str, Any]) -> str:
    """TOML text of a nested mapping; tables become sections in insertion order."""
    lines: list[str] = []
    _table(data, [], lines)
    return "\n".join(lines).strip() + "\n"


def _leaf(v: Any) -> bool:
    return isinstance(v, Mapping) and not any(isinstance(x, Mapping) for x in v.values())


def _table(data: Mapping[str, Any], path: list[str], lines: list[str]) -> None:
    # Below the top level a table without sub-tables is written inline, in key order with
    # its siblings, so the order of keys (the strategy mix) survives the round trip.
    inline = bool(path)
    scalars = {k: v for k, v in data.items()
               if v is not None and (not isinstance(v, Mapping) or (inline and _leaf(v)))}
    tables = {k: v for k, v in data.items() if isinstance(v, Mapping) and k not in scalars}
    if path:
        lines.append("")
        lines.append("[" + ".".join(_key(p) for p in path) + "]")
    for k, v in scalars.items():
        lines.append(f"{_key(k)} = {_value(v)}")
    for k, v in tables.items():
        _table(v, [*path, k], lines)
