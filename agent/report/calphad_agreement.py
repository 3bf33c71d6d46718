"""CALPHAD against experiment: how often the two agree on the alloys that have both labels.

The round report compares, for every alloy of the model palette that has at least one
current (not superseded) ``calphad`` label and one current ``experiment`` label, the
outcomes the two sources give. An alloy whose current labels of one source disagree among
themselves is listed as disputed and left out of the agreement rate.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from alloyloop.agent.report import html as H
from alloyloop.db.label_reads import current_labels_of_sources
from alloyloop.db.records import LabelRecord
from alloyloop.db.session import Session
from alloyloop.db.vocab import Source

MAX_ROWS = 200
_DATABASE = re.compile(r"database (\S+)")
_TEMPERATURE = re.compile(r"(?:^|[;|]\s*)(\d+(?:\.\d+)?) K:")


@dataclass(frozen=True)
class AgreementRow:
    """One alloy: what CALPHAD says, what the experiments say, and whether they agree."""

    alloy: str
    calphad: str
    calphad_detail: str
    experiment: str
    agree: bool | None
    """None when either source is disputed (its current labels disagree)."""
    calphad_outcome: str | None
    experiment_outcome: str | None


@dataclass(frozen=True)
class Agreement:
    rows: tuple[AgreementRow, ...]

    @property
    def compared(self) -> int:
        return sum(r.agree is not None for r in self.rows)

    @property
    def agreeing(self) -> int:
        return sum(r.agree is True for r in self.rows)

    def counts(self) -> Counter[tuple[str, str]]:
        """(CALPHAD outcome, experimental outcome) → alloys, over the compared alloys."""
        return Counter((r.calphad_outcome, r.experiment_outcome) for r in self.rows
                       if r.agree is not None)


def _describe(label: LabelRecord) -> str:
    phases = f" ({'+'.join(label.phases)})" if label.phases else ""
    return f"{label.outcome}{phases}"


def _calphad_detail(labels: Sequence[LabelRecord]) -> str:
    """Database and temperatures the CALPHAD labels cite (from their provenance)."""
    parts = []
    for label in labels:
        text = label.provenance or ""
        db = _DATABASE.search(text)
        temps = _TEMPERATURE.findall(text)
        bits = ([db.group(1)] if db else []) + ([", ".join(f"{t} K" for t in temps)] if temps else [])
        parts.append(" at ".join(bits) if bits else f"label #{label.id}")
    return "; ".join(dict.fromkeys(parts))


def _experiment_detail(label: LabelRecord) -> str:
    bits = [_describe(label), label.method]
    if label.processing:
        bits.append(label.processing)
    return ", ".join(bits)


def _verdict(labels: Sequence[LabelRecord]) -> str | None:
    outcomes = {lb.outcome for lb in labels}
    return outcomes.pop() if len(outcomes) == 1 else None


def calphad_vs_experiment(session: Session, elements: Sequence[str] | None = None) -> Agreement:
    """Every alloy (of ``elements``, when given) with current CALPHAD and experimental labels."""
    rows = current_labels_of_sources(session, [Source.CALPHAD.value, Source.EXPERIMENT.value])
    allowed = set(elements) if elements is not None else None
    by_alloy: dict[str, dict[str, list[LabelRecord]]] = {}
    for label, system in rows:
        key = label.alloy_key
        if allowed is not None and not set(system.split("-")) <= allowed:
            continue
        by_alloy.setdefault(key, {}).setdefault(label.source, []).append(label)
    out = []
    for key, found in by_alloy.items():
        calc, exp = found.get(Source.CALPHAD.value), found.get(Source.EXPERIMENT.value)
        if not calc or not exp:
            continue
        c, e = _verdict(calc), _verdict(exp)
        out.append(AgreementRow(
            alloy=key, calphad="; ".join(dict.fromkeys(_describe(lb) for lb in calc)),
            calphad_detail=_calphad_detail(calc),
            experiment="; ".join(dict.fromkeys(_experiment_detail(lb) for lb in exp)),
            agree=None if c is None or e is None else c == e,
            calphad_outcome=c, experiment_outcome=e))
    return Agreement(tuple(out))


def agreement_html(agreement: Agreement) -> str:
    """The report section: agreement rate, the 2×2 table, and one row per alloy."""
    if not agreement.rows:
        return ("<p class=\"muted\">No alloy of the model palette has both a CALPHAD label and "
                "an experimental label yet.</p>")
    n, k = agreement.compared, agreement.agreeing
    rate = f"{k} of {n} ({100 * k / n:.0f} %)" if n else "none (every alloy is disputed)"
    counts = agreement.counts()
    matrix = [[f"CALPHAD {c}"] + [counts.get((c, e), 0) for e in ("single", "multi")]
              for c in ("single", "multi")]
    shown = agreement.rows[:MAX_ROWS]
    rows = [[H.alloy(r.alloy), r.calphad, r.calphad_detail, r.experiment,
             "disputed" if r.agree is None else ("yes" if r.agree else "NO")] for r in shown]
    more = (f"<p class=\"muted\">{len(agreement.rows) - MAX_ROWS} more alloys not shown.</p>"
            if len(agreement.rows) > MAX_ROWS else "")
    return (f"<p>CALPHAD agrees with experiment on {rate} alloys that have both labels.</p>"
            + H.table(["", "experiment single", "experiment multi"], matrix)
            + H.table(["alloy", "CALPHAD", "database, temperature", "experiment", "agree"], rows)
            + more)
