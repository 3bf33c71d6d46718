"""The one serializer of alloyloop's settings and fitted-state objects (cattrs).

Every frozen dataclass that is written to JSON or TOML — :class:`FeatureSchema`, the DVAE's
config and fitted parts, the design space, the warm-start record — goes through
:func:`unstructure` and comes back through :func:`structure`, BayBE's
``converter.structure/unstructure`` pattern. Construction validates (``__post_init__``, or
attrs validators for the spec's options classes),
so ``structure`` of bad data fails with the class's own error that names the fix; an unknown
key fails naming the key and the valid ones. The module sits in the lowest layer so that
every layer can use it; it knows no alloyloop type.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import attrs
import cattrs
import numpy as np
from cattrs.errors import ForbiddenExtraKeysError

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=False)
converter.register_unstructure_hook(np.ndarray, lambda a: np.asarray(a).tolist())
converter.register_structure_hook(np.ndarray, lambda v, _: np.asarray(v, dtype=np.float64))


def _plain(value: Any) -> Any:
    """Tuples become lists and sets sorted lists, so the same object always writes the
    same JSON (and a TOML writer sees only lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    return value


def unstructure(obj: Any) -> Any:
    """A JSON/TOML-ready form of ``obj`` (dicts, lists, numbers, strings, None)."""
    return _plain(converter.unstructure(obj))


def structure(data: Any, cls: type[T], *, error: type[ValueError] = ValueError,
              what: str | None = None) -> T:
    """The ``cls`` instance that :func:`unstructure` made ``data`` from.

    Raises:
        ValueError: (``error``, a subclass) ``data`` has a key ``cls`` does not know: the
            message names it (as ``what``, default "<cls> setting") and the valid keys. A
            bad value raises ``cls``'s own validation error.
    """
    try:
        return converter.structure(data, cls)
    except ForbiddenExtraKeysError as exc:
        fields = attrs.fields(cls) if attrs.has(cls) else dataclasses.fields(cls)  # type: ignore[arg-type]
        known = ", ".join(f.name for f in fields)
        extra = ", ".join(repr(k) for k in sorted(exc.extra_fields))
        raise error(f"unknown {what or cls.__name__ + ' setting'} {extra}: valid keys are "
                    f"{known}") from None
