"""A phase label from an XRD pattern: the one path of ``alloyloop label from-xrd`` and of
the web page ``/labels/xrd``.

Both analyse the pattern for the alloy (its Vegard lattice parameters start the search,
:func:`analysed`), show the proposal, and turn the person's decision — the proposal
accepted, edited or rejected — into the label's fields (:func:`label_fields`): source
``experiment``, method ``XRD``, the outcome and phases stored, and the analysis with the
review as provenance (:mod:`alloyloop.agent.xrd.provenance`). Only what is each interface's
own stays with it: the prompt or the form, and how the pattern file became evidence (a copy of
a local file, an upload).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from alloyloop.agent.xrd.analysis import XrdAnalysis, analyse
from alloyloop.agent.xrd.pattern import Pattern
from alloyloop.agent.xrd.provenance import Review, provenance_text, review
from alloyloop.db.alloys import parse_alloy
from alloyloop.db.vocab import parse_outcome, parse_phases
from alloyloop.featurize.composition import ParsedComposition

SOURCE = "experiment"
METHOD = "XRD"


def analysed(pattern: Pattern, composition: str | ParsedComposition) -> tuple[ParsedComposition, XrdAnalysis]:
    """The alloy ``composition`` names and the analysis of ``pattern`` for it.

    Raises:
        InvalidValue: ``composition`` is not an alloy.
    """
    alloy = parse_alloy(composition)
    return alloy, analyse(pattern, dict(alloy.fractions), composition_key=alloy.key)


def proposal_text(analysis: XrdAnalysis) -> str:
    """The proposed label in words: ``single (FCC)``, or why there is none."""
    if analysis.outcome is None:
        return "none (no lattice explains the peaks)"
    return analysis.outcome + (f" ({'+'.join(analysis.proposed_phases)})" if analysis.proposed_phases else "")


@dataclass(frozen=True)
class DecidedLabel:
    """The label a person stores from an analysis, and their review of the proposal."""

    outcome: str
    phases: list[str]
    review: Review
    provenance: str


def decided(analysis: XrdAnalysis, *, outcome: object, phases: str | Iterable[object] | None,
            rejected: bool = False) -> DecidedLabel:
    """The person's label (outcome and phases in any spelling the store reads) and their review:
    ``accepted`` when it is the proposal, ``edited`` when it differs, ``rejected`` when they said so.

    Raises:
        InvalidValue: an outcome or phase the store does not know.
    """
    stored_outcome = parse_outcome(outcome).value
    stored_phases = [p.value for p in parse_phases(phases or None)]
    decision = review(analysis, outcome=stored_outcome, phases=stored_phases, rejected=rejected)
    return DecidedLabel(stored_outcome, stored_phases, decision, provenance_text(analysis, decision))


def label_fields(label: DecidedLabel, evidence_uri: str | None = None) -> dict[str, object]:
    """The store's fields of the label, the pattern file's URI as its evidence (add the
    composition, processing, note and who entered it)."""
    return {"outcome": label.outcome, "phases": label.phases, "source": SOURCE, "method": METHOD,
            "evidence_uri": evidence_uri, "provenance": label.provenance}
