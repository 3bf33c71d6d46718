"""How an alloy is written for people: a short notation beside the canonical key, and at.%.

One rule for the web pages, the terminal tables and the round report (which is why it lives
in the lowest layer: the report is written by the agent, below the web app).

The store keeps the canonical key (``Al0.0698Co0.2326Cr0.2326Fe0.2326Ni0.2326``), not the
text someone typed. The pages show the shortest usual notation that gives the same key:
molar ratios to the largest element (``Al0.3CoCrFeNi``) or at.% with as few decimals as
needed (``Al5Co20Cr20Fe25Ni30``, ``Al18.62Co13.11…``), and only one that parses back to
exactly the same key; and the at.% rounded to at most one decimal (``Al 7 · Co 23.3 · …``).

A name may wrap only between its element-amount pieces (:func:`alloy_tokens`): broken inside
a number, ``…Ni3`` / ``0`` reads as Ni3 to someone weighing from it (issue 28). The pages put
each piece in a ``nowrap`` span with a ``<wbr>`` between them; the terminal tables print a
name whole on one line (:class:`alloyloop.cli.commands.tables.Listing`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from alloyloop.featurize.composition import CompositionError, parse_composition


_PIECE = re.compile(r"[A-Z][a-z]?(?:\d+(?:\.\d+)?)?")


def alloy_tokens(text: str) -> tuple[str, ...]:
    """The element-amount pieces of a notation or key (``Al5Co35`` -> ``Al5``, ``Co35``),
    between which alone a name may wrap; a text that is no such sequence is one piece."""
    pieces = tuple(_PIECE.findall(text))
    return pieces if pieces and "".join(pieces) == text else (text,)


def _number(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _molar(fractions: dict[str, float]) -> str:
    top = max(fractions.values())
    return "".join(el + ("" if round(x / top, 2) == 1 else _number(x / top, 2)) for el, x in fractions.items())


def _percent(fractions: dict[str, float], digits: int) -> str:
    return "".join(el + _number(100 * x, digits) for el, x in fractions.items())


def _same_key(text: str, key: str) -> bool:
    try:
        return parse_composition(text).key == key
    except CompositionError:
        return False


@dataclass(frozen=True)
class AlloyText:
    key: str
    notation: str
    percent: str
    """at.% per element, rounded to at most one decimal: ``Al 7 · Co 23.3 · …``."""

    @property
    def percent_parts(self) -> tuple[str, ...]:
        """``Al 7``, ``Co 23.3``, …: the pieces of :attr:`percent`, each kept on one line."""
        return tuple(self.percent.split(" · ")) if self.percent else ()


@lru_cache(maxsize=4096)
def alloy_text(key: str) -> AlloyText:
    """The notation and at.% of a canonical key (the key itself if it does not parse)."""
    try:
        fractions = dict(parse_composition(key).fractions)
    except CompositionError:
        return AlloyText(key, key, "")
    # only a notation that parses back to exactly this key: near-identical alloys stay apart
    found = [t for t in (_molar(fractions), _percent(fractions, 0), _percent(fractions, 1), _percent(fractions, 2))
             if _same_key(t, key)]
    notation = min(found, key=len) if found else key
    percent = " · ".join(f"{el} {_number(100 * x, 1)}" for el, x in fractions.items())
    return AlloyText(key, notation, percent)
