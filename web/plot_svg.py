"""The dashboard's plots as inline SVG, drawn on the server from the numbers of
:mod:`alloyloop.agent.discovery`, :mod:`alloyloop.agent.suggestion_reliability` and
:mod:`alloyloop.agent.latent_points`.

Inline SVG rather than pictures: no outside request, crisp at any zoom, and every mark
carries the numbers it stands for as ``data-*`` attributes (the browser tests read them
back and compare with the store). Colours come from presentation attributes and
``style.css`` classes: the pages' Content-Security-Policy allows no inline style.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape
from matplotlib.ticker import MaxNLocator

from alloyloop.agent.discovery import HitCurves, hit_word, target_name
from alloyloop.agent.latent_points import LatentMap
from alloyloop.agent.suggestion_reliability import Reliability

WIDTH, HEIGHT = 400, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 22, 40
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
KIND_COLOURS = {"hit": "#1f77b4", "other": "#d62728", "unknown": "#aaaaaa"}


def colour(i: int) -> str:
    """The i-th strategy's colour (the legend and the lines use the same)."""
    return COLOURS[i % len(COLOURS)]


@dataclass(frozen=True)
class Axis:
    """A data range drawn onto a pixel range."""

    lo: float
    hi: float
    pix_lo: float
    pix_hi: float
    integer: bool = False

    def __call__(self, value: float) -> float:
        span = (self.hi - self.lo) or 1.0
        return round(self.pix_lo + (value - self.lo) / span * (self.pix_hi - self.pix_lo), 2)

    def ticks(self) -> list[float]:
        values = MaxNLocator(nbins=5, integer=self.integer).tick_values(self.lo, self.hi)
        return [float(v) for v in values if self.lo - 1e-9 <= v <= self.hi + 1e-9]


def _attrs(**values: object) -> str:
    """``name="value"`` pairs (``data_n`` → ``data-n``), escaped; None values left out."""
    return " ".join(f'{k.replace("_", "-")}="{escape(_text(v))}"' for k, v in values.items() if v is not None)


def _text(value: object) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _tick(value: float) -> str:
    return f"{value:g}"


def _frame(x: Axis, y: Axis, x_label: str, y_label: str) -> list[str]:
    """Axes, ticks, grid and axis labels."""
    out = [f'<line class="axis" x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}"/>',
           f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}"/>']
    for v in x.ticks():
        out.append(f'<line class="grid" x1="{x(v)}" y1="{TOP}" x2="{x(v)}" y2="{HEIGHT - BOTTOM}"/>'
                   f'<text class="tick" x="{x(v)}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">{_tick(v)}</text>')
    for v in y.ticks():
        out.append(f'<line class="grid" x1="{LEFT}" y1="{y(v)}" x2="{WIDTH - RIGHT}" y2="{y(v)}"/>'
                   f'<text class="tick" x="{LEFT - 5}" y="{y(v) + 4}" text-anchor="end">{_tick(v)}</text>')
    out.append(f'<text class="axis-label" x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" '
               f'text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text class="axis-label" transform="translate(13 {(TOP + HEIGHT - BOTTOM) / 2}) rotate(-90)" '
               f'text-anchor="middle">{escape(y_label)}</text>')
    return out


def _svg(plot_id: str, title: str, description: str, body: Iterable[str]) -> Markup:
    return Markup(
        f'<svg id="{plot_id}" class="plot" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{plot_id}-title {plot_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{plot_id}-title">{escape(title)}</title><desc id="{plot_id}-desc">{escape(description)}</desc>'
        + "".join(body) + "</svg>")


def hits_svg(data: HitCurves) -> Markup:
    """Cumulative hits against labelled suggestions, a line per strategy, and random's
    expectation as a dashed line."""
    n_max = max(data.max_n, 1)
    expected = data.expectation.expected(n_max) or 0.0
    top = max([c.hits for c in data.curves] + [expected, 1.0])
    x = Axis(0, n_max, LEFT, WIDTH - RIGHT, integer=True)
    y = Axis(0, top, HEIGHT - BOTTOM, TOP, integer=True)
    body = _frame(x, y, "labelled suggestions", f"{hit_word(data.target)} hits")
    if data.expectation.rate is not None:
        body.append(f'<line class="expected" x1="{x(0)}" y1="{y(0)}" x2="{x(n_max)}" y2="{y(expected)}" '
                    f'{_attrs(data_rate=data.expectation.rate, data_source=data.expectation.source)}/>')
    for i, curve in enumerate(data.curves):
        xy = [(0, 0)] + [(p.n, p.hits) for p in curve.points]
        pts = " ".join(f"{x(a)},{y(b)}" for a, b in xy)
        body.append(f'<g class="curve" {_attrs(data_strategy=curve.strategy, data_labelled=curve.labelled, data_hits=curve.hits)}>'
                    f'<polyline points="{pts}" fill="none" stroke="{colour(i)}" stroke-width="2"/>')
        for p in curve.points:
            body.append(f'<circle cx="{x(p.n)}" cy="{y(p.hits)}" r="3" fill="{colour(i)}" '
                        f'{_attrs(data_n=p.n, data_hits=p.hits, data_suggestion=p.suggestion_id)}>'
                        f'<title>{escape(curve.strategy)}: {p.hits} hits of {p.n} ({escape(p.alloy_key)}'
                        f'{" a hit" if p.hit else ""})</title></circle>')
        body.append("</g>")
    return _svg("plot-hits", f"Cumulative {hit_word(data.target)} hits per strategy",
                f"{len(data.curves)} strategies; dashed: random picks' expectation "
                f"({data.expectation.basis})", body)


def reliability_svg(data: Reliability) -> Markup:
    """Observed share of hits per bin of predicted p(target): a bar per bin, a dot at the
    bin's mean prediction, its count above, and the diagonal of perfect calibration."""
    x = Axis(0, 1, LEFT, WIDTH - RIGHT)
    y = Axis(0, 1, HEIGHT - BOTTOM, TOP)
    name = target_name(data.target)
    body = _frame(x, y, f"predicted {name} when suggested", f"observed share {hit_word(data.target)}")
    body.append(f'<line class="diagonal" x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}"/>')
    for b in data.bins:
        attrs = _attrs(data_low=b.low, data_high=b.high, data_count=b.count, data_hits=b.hits,
                       data_mean_predicted=b.mean_predicted, data_observed=b.observed)
        body.append(f'<g class="bin" {attrs}>')
        if b.count:
            observed = b.observed or 0.0
            body.append(f'<rect class="bar" x="{x(b.low) + 2}" y="{y(observed)}" width="{x(b.high) - x(b.low) - 4}" '
                        f'height="{round(y(0) - y(observed), 2)}"/>'
                        f'<circle class="mean" cx="{x(b.mean_predicted or 0.0)}" cy="{y(observed)}" r="4"/>'
                        f'<text class="count" x="{(x(b.low) + x(b.high)) / 2}" y="{y(observed) - 6}" '
                        f'text-anchor="middle">n={b.count}</text>')
        body.append("</g>")
    return _svg("plot-reliability", f"Reliability of {name}: predicted against observed",
                f"{data.count} labelled suggestions in {len(data.bins)} bins of predicted {name}", body)


def star_points(cx: float, cy: float, r: float) -> str:
    """The points of a five-pointed star of radius ``r`` around (cx, cy)."""
    pts = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.45
        angle = math.pi / 2 + k * math.pi / 5
        pts.append(f"{round(cx + radius * math.cos(angle), 2)},{round(cy - radius * math.sin(angle), 2)}")
    return " ".join(pts)


def _span(values: Sequence[float]) -> tuple[float, float]:
    lo, hi = (min(values), max(values)) if values else (-1.0, 1.0)
    pad = 0.06 * ((hi - lo) or 1.0)
    return lo - pad, hi + pad


def latent_svg(data: LatentMap) -> Markup:
    """Labelled alloys in the round model's 2-D latent space (coloured: a hit for the
    target, not one, unknown) and this round's suggestions as open stars, drawn first: a
    suggestion already labelled shows its label's colour inside its star."""
    points = data.labelled + data.suggested
    x = Axis(*_span([p.z1 for p in points]), LEFT, WIDTH - RIGHT)
    y = Axis(*_span([p.z2 for p in points]), HEIGHT - BOTTOM, TOP)
    axes = ("z₁", "z₂") if data.latent_dim <= 2 else ("first principal axis of z", "second principal axis")
    body = _frame(x, y, *axes)
    for p in data.suggested:
        body.append(f'<polygon class="suggested" points="{star_points(x(p.z1), y(p.z2), 8)}" '
                    f'{_attrs(data_suggestion=p.suggestion_id, data_key=p.key, data_strategy=p.strategy, data_z1=p.z1, data_z2=p.z2)}>'
                    f'<title>suggestion {p.suggestion_id}: {escape(p.key)} ({escape(p.strategy or "")})</title></polygon>')
    for p in data.labelled:
        body.append(f'<circle class="labelled" cx="{x(p.z1)}" cy="{y(p.z2)}" r="2.5" fill="{KIND_COLOURS[p.kind]}" '
                    f'{_attrs(data_key=p.key, data_kind=p.kind, data_z1=p.z1, data_z2=p.z2)}/>')
    return _svg("plot-latent", f"Latent map of round {data.round_index}",
                f"{len(data.labelled)} labelled alloys and {len(data.suggested)} suggestions of round "
                f"{data.round_index}", body)
