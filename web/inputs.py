"""Raw input from forms and JSON bodies, made safe for the store's validators.

The store decides what a label may say (:func:`alloyloop.db.labels.validate_label`: the
vocabulary, temperature and time bounds, lengths, control characters, evidence schemes),
for every route alike. This module checks only what a web boundary alone sees: values of
the wrong JSON type (a ``true`` where a number or text belongs is refused, never read as
1). The form's processing
fields (kind, temperature, time) are handed to the store as they are: it reads decimal
commas (``1100,5``) as it does in compositions. Problems are collected, so a person sees
all of them at once.

:func:`clean_text` serves the app's other inputs (status notes, search fields, file names).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from alloyloop.db.errors import InvalidValue, InvalidValues
from alloyloop.db.labels import MAX_LENGTH as STORE_LENGTH
from alloyloop.db.vocab import parse_number as vocab_number

MAX_LENGTH = STORE_LENGTH | {"outcome": 40, "source": 40, "method": 40, "phases": 200, "phase": 40, "status": 40}
"""The store's limits (one definition, :data:`alloyloop.db.labels.MAX_LENGTH`) plus the short
words only a form or JSON body sends."""
MULTILINE = frozenset({"note"})
LABEL_FIELDS = ("composition", "outcome", "source", "method", "phases", "processing",
                "anneal_temperature_c", "anneal_time_h", "evidence_uri", "note", "repeat")


def clean_text(field: str, value: object, limit: int | None = None) -> str | None:
    """``value`` as stripped text, None when blank.

    Raises:
        InvalidValue: not text, unencodable (lone surrogates), control characters (tabs
            and, in multi-line fields, line breaks are fine) or longer than the limit.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValue(field, value, fix="give text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidValue(field, value.encode("utf-8", "backslashreplace").decode("ascii"),
                           fix="the text holds an unpaired UTF-16 surrogate: send valid Unicode") from None
    if "\ufffd" in value:
        raise InvalidValue(field, value[:80], fix="the text holds U+FFFD, the mark of bytes that were not "
                           "UTF-8: send the text as UTF-8")
    allowed = {"\t", "\n", "\r"} if field in MULTILINE else {"\t"}
    bad = next((ch for ch in value if unicodedata.category(ch) == "Cc" and ch not in allowed), None)
    if bad is not None:
        raise InvalidValue(field, value[:80],
                           fix=f"remove the control character U+{ord(bad):04X}"
                           + ("" if field in MULTILINE else " (line breaks belong in the note only)"))
    text = value.strip()
    limit = MAX_LENGTH.get(field, 200) if limit is None else limit
    if len(text) > limit:
        raise InvalidValue(field, text[:80] + "…", fix=f"shorten it to at most {limit} characters")
    return text or None


def parse_number(field: str, value: object, bounds: tuple[float, float], unit: str) -> float | None:
    """A finite number within ``bounds`` (lower bound exclusive), from a number or text
    (a decimal comma too, as the store reads it: :func:`alloyloop.db.vocab.parse_number`)."""
    number = vocab_number(field, value, unit)
    if number is None:
        return None
    low, high = bounds
    if not low < number <= high:
        raise InvalidValue(field, value, fix=f"give a number above {low:g} and at most {high:g} {unit}")
    return number


def _text(field: str, value: object) -> object:
    """Text as sent (the store strips, bounds and checks it); other JSON types refused."""
    if value is None or isinstance(value, str):
        return value
    raise InvalidValue(field, value, fix="give text")


def _number(field: str, value: object) -> object:
    """A JSON number or its text (decimal commas: the store reads them); a bool, list or
    object is refused: ``true`` is not 1."""
    if isinstance(value, bool) or not (value is None or isinstance(value, int | float | str)):
        raise InvalidValue(field, value, fix="give a number, e.g. 1100 or 1100,5")
    return _text(field, value) if isinstance(value, str) else value


def _phases(value: object) -> object:
    if isinstance(value, list | tuple):
        return [_text("phase", v) for v in value if v is not None]
    if value is None or isinstance(value, str):
        return _text("phases", value)
    raise InvalidValue("phases", value, fix="give phase names, e.g. [\"FCC\", \"BCC\"] or \"FCC+BCC\"")


def _repeat(value: object) -> object:
    """A JSON bool, or a checkbox's text (the store reads yes / on / true)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    return _text("repeat", value)


def collect_label_fields(raw: Mapping[str, Any], *, with_composition: bool = True
                         ) -> tuple[dict[str, object], list[InvalidValue]]:
    """The fields that passed the web boundary's checks, and one error per field that did not."""
    errors: list[InvalidValue] = []
    out: dict[str, object] = {}

    def take(name: str, fn, *args) -> None:  # noqa: ANN001
        try:
            out[name] = fn(*args)
        except InvalidValue as exc:
            errors.append(exc)

    fields = ("composition",) if with_composition else ()
    for name in (*fields, "outcome", "source", "method", "processing", "evidence_uri", "note"):
        take(name, _text, name, raw.get(name))
    for name in ("anneal_temperature_c", "anneal_time_h"):
        take(name, _number, name, raw.get(name))
    take("phases", _phases, raw.get("phases"))
    take("repeat", _repeat, raw.get("repeat"))
    return out, errors


def raise_all(errors: list[InvalidValue]) -> None:
    """Raise every problem at once (nothing if there is none)."""
    if errors:
        raise errors[0] if len(errors) == 1 else InvalidValues(errors)


def label_fields(raw: Mapping[str, Any], *, with_composition: bool = True) -> dict[str, object]:
    """Keyword arguments for :func:`alloyloop.db.labels.add_label` (or, without the composition,
    :func:`alloyloop.db.lifecycle.label_suggestion` and :func:`alloyloop.db.labels.supersede_label`) from raw
    values; absent or blank ones are None.

    Raises:
        InvalidValue / InvalidValues: every problem found.
    """
    out, errors = collect_label_fields(raw, with_composition=with_composition)
    raise_all(errors)
    return out
