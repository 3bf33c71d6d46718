"""The report's "Earlier rounds" section: what the campaign's previous suggestions found.

A round's report is written when its batch is suggested, before any of it is labelled,
so it shows the hits of the rounds before it: the counts of
:func:`alloyloop.agent.campaign_ops.summarize_round` at the time of writing (hits follow
each suggestion's current label, corrections included). The same rows are written to
``rounds.json`` beside the page, the report's data for scripts and tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from alloyloop.agent.report import html as H

ROUNDS_FILE = "rounds.json"
COLUMNS = (("round", "index"), ("status", "status"), ("suggested", "suggestions"),
           ("labelled", "labelled"), ("hits", "hits"), ("failed", "failed"), ("in the lab", "pending"))


def earlier_rounds_section(rows: Sequence[Mapping[str, Any]], out_dir: Path) -> tuple[str, str]:
    """Write ``rounds.json`` and return the section (heading, HTML) for ``rows``, the
    summaries of the rounds before this one (oldest first)."""
    kept = [{key: row[key] for _, key in COLUMNS} for row in rows]
    (Path(out_dir) / ROUNDS_FILE).write_text(json.dumps({"earlier_rounds": kept}, indent=2) + "\n",
                                             encoding="utf-8")
    if not kept:
        return "Earlier rounds", "<p class=\"muted\">This is the campaign's first round.</p>"
    body = H.table([name for name, _ in COLUMNS], [[row[key] for _, key in COLUMNS] for row in kept])
    return "Earlier rounds", body + ("<p class=\"muted\">hits: suggestions whose current label (the "
                                     "newest correction of the label that closed them) is a hit for the "
                                     "campaign's target (single-phase, or single-phase of the "
                                     "target structure), counted when this report was "
                                     "written.</p>")
