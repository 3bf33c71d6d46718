"""Begin, finish and summarize a round: the resume policy.

A round is keyed by its data hash (the store snapshot's, extended by the campaign's failed
and abandoned alloys). Beginning a round resumes the running one if its data hash is
unchanged; if the data changed since it crashed, it is closed as ``failed`` and a new round
starts on the new data. Starting a round marks the suggestions of earlier rounds that
nobody took to the lab as stale.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from alloyloop.agent.campaign_ops import spec_of, summarize_round
from alloyloop.agent.paths import round_dir
from alloyloop.campaigns.spec import CampaignSpec
from alloyloop.db.campaigns import (finish_round, list_suggestions, round_place, rounds, running_round,
                                    start_round)
from alloyloop.db.lifecycle import mark_stale
from alloyloop.db.records import RoundRecord
from alloyloop.db.session import SessionFactory
from alloyloop.db.snapshot import Snapshot, take_snapshot
from alloyloop.db.status import RoundStatus, SuggestionStatus

CLOSED = (SuggestionStatus.FAILED.value, SuggestionStatus.ABANDONED.value)
"""Suggestions the lab gave up on: their alloys are never suggested again."""


@dataclass(frozen=True)
class RoundStart:
    round: RoundRecord
    spec: CampaignSpec
    snapshot: Snapshot
    closed_keys: tuple[str, ...]
    """Alloys of the campaign's failed or abandoned suggestions: never suggested again."""
    resumed: bool

    @property
    def scope(self) -> str:
        """The round's name in progress messages."""
        return f"round {self.round.index}"

    def folder(self, home: str | None) -> Path:
        """The round's folder (checkpoint, batch notes, report)."""
        assert self.round.data_hash is not None
        return round_dir(self.spec.name, self.round.index, self.round.data_hash, home)


def round_data_hash(snapshot_hash: str, closed_keys: tuple[str, ...]) -> str:
    """The round's key: the store snapshot's hash, extended by the campaign's failed and
    abandoned alloys when there are any (they change what the strategies may suggest)."""
    if not closed_keys:
        return snapshot_hash
    text = snapshot_hash + "".join(f"\nX\t{k}" for k in sorted(closed_keys))
    return hashlib.sha256(text.encode()).hexdigest()


def begin_round(sessions: SessionFactory, campaign: str) -> RoundStart:
    """Snapshot the store and start (or resume) the campaign's round."""
    with sessions() as session:
        spec = spec_of(session, campaign)
        snap = take_snapshot(session, campaign)
        closed = tuple(sorted({s.alloy_key for s in list_suggestions(
            session, campaign=campaign, statuses=list(CLOSED))}))
        data_hash = round_data_hash(snap.data_hash, closed)
        running = running_round(session, campaign)
        if running is not None and running.data_hash == data_hash:
            return RoundStart(running, spec, snap, closed, resumed=True)
        if running is not None:  # crashed on data that has changed since: start afresh
            mark_stale(session, running.id, note="round failed; its data changed before the rerun")
            finish_round(session, running.id, RoundStatus.FAILED)
        earlier = rounds(session, campaign)
        for old in earlier:  # suggestions nobody took to the lab are superseded by this round
            mark_stale(session, old.id, by="alloyloop")
        rnd = start_round(session, campaign, data_hash=data_hash,
                          seed=spec.model.seed + len(earlier))
        return RoundStart(rnd, spec, snap, closed, resumed=False)


def round_by_index(sessions: SessionFactory, campaign: str, index: int) -> RoundRecord:
    """The campaign's round ``index`` as the store has it now."""
    with sessions() as session:
        return next(r for r in rounds(session, campaign) if r.index == index)


def finish(sessions: SessionFactory, start: RoundStart) -> RoundRecord:
    """Close the round as completed (a no-op if a previous run already did)."""
    with sessions() as session:
        current = next(r for r in rounds(session, start.spec.name) if r.id == start.round.id)
        if current.status != RoundStatus.RUNNING.value:
            return current
        return finish_round(session, start.round.id)


def round_summary(sessions: SessionFactory, record: RoundRecord) -> dict[str, Any]:
    """The round at a glance (:class:`alloyloop.agent.campaign_ops.RoundSummary`) as a dict."""
    with sessions() as session:
        target = spec_of(session, round_place(session, record.id)[0]).goal.target
        return asdict(summarize_round(session, record, target=target))


def after_labelling(sessions: SessionFactory, campaign: str, index: int) -> dict[str, Any]:
    """A round's counts that labelling changes."""
    after = round_summary(sessions, round_by_index(sessions, campaign, index))
    return {k: after[k] for k in ("labelled", "failed", "hits", "pending")}
