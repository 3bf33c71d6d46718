"""How a value reads in a table cell — one rule for the web pages and the terminal tables."""

from __future__ import annotations


def num(value: object, digits: int = 3) -> str:
    """A number for a table cell: ``–`` for none, yes/no for a flag, ``digits`` decimals for a float."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
