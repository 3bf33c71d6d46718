"""Raw input from forms and JSON bodies, made safe for the store's validators.

The store validates meaning (:mod:`alloyloop.db.vocab`, :mod:`alloyloop.db.labels`); this module checks what
only a web boundary sees: values of the wrong type, text with NUL bytes, lone surrogates
or control characters (PostgreSQL and UTF-8 refuse them), absurd lengths, non-finite or
out-of-range numbers. It also turns the form's processing fields (kind, temperature,
time) into the processing text the store parses. Problems are collected, so a person
sees all of them at once.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from typing import Any

from alloyloop.db.errors import InvalidValue, InvalidValues

MAX_LENGTH = {
    "composition": 200, "outcome": 40, "source": 40, "method": 40, "phases": 200, "phase": 40,
    "processing": 120, "evidence_uri": 2000, "note": 4000, "status": 40,
}
MULTILINE = frozenset({"note"})
TEMPERATURE_C = (-273.15, 5000.0)
"""Anneal temperatures accepted (°C, exclusive lower bound): beyond any metal's melting point is a typo."""
TIME_H = (0.0, 100_000.0)
"""Anneal times accepted (hours, exclusive lower bound): about 11 years at most."""
LABEL_FIELDS = ("composition", "outcome", "source", "method", "phases", "processing",
                "anneal_temperature_c", "anneal_time_h", "evidence_uri", "note")


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
    """A finite number within ``bounds`` (lower bound exclusive), from a number or text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidValue(field, value, fix=f"give a number in {unit}")
    try:
        number = float(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InvalidValue(field, value, fix=f"give a number in {unit}, e.g. 1100") from None
    low, high = bounds
    if not math.isfinite(number) or not low < number <= high:
        raise InvalidValue(field, value, fix=f"give a number above {low:g} and at most {high:g} {unit}")
    return number


def _phases(value: object) -> str | list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return clean_text("phases", value)
    if isinstance(value, list | tuple):
        if len(value) > 20:
            raise InvalidValue("phases", f"{len(value)} phases", fix="list at most 20 phases")
        items = [clean_text("phase", v) for v in value]
        return [v for v in items if v is not None]
    raise InvalidValue("phases", value, fix="give phase names, e.g. [\"FCC\", \"BCC\"] or \"FCC+BCC\"")


def _processing(kind: object, temperature: object, time: object) -> str | None:
    """The processing text (``annealed 1100C 24h``) from the form's or body's parts."""
    text = clean_text("processing", kind)
    t = parse_number("anneal_temperature_c", temperature, TEMPERATURE_C, "°C")
    h = parse_number("anneal_time_h", time, TIME_H, "hours")
    if text is None and (t is not None or h is not None):
        raise InvalidValue("processing", None,
                           fix="temperature and time belong to annealed samples: choose processing "
                           "'annealed', or clear them")
    parts = [text] if text else []
    if t is not None:
        parts.append(f"{format(t, 'f').rstrip('0').rstrip('.')}C")
    if h is not None:
        parts.append(f"{format(h, 'f').rstrip('0').rstrip('.')}h")
    return " ".join(parts) or None


def collect_label_fields(raw: Mapping[str, Any], *, with_composition: bool = True
                         ) -> tuple[dict[str, object], list[InvalidValue]]:
    """The cleaned fields that passed and one error per field that did not."""
    errors: list[InvalidValue] = []
    out: dict[str, object] = {}

    def take(name: str, fn, *args) -> None:  # noqa: ANN001
        try:
            out[name] = fn(*args)
        except InvalidValue as exc:
            errors.append(exc)

    fields = ("composition",) if with_composition else ()
    for name in (*fields, "outcome", "source", "method", "evidence_uri", "note"):
        take(name, clean_text, name, raw.get(name))
    take("phases", _phases, raw.get("phases"))
    take("processing", _processing, raw.get("processing"), raw.get("anneal_temperature_c"),
         raw.get("anneal_time_h"))
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
