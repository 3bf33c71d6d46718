"""The round report's XRD section: the pattern plot of each XRD-backed label of the round.

An *XRD-backed* label is a current (not superseded) label whose provenance holds an XRD
analysis (``alloyloop label from-xrd`` and the web page ``/labels/xrd`` store one, with the
pattern file as ``file://`` evidence in the evidence folder). The labels *of the round* are
those entered since the previous round of the campaign started (all of them for its first
round): the new evidence this round's model learned from. Each gets the plot the proposal page
showed (:func:`alloyloop.agent.xrd.plot.pattern_png`: the pattern, its peaks indexed per phase),
remade from the stored file and the stored analysis, and a line saying what was proposed and
what the person stored. A label whose pattern file is no longer there is listed without a plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from alloyloop.agent.report import html as H
from alloyloop.agent.xrd.analysis import XrdAnalysis
from alloyloop.agent.xrd.pattern import Radiation
from alloyloop.agent.xrd.provenance import Review, read_provenance
from alloyloop.db.campaigns import rounds
from alloyloop.db.label_reads import current_labels_with_provenance
from alloyloop.db.session import Session
from alloyloop.featurize.alloy_names import alloy_text

MAX_PLOTS = 30
"""More XRD labels than this in one round: the newest are plotted, the rest counted."""


@dataclass(frozen=True)
class XrdLabel:
    label_id: int
    alloy_key: str
    outcome: str
    phases: tuple[str, ...]
    created_at: datetime
    pattern_file: Path | None
    """The stored pattern (None: the evidence is not a file that still exists)."""
    analysis: XrdAnalysis
    review: Review


def evidence_file(uri: str | None) -> Path | None:
    """The local file a ``file://`` evidence URI names, if it exists."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parsed.path))
    return path if path.is_file() else None


def round_xrd_labels(session: Session, campaign: str, round_index: int) -> list[XrdLabel]:
    """The XRD-backed labels entered since the previous round of ``campaign`` started, newest first."""
    earlier = [r for r in rounds(session, campaign) if r.index < round_index]
    since = earlier[-1].started_at if earlier else None
    out = []
    for row in current_labels_with_provenance(session, "XRD", since):
        found = read_provenance(row.provenance)
        if found is None:
            continue
        analysis, review = found
        out.append(XrdLabel(row.id, row.alloy_key, row.outcome, tuple(row.phases or ()), row.created_at,
                            evidence_file(row.evidence_uri), analysis, review))
    return out


def _pattern(label: XrdLabel):  # noqa: ANN202 - a Pattern, or None
    from alloyloop.agent.xrd.readers import read_pattern

    if label.pattern_file is None:
        return None
    a = label.analysis
    radiation = Radiation(a.wavelength, a.ka2, 0.5 if a.ka2 else 0.0, "as analysed")
    try:
        return read_pattern(label.pattern_file, radiation=radiation)
    except (OSError, ValueError):
        return None


def xrd_section(labels: Sequence[XrdLabel], out_dir: Path) -> tuple[str, str] | None:
    """The report section (heading, HTML) and its PNGs ``xrd_label_<id>.png`` in ``out_dir``;
    None when the round has no XRD-backed label."""
    if not labels:
        return None
    from alloyloop.agent.xrd.plot import pattern_png

    parts = []
    rows = []
    for label in labels[:MAX_PLOTS]:
        proposed = label.analysis.summary
        stored = f"{label.outcome}" + (f" ({'+'.join(label.phases)})" if label.phases else "")
        rows.append([label.label_id, H.alloy(label.alloy_key), stored, proposed, label.review.decision])
        pattern = _pattern(label)
        caption = (f"label #{label.label_id} {alloy_text(label.alloy_key).notation}: stored {stored}; "
                   f"proposed {proposed}; "
                   f"{label.review.decision}")
        if pattern is None:
            parts.append(f'<p class="muted">{H.html.escape(caption)} — pattern file not found, no plot.</p>')
            continue
        name = f"xrd_label_{label.label_id}.png"
        (out_dir / name).write_bytes(pattern_png(pattern, label.analysis))
        parts.append(H.figure(name, caption))
    more = len(labels) - MAX_PLOTS
    note = (f'<p class="muted">{more} more XRD-backed labels this round are not plotted.</p>' if more > 0 else "")
    count = f"{len(labels)} label was" if len(labels) == 1 else f"{len(labels)} labels were"
    body = (f"<p>{count} entered this round from an XRD pattern: the pattern, its peaks indexed per "
            "phase (unexplained peaks as crosses), what the analysis proposed and what was stored.</p>"
            + H.table(["label", "alloy", "stored", "proposed", "decision"], rows) + "".join(parts) + note)
    return "XRD patterns of this round's labels", body
