"""An alloy's disagreeing labels as a comparison: which labels say what, side by side.

The resolver's reason (:mod:`alloyloop.db.resolver`) is one sentence citing every label
against every other ("#2 single (…) vs #3 single (…) vs #15 multi (…) …"): right for the
training frame's audit column, unreadable at a dozen labels (issue 33). The label pages
and ``alloyloop label conflicts`` show instead, per alloy, one group per outcome with the
labels that say it, the deciding source's labels first, and the training label that
results. Only current labels count, as for the resolver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alloyloop.db.records import LabelRecord
from alloyloop.db.resolver import Resolution, resolve
from alloyloop.db.vocab import SOURCE_PRIORITY, Source


@dataclass(frozen=True)
class Side:
    """The current labels of an alloy that give one outcome, newest first."""

    outcome: str
    labels: list[LabelRecord]

    @property
    def sources(self) -> list[str]:
        """The sources among these labels, highest priority first."""
        return sorted({lb.source for lb in self.labels}, key=lambda s: -SOURCE_PRIORITY[Source(s)])


@dataclass(frozen=True)
class Comparison:
    """An alloy's current labels grouped by outcome, and its training label."""

    key: str
    sides: list[Side]
    resolution: Resolution
    deciding_source: str
    """The highest-priority source with a current label: only its labels decide."""

    @property
    def disagree(self) -> bool:
        return len(self.sides) > 1

    @property
    def verdict(self) -> str:
        """The training label (``single`` / ``multi``) or ``excluded``."""
        return self.resolution.outcome if self.resolution.included else "excluded"

    @property
    def why(self) -> str:
        """Why, in one short line: ``experiment labels disagree (7 single, 5 multi); …`` or
        ``decided by experiment (3 single); overrides literature (#7, #9)``."""
        deciding = [s for s in self.sides if any(lb.source == self.deciding_source for lb in s.labels)]
        counts = ", ".join(f"{sum(lb.source == self.deciding_source for lb in s.labels)} {s.outcome}"
                           for s in deciding)
        if not self.resolution.included:
            if len(deciding) > 1:
                return (f"{self.deciding_source} labels disagree ({counts}); "
                        "supersede the wrong label(s) or add a higher-priority one")
            return self.resolution.reason.removeprefix("excluded: ")
        overridden = [lb for s in self.sides if s.outcome != self.resolution.outcome for lb in s.labels]
        text = f"decided by {self.deciding_source} ({counts})"
        if overridden:
            ids = ", ".join(f"#{lb.id}" for lb in sorted(overridden, key=lambda lb: lb.id))
            text += f"; overrides {', '.join(_sources(overridden))} ({ids})"
        if len(deciding) > 1:
            text += "; the outcomes differ by processing route, not a conflict"
        return text

    @property
    def summary(self) -> str:
        """``excluded: experiment labels disagree (7 single, 5 multi); …``."""
        return f"{self.verdict}: {self.why}"


def _sources(labels: Sequence[LabelRecord]) -> list[str]:
    return sorted({lb.source for lb in labels}, key=lambda s: -SOURCE_PRIORITY[Source(s)])


def compare(labels: Sequence[LabelRecord]) -> Comparison | None:
    """The comparison of one alloy's labels (superseded ones are left out); None if none is current."""
    current = [lb for lb in labels if lb.active]
    if not current:
        return None
    top = _sources(current)[0]
    newest_first = sorted(current, key=lambda lb: (lb.created_at, lb.id), reverse=True)
    by_outcome: dict[str, list[LabelRecord]] = {}
    # the deciding source's labels first within a side, newest first within a source
    for lb in sorted(newest_first, key=lambda lb: lb.source != top):
        by_outcome.setdefault(lb.outcome, []).append(lb)
    sides = [Side(outcome, group) for outcome, group in by_outcome.items()]
    # the side the deciding source backs most comes first; ties: the side of the newest label
    rank = {lb.id: i for i, lb in enumerate(newest_first)}
    sides.sort(key=lambda s: (-sum(lb.source == top for lb in s.labels), -len(s.labels),
                              min(rank[lb.id] for lb in s.labels)))
    return Comparison(current[0].alloy_key, sides, resolve(labels), top)
