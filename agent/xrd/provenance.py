"""What a label made from an XRD analysis keeps: the analysis and what the person did with it.

The label's ``provenance`` is one JSON object::

    {"kind": "xrd-analysis", "analysis": {…XrdAnalysis…},
     "review": {"decision": "accepted" | "edited" | "rejected", "proposed": {…}, "stored": {…},
                "changed": ["outcome", "phases"]}}

``accepted``: the proposal stored as it was; ``edited``: the person started from it and
changed the outcome or the phases; ``rejected``: the person said the proposal is wrong and
gave their own label (still stored, with the pattern as evidence).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from alloyloop.agent.xrd.analysis import XrdAnalysis
from alloyloop.featurize.converter import structure, unstructure

KIND = "xrd-analysis"
DECISIONS = ("accepted", "edited", "rejected")


@dataclass(frozen=True)
class Proposal:
    outcome: str | None
    phases: tuple[str, ...]


@dataclass(frozen=True)
class Review:
    """The person's decision on a proposal and the label they stored."""

    decision: str
    proposed: Proposal
    stored: Proposal
    changed: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision {self.decision!r}: use one of {', '.join(DECISIONS)}")


def review(analysis: XrdAnalysis, *, outcome: str, phases: Sequence[str], rejected: bool = False) -> Review:
    """The review of ``analysis`` when the person stores ``outcome`` / ``phases``."""
    proposed = Proposal(analysis.outcome, tuple(analysis.proposed_phases))
    stored = Proposal(outcome, tuple(phases))
    changed = tuple(name for name, a, b in (("outcome", proposed.outcome, stored.outcome),
                                            ("phases", sorted(proposed.phases), sorted(stored.phases)))
                    if a != b)
    decision = "rejected" if rejected else ("edited" if changed else "accepted")
    return Review(decision, proposed, stored, changed)


def provenance_text(analysis: XrdAnalysis, decision: Review) -> str:
    """The JSON a label's provenance keeps."""
    return json.dumps({"kind": KIND, "analysis": analysis.to_dict(), "review": unstructure(decision)},
                      ensure_ascii=False, separators=(",", ":"))


def read_provenance(text: str | None) -> tuple[XrdAnalysis, Review] | None:
    """The analysis and review a provenance holds; None for any other provenance."""
    if not text or not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        return None
    return XrdAnalysis.from_dict(data["analysis"]), structure(data["review"], Review, what="XRD review field")
