"""The round report page: one self-contained HTML file next to its PNGs.

Cells wrap between words only, never inside a word or a number ("sugges/ted", "2/5"); an
alloy name wraps only between its element-amount pieces (:func:`alloy`); a hash, which has
no words, is shown short with the whole of it on hover (:func:`code`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alloyloop.featurize.alloy_names import alloy_text, alloy_tokens

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top;
         overflow-wrap: normal; word-break: normal; hyphens: none; }
th { background: #f4f4f4; }
.wide { overflow-x: auto; max-width: 100%; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.el, .nowrap { white-space: nowrap; }
.why { min-width: 16em; } .why ul { margin: 0; padding-left: 1.1em; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.flag { color: #b00; font-weight: bold; } .muted { color: #777; }
"""


@dataclass(frozen=True)
class Cell:
    """A prepared cell: ``markup`` is already HTML (escaped by whoever built it)."""

    markup: str
    cls: str | None = None
    title: str | None = None


def alloy(key: str | None) -> Cell | None:
    """An alloy in its short notation (at.% or molar ratios), its canonical key on hover."""
    if not key:
        return None
    shown = alloy_text(key)
    pieces = "<wbr>".join(f'<span class="el">{html.escape(t)}</span>' for t in alloy_tokens(shown.notation))
    return Cell(pieces, "alloy", f"key {shown.key}" + (f" · {shown.percent} at.%" if shown.percent else ""))


def code(text: str | None, keep: int = 12) -> Cell | None:
    """A hash or id: its first ``keep`` characters, the whole of it on hover."""
    if not text:
        return None
    short = text if len(text) <= keep + 1 else text[:keep] + "…"
    return Cell(f'<span class="nowrap">{html.escape(short)}</span>', None, text)


def _cell(value: Any) -> str:
    if isinstance(value, Cell):
        attrs = (f' class="{value.cls}"' if value.cls else "") + (
            f' title="{html.escape(value.title)}"' if value.title else "")
        return f"<td{attrs}>{value.markup}</td>"
    if isinstance(value, bool):
        return "<td>yes</td>" if value else '<td class="flag">no</td>'
    if isinstance(value, float):
        return f'<td class="num">{value:.4g}</td>'
    if isinstance(value, int):
        return f'<td class="num">{value}</td>'
    return f"<td>{html.escape('' if value is None else str(value))}</td>"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, numeric: Sequence[int] = ()) -> str:
    """A table; columns ``numeric`` (0-based) hold figures already formatted as text and are
    right-aligned and kept on one line."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        _cell(Cell(html.escape(v), "num") if i in numeric and isinstance(v, str) else v)
        for i, v in enumerate(row)) + "</tr>" for row in rows)
    # a table still wider than the page scrolls in its own box rather than widening the page
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def key_values(items: Mapping[str, Any]) -> str:
    return table(["", ""], list(items.items())).replace("<thead><tr><th></th><th></th></tr></thead>", "")


def figure(src: str, caption: str) -> str:
    return (f'<figure><img src="{html.escape(src)}" alt="{html.escape(caption)}">'
            f"<figcaption class=\"muted\">{html.escape(caption)}</figcaption></figure>")


def page(title: str, sections: Sequence[tuple[str, str]]) -> str:
    """A whole page from (heading, inner HTML) sections."""
    body = "".join(f"<h2>{html.escape(h)}</h2>{inner}" for h, inner in sections)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n")
