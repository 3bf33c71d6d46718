"""The controlled vocabulary of labels: outcome, phases, source, method and processing state.

Values are validated here, at the boundary, and stored as their plain string values.
Parsing is forgiving about case and common spellings (``single-phase``, ``IM``, ``cast``)
and strict about everything else: an unknown value raises :class:`alloyloop.db.errors.InvalidValue`
naming the value and the allowed ones.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from alloyloop.db.errors import InvalidValue
from alloyloop.featurize.outcomes import OUTCOME_HINT, Outcome, outcome_word


class Phase(StrEnum):
    """Phases a label may list as detail (``B2``, ``L12``, ``Laves``, ``sigma`` are named intermetallics)."""

    FCC = "FCC"
    BCC = "BCC"
    HCP = "HCP"
    B2 = "B2"
    L12 = "L12"
    LAVES = "Laves"
    SIGMA = "sigma"
    INTERMETALLIC = "intermetallic"
    AMORPHOUS = "amorphous"
    OTHER = "other"


SOLID_SOLUTIONS = frozenset({Phase.FCC, Phase.BCC, Phase.HCP})
"""The phases a single-phase label may name."""


class Source(StrEnum):
    """Where a label comes from; also its rank in the training-label policy."""

    EXPERIMENT = "experiment"
    CALPHAD = "calphad"
    LITERATURE = "literature"


SOURCE_PRIORITY: dict[Source, int] = {Source.EXPERIMENT: 3, Source.CALPHAD: 2, Source.LITERATURE: 1}
"""Higher wins in :mod:`alloyloop.db.resolver`: experiment > calphad > literature."""


class Method(StrEnum):
    """How the phase was determined."""

    XRD = "XRD"
    SEM = "SEM"
    EBSD = "EBSD"
    TEM = "TEM"
    EDS = "EDS"
    APT = "APT"
    ND = "ND"  # neutron diffraction
    DSC = "DSC"
    CALPHAD = "CALPHAD"
    DFT = "DFT"
    UNREPORTED = "unreported"
    OTHER = "other"


EXPERIMENTAL_METHODS = frozenset(
    {Method.XRD, Method.SEM, Method.EBSD, Method.TEM, Method.EDS, Method.APT, Method.ND,
     Method.DSC, Method.OTHER}
)
METHODS_BY_SOURCE: dict[Source, frozenset[Method]] = {
    Source.EXPERIMENT: EXPERIMENTAL_METHODS,
    Source.CALPHAD: frozenset({Method.CALPHAD}),
    Source.LITERATURE: frozenset(Method),
}
DEFAULT_METHOD: dict[Source, Method | None] = {
    Source.EXPERIMENT: None,  # an experiment must say how it was measured
    Source.CALPHAD: Method.CALPHAD,
    Source.LITERATURE: Method.UNREPORTED,
}


class ProcessingKind(StrEnum):
    """The processing state of the sample a label describes."""

    AS_CAST = "as-cast"
    ANNEALED = "annealed"
    WROUGHT = "wrought"
    POWDER = "powder"
    ADDITIVE = "additive"
    THIN_FILM = "thin-film"
    OTHER = "other"


_PHASE_ALIASES = {
    "fcc": Phase.FCC, "bcc": Phase.BCC, "hcp": Phase.HCP, "b2": Phase.B2, "l12": Phase.L12,
    "l1_2": Phase.L12, "laves": Phase.LAVES, "sigma": Phase.SIGMA,
    "intermetallic": Phase.INTERMETALLIC, "im": Phase.INTERMETALLIC,
    "amorphous": Phase.AMORPHOUS, "am": Phase.AMORPHOUS, "other": Phase.OTHER,
    "sec.": Phase.OTHER, "secondary": Phase.OTHER,
}
_SOURCE_ALIASES = {
    "experiment": Source.EXPERIMENT, "experimental": Source.EXPERIMENT, "exp": Source.EXPERIMENT,
    "lab": Source.EXPERIMENT, "calphad": Source.CALPHAD, "literature": Source.LITERATURE,
    "lit": Source.LITERATURE, "paper": Source.LITERATURE,
}
_METHOD_ALIASES = {m.value.lower(): m for m in Method} | {
    "neutron": Method.ND, "neutron diffraction": Method.ND, "edx": Method.EDS,
    "unknown": Method.UNREPORTED,
}
_PROCESSING_ALIASES = {
    "as-cast": ProcessingKind.AS_CAST, "as cast": ProcessingKind.AS_CAST,
    "cast": ProcessingKind.AS_CAST, "arc-melted": ProcessingKind.AS_CAST,
    "annealed": ProcessingKind.ANNEALED, "anneal": ProcessingKind.ANNEALED,
    "homogenized": ProcessingKind.ANNEALED, "homogenised": ProcessingKind.ANNEALED,
    "heat-treated": ProcessingKind.ANNEALED, "wrought": ProcessingKind.WROUGHT,
    "rolled": ProcessingKind.WROUGHT, "forged": ProcessingKind.WROUGHT,
    "powder": ProcessingKind.POWDER, "sintered": ProcessingKind.POWDER,
    "additive": ProcessingKind.ADDITIVE, "3d-printed": ProcessingKind.ADDITIVE,
    "thin-film": ProcessingKind.THIN_FILM, "film": ProcessingKind.THIN_FILM,
    "other": ProcessingKind.OTHER,
}


def _lookup(field: str, value: object, aliases: dict[str, StrEnum], allowed: Iterable[str]):
    if isinstance(value, StrEnum) and value in aliases.values():
        return value
    text = str(value).strip().lower() if value is not None else ""
    if text in aliases:
        return aliases[text]
    raise InvalidValue(field, value, allowed=allowed)


def parse_outcome(value: object) -> Outcome:
    """``single`` / ``multi`` in any of the spellings of :mod:`alloyloop.featurize.outcomes`."""
    outcome = outcome_word(value)
    if outcome is None:
        raise InvalidValue("outcome", value, allowed=[o.value for o in Outcome],
                           fix=f"use one of: single, multi ({OUTCOME_HINT})")
    return outcome


def parse_source(value: object) -> Source:
    """``experiment`` / ``calphad`` / ``literature`` (any case)."""
    return _lookup("source", value, _SOURCE_ALIASES, [s.value for s in Source])


def parse_phases(value: str | Iterable[object] | None) -> list[Phase]:
    """Phase detail from ``"FCC,BCC"``, ``"FCC+IM"`` or a list; empty when not given.

    Duplicates are kept on purpose: ``BCC+BCC`` means two distinct BCC phases.
    """
    if value is None:
        return []
    if isinstance(value, float) and math.isnan(value):
        return []
    if isinstance(value, str):
        items: Sequence[object] = [p for p in re.split(r"[,+;/]", value) if p.strip()]
    else:
        items = list(value)
    allowed = [p.value for p in Phase]
    return [_lookup("phase", item, _PHASE_ALIASES, allowed) for item in items]


def parse_method(value: object, source: Source) -> Method:
    """The method, checked against the source; ``None`` takes the source's default.

    Raises:
        InvalidValue: unknown method, a method the source cannot use (an experiment
            cannot be ``CALPHAD``), or no method for an experiment.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        default = DEFAULT_METHOD[source]
        if default is None:
            allowed = sorted(m.value for m in METHODS_BY_SOURCE[source])
            raise InvalidValue(
                "method", value,
                fix=f"{source.value} labels must name their method, one of: {', '.join(allowed)}",
            )
        return default
    method = _lookup("method", value, _METHOD_ALIASES, [m.value for m in Method])
    if method not in METHODS_BY_SOURCE[source]:
        allowed = sorted(m.value for m in METHODS_BY_SOURCE[source])
        raise InvalidValue(
            "method", value,
            fix=f"{source.value} labels cannot use {method.value}; use one of: "
            f"{', '.join(allowed)} (or change the source)",
        )
    return method


def check_outcome_phases(outcome: Outcome, phases: Sequence[Phase]) -> None:
    """A single-phase label lists at most one phase, and it is a solid solution."""
    if outcome is Outcome.SINGLE:
        if len(phases) > 1:
            raise InvalidValue(
                "phases", "+".join(p.value for p in phases),
                fix="a single-phase label lists at most one phase: drop the extra phases "
                "or set the outcome to multi",
            )
        if phases and phases[0] not in SOLID_SOLUTIONS:
            raise InvalidValue(
                "phases", phases[0].value,
                fix="a single-phase label names one solid solution (FCC, BCC or HCP); "
                "set the outcome to multi for other phases",
            )


@dataclass(frozen=True)
class ProcessingState:
    """What was done to the sample: a kind, plus temperature and time for anneals."""

    kind: ProcessingKind
    temperature_c: float | None = None
    time_h: float | None = None

    def __str__(self) -> str:
        parts = [self.kind.value]
        if self.temperature_c is not None:
            parts.append(f"{self.temperature_c:g} °C")
        if self.time_h is not None:
            parts.append(f"{self.time_h:g} h")
        return " ".join(parts)


_TEMP = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)\s*(°\s*c|degc|c|k)(?![a-z])")
_TIME = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(h|hr|hrs|hours?|min|mins|minutes?|s|d|days?)(?![a-z])")
_TIME_TO_H = {"h": 1.0, "hr": 1.0, "hrs": 1.0, "hour": 1.0, "hours": 1.0, "min": 1 / 60,
              "mins": 1 / 60, "minute": 1 / 60, "minutes": 1 / 60, "s": 1 / 3600, "d": 24.0,
              "day": 24.0, "days": 24.0}
PROCESSING_FORMS = "'as-cast', 'annealed 1100C 24h', 'annealed@1373K/10h', 'wrought', 'powder'"


TEMPERATURE_C = (-273.15, 5000.0)
"""Anneal temperatures kept (°C; above absolute zero, at most 5000 °C: beyond any metal's
melting point is a typo, e.g. ``99999C``)."""
TIME_H = (0.0, 100_000.0)
"""Anneal times kept (hours; above zero, at most about 11 years)."""
TEMPERATURE_DECIMALS = 2
"""The store keeps anneal temperatures to 0.01 °C …"""
TIME_DECIMALS = 6
"""… and anneal times to 1e-6 h (3.6 ms): bounds are checked on these kept values, so
``1e-9`` h is refused as zero instead of being stored as 0 h."""
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$")


def parse_number(field: str, value: object, unit: str) -> float | None:
    """A finite number from a number or its text (``1100``, ``1100.5``, a decimal comma
    ``1100,5``, ``1e3``); None when blank.

    Raises:
        InvalidValue: a bool (JSON ``true`` is not 1), text that is not one plain number
            (``1.100,5``, ``1_000``, ``nan``, ``12 h``), or not finite.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidValue(field, value, fix=f"give a number in {unit}, e.g. 1100 or 1100,5")
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.match(text):
            raise InvalidValue(field, value, fix=f"give one number in {unit} (digits with a decimal point "
                               "or comma, e.g. 1100,5)")
        value = text.replace(",", ".")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise InvalidValue(field, value, fix=f"give a finite number in {unit}")
    return number


def _bounded(field: str, shown: object, number: float | None, bounds: tuple[float, float],
             decimals: int, unit: str) -> float | None:
    """``number`` rounded to what the store keeps, then checked against ``bounds`` (lower
    bound exclusive)."""
    if number is None:
        return None
    kept = round(number, decimals)
    low, high = bounds
    if not low < kept <= high:
        smallest = f" (the store keeps {10 ** -decimals:g} {unit} steps)" if kept == 0 and number != 0 else ""
        raise InvalidValue(field, shown, fix=f"give a number above {low:g} and at most {high:g} {unit}{smallest}")
    return kept + 0.0  # no negative zero


def parse_processing(value: str | ProcessingState | None, temperature_c: object = None,
                     time_h: object = None) -> ProcessingState | None:
    """Parse a processing state such as ``as-cast`` or ``annealed 1100C 24h``.

    Temperatures in °C or K (stored in °C), times in s / min / h / d (stored in hours);
    both only for annealed samples. ``None`` or empty means not reported.
    ``temperature_c`` / ``time_h``: the anneal's temperature (°C) and time (hours) given
    as separate numbers (a form's or a spreadsheet's own fields, decimal commas read),
    instead of inside the text. Every route goes through here: temperature and time are
    bounded (:data:`TEMPERATURE_C`, :data:`TIME_H`) after rounding to what is kept.
    """
    temp = parse_number("anneal_temperature_c", temperature_c, "°C")
    hours = parse_number("anneal_time_h", time_h, "hours")
    if isinstance(value, ProcessingState):
        state = value
    else:
        state = _parse_processing_text(value)
    if temp is not None or hours is not None:
        if state is None:
            raise InvalidValue("processing", None,
                               fix="temperature and time belong to annealed samples: set processing "
                               "'annealed', or clear them")
        if state.kind is not ProcessingKind.ANNEALED:
            raise InvalidValue("processing", value,
                               fix="temperature and time belong to annealed samples only: set processing "
                               "'annealed', or clear them")
        if (temp is not None and state.temperature_c is not None) or (hours is not None and state.time_h is not None):
            raise InvalidValue("processing", value,
                               fix="give the temperature and time once: in the processing text or in "
                               "their own fields")
        state = ProcessingState(state.kind, temp if temp is not None else state.temperature_c,
                                hours if hours is not None else state.time_h)
    if state is None:
        return None
    shown_t = temperature_c if temp is not None else value
    shown_h = time_h if hours is not None else value
    t_field = "anneal_temperature_c" if temp is not None else "processing"
    h_field = "anneal_time_h" if hours is not None else "processing"
    return ProcessingState(
        state.kind,
        _bounded(t_field, shown_t, state.temperature_c, TEMPERATURE_C, TEMPERATURE_DECIMALS, "°C"),
        _bounded(h_field, shown_h, state.time_h, TIME_H, TIME_DECIMALS, "hours"),
    )


def _parse_processing_text(value: str | None) -> ProcessingState | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    # the longest known word the text starts with, followed by a separator or a number
    word = next(
        (w for w in sorted(_PROCESSING_ALIASES, key=len, reverse=True)
         if text.startswith(w) and re.match(r"$|[\s@:,(/]|\d", text[len(w):])),
        "",
    )
    kind = _PROCESSING_ALIASES.get(word)
    if kind is None:
        raise InvalidValue(
            "processing", value,
            fix=f"start with one of {', '.join(k.value for k in ProcessingKind)}; "
            f"e.g. {PROCESSING_FORMS}",
        )
    rest = text[len(word):]
    temps = _TEMP.findall(rest)
    times = _TIME.findall(rest)
    leftover = _TIME.sub(" ", _TEMP.sub(" ", rest))
    if re.search(r"[a-z0-9]", re.sub(r"\b(at|for)\b", " ", leftover)) or len(temps) > 1 or len(times) > 1:
        raise InvalidValue(
            "processing", value,
            fix=f"write one temperature (C or K) and one time (s, min, h or d), e.g. {PROCESSING_FORMS}",
        )
    if (temps or times) and kind is not ProcessingKind.ANNEALED:
        raise InvalidValue(
            "processing", value,
            fix=f"temperature and time belong to annealed samples only, e.g. {PROCESSING_FORMS}",
        )
    temperature_c = None
    if temps:
        number, unit = temps[0]
        temperature_c = float(number) - 273.15 if unit == "k" else float(number)
    time_h = float(times[0][0]) * _TIME_TO_H[times[0][1]] if times else None
    return ProcessingState(kind=kind, temperature_c=temperature_c, time_h=time_h)
