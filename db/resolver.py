"""The training label of each alloy, and why.

Policy (applied to an alloy's current labels, i.e. those not superseded):

1. **Source priority**: experiment > calphad > literature. Only the labels of the highest
   source present count; lower sources are overridden, whatever they say.
2. **Agreement within that source**: if its labels agree on the outcome, that outcome is
   the training label, and the newest of them (by time entered, then id) supplies the
   phase detail and is cited.
3. **Unresolved conflict**: if the labels of that source disagree, the alloy is excluded
   from training. A person resolves it by superseding the wrong label(s) or by adding a
   label from a higher source; the resolver then follows automatically.
4. No current label (none, or all superseded without replacement): excluded.

**Processing route** (``Label.processing``, a :class:`~alloyloop.db.vocab.ProcessingKind`
value; None = the label does not say). A label describes one materials state, so:

- *Agreeing labels of several routes*: the row's route is that of the newest agreeing
  label of the winning source that names one (the other routes gave the same outcome, so
  the row is a true example of any of them; a known route beats an unknown one because it
  tells the model more). No label names a route: None (the model's ``"unknown"``).
- *Disagreeing labels of different routes are not a conflict*: an as-cast ingot may be
  two-phase where the annealed one is a single solid solution. When every label of the
  winning source names a route and the labels of each route agree among themselves, the
  alloy is included with the outcome of the route of the newest label (its newest label
  is cited; the reason lists the outcome of every route). One row per alloy is kept
  (the training frame's contract): the older route's outcome is noted, not trained on.
- A disagreement that routes do not explain (two labels of one route, or a label without
  a route, disagree) stays an unresolved conflict (rule 3).

Every :class:`Resolution` carries a one-line ``reason`` that says which rule applied
and cites the label ids, so that a training set can be audited alloy by alloy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from alloyloop.db.alloys import parse_alloy
from alloyloop.db.models import Alloy, Label
from alloyloop.db.records import LabelRecord
from alloyloop.db.vocab import SOURCE_PRIORITY, Outcome, Source


@dataclass(frozen=True)
class Resolution:
    """The training label of one alloy, or why it has none."""

    alloy_id: int
    key: str
    outcome: str | None
    """``single`` / ``multi``; None when the alloy is excluded."""
    reason: str
    label_id: int | None = None
    """The cited label (newest agreeing label of the winning source)."""
    source: str | None = None
    phases: list[str] = field(default_factory=list)
    processing: str | None = None
    """The training row's processing route (a ``ProcessingKind`` value; None = unknown;
    see the module docstring for alloys with labels of several routes)."""

    @property
    def included(self) -> bool:
        return self.outcome is not None


def _cite(label: LabelRecord) -> str:
    parts = [label.method]
    if label.processing_state is not None:
        parts.append(str(label.processing_state))
    if label.entered_by:
        parts.append(f"by {label.entered_by}")
    parts.append(label.created_at.date().isoformat())
    return f"#{label.id} {label.outcome} ({', '.join(parts)})"


def resolve(labels: Sequence[LabelRecord]) -> Resolution:
    """Apply the policy to the labels of one alloy (superseded ones are ignored).

    Args:
        labels: every label of one alloy, in any order (at least one).
    """
    if not labels:
        raise ValueError("resolve() needs the labels of one alloy, got none")
    alloy_id, key = labels[0].alloy_id, labels[0].alloy_key
    current = [lb for lb in labels if lb.active]
    if not current:
        return Resolution(alloy_id, key, None,
                          f"excluded: no current label (all {len(labels)} superseded)")
    top = max(current, key=lambda lb: SOURCE_PRIORITY[Source(lb.source)]).source
    tier = sorted((lb for lb in current if lb.source == top), key=lambda lb: (lb.created_at, lb.id))
    outcomes = {lb.outcome for lb in tier}
    by_route = _route_groups(tier) if len(outcomes) > 1 else None
    if len(outcomes) > 1 and by_route is None:
        cited = " vs ".join(_cite(lb) for lb in tier)
        return Resolution(
            alloy_id, key, None,
            f"excluded: unresolved conflict within {top}: {cited}; supersede the wrong "
            "label or add a higher-priority one",
            source=top,
        )
    newest = tier[-1]
    if by_route is not None:
        agreeing = by_route[newest.processing]
        routes = "; ".join(f"{route}: {group[-1].outcome} ({', '.join(f'#{lb.id}' for lb in group)})"
                           for route, group in by_route.items())
        reason = (f"{top}: labels differ by processing route ({routes}), not a conflict; "
                  f"the row takes the newest label's route, {_cite(newest)}")
    else:
        agreeing = tier
        reason = (f"{top}: {len(tier)} agreeing label{'s' if len(tier) > 1 else ''}, "
                  f"newest {_cite(newest)}")
    route = next((lb.processing for lb in reversed(agreeing) if lb.processing is not None), None)
    overridden = [lb for lb in current if lb.source != top and lb.outcome != newest.outcome]
    if overridden:
        lower = ", ".join(sorted({lb.source for lb in overridden}, key=lambda s: -SOURCE_PRIORITY[Source(s)]))
        ids = ", ".join(f"#{lb.id}" for lb in sorted(overridden, key=lambda lb: lb.id))
        reason += f"; overrides disagreeing {lower} ({ids})"
    return Resolution(alloy_id, key, newest.outcome, reason, label_id=newest.id, source=top,
                      phases=list(newest.phases), processing=route)


def _route_groups(tier: Sequence[LabelRecord]) -> dict[str, list[LabelRecord]] | None:
    """Disagreeing labels of one source grouped by route (oldest first within a route), or
    None when the routes do not explain the disagreement: a label without a route, or
    labels of one route that disagree."""
    groups: dict[str, list[LabelRecord]] = {}
    for lb in tier:
        if lb.processing is None:
            return None
        groups.setdefault(lb.processing, []).append(lb)
    if any(len({lb.outcome for lb in group}) > 1 for group in groups.values()):
        return None
    return groups


def _records(session: Session, keys: Iterable[str] | None) -> list[LabelRecord]:
    stmt = (select(Label, Alloy.key).join(Alloy, Alloy.id == Label.alloy_id)
            .order_by(Label.alloy_id, Label.created_at, Label.id))
    if keys is not None:
        stmt = stmt.where(Alloy.key.in_(list(keys)))
    return [LabelRecord.from_row(row, alloy_key=k) for row, k in session.execute(stmt).tuples()]


def resolve_all(session: Session, keys: Iterable[str] | None = None) -> list[Resolution]:
    """Resolutions of every labelled alloy (or of the given canonical keys), by alloy id."""
    records = _records(session, keys)
    return [resolve(list(group)) for _, group in groupby(records, key=lambda r: r.alloy_id)]


def resolve_alloy(session: Session, composition: str | Mapping[str, float]) -> Resolution | None:
    """The resolution of one alloy (any notation); None if it has no labels at all."""
    found = resolve_all(session, [parse_alloy(composition).key])
    return found[0] if found else None


def training_frame(session: Session, *, include_excluded: bool = False) -> pd.DataFrame:
    """The training labels as a table for the model: one row per alloy.

    Columns: ``key``, ``fractions`` (dict), ``outcome``, ``single_phase`` (nullable
    bool), ``label_id``, ``source``, ``phases``, ``reason``, ``processing`` (the row's
    processing route, a ``ProcessingKind`` value or None = unknown; see the module
    docstring for alloys with labels of several routes).
    """
    resolutions = resolve_all(session)
    fractions = dict(session.execute(select(Alloy.id, Alloy.fractions)).tuples().all())
    rows = [
        {"key": r.key, "fractions": fractions[r.alloy_id], "outcome": r.outcome,
         "single_phase": None if r.outcome is None else r.outcome == Outcome.SINGLE.value,
         "label_id": r.label_id, "source": r.source, "phases": r.phases, "reason": r.reason,
         "processing": r.processing}
        for r in resolutions if include_excluded or r.included
    ]
    frame = pd.DataFrame(rows, columns=["key", "fractions", "outcome", "single_phase", "label_id",
                                        "source", "phases", "reason", "processing"])
    frame["single_phase"] = frame["single_phase"].astype("boolean")
    # object, so that an unknown route stays None (pandas would infer a string dtype: NaN)
    frame["processing"] = pd.Series([row["processing"] for row in rows], index=frame.index,
                                    dtype=object)
    return frame
