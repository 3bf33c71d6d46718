"""Label a campaign's open suggestions with pycalphad, outside any flow (``alloyloop label calphad``).

The database and temperatures come from the command line, else from the campaign's spec
when its labeler is ``calphad``; a ``lab`` or ``replay`` campaign can be labelled this way
too (the labels are ``calphad`` labels, which experiments outrank in training).
No Prefect: the calculations run in worker processes with the same per-calculation time
limit, and the results are stored exactly as a round's labelling stores them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alloyloop.campaigns.tdb import TdbFile
from alloyloop.agent.labelers import LabelResult
from alloyloop.agent.labelers.calphad import DEFAULT_TIMEOUT_S, DEFAULT_WORKERS, CalphadLabeler, Evaluation
from alloyloop.campaigns.spec import CampaignSpec
from alloyloop.db.records import SuggestionRecord
from alloyloop.db.status import TO_LABEL
from alloyloop.db.session import store_session

OPEN = sorted(s.value for s in TO_LABEL)


@dataclass(frozen=True)
class Labelled:
    """One suggestion: its round, what the calculations found, and the result stored."""

    round_index: int
    suggestion: SuggestionRecord
    evaluation: Evaluation
    result: LabelResult


def labeler_for_campaign(spec: CampaignSpec, *, tdb: str | None = None,
                  temperatures: Sequence[float] = (), threshold: float | None = None,
                  timeout_s: float | None = None, workers: int | None = None) -> CalphadLabeler:
    """A calphad labeler for a campaign: the given options, else the spec's calphad options.

    Raises:
        ValueError: no database or temperature given and the spec has none (the message
            says which option to add).
        alloyloop.campaigns.tdb.TdbError: the database cannot be found.
    """
    lab = spec.labeler if spec.labeler.kind == "calphad" else None
    ref = tdb or (lab.tdb if lab else None)
    if ref is None:
        raise ValueError(f"campaign {spec.name!r} is labelled by {spec.labeler.kind!r}, which "
                         "names no database: give --tdb FILE (or --tdb pycalphad:alcocrni.tdb)")
    temps = tuple(sorted(temperatures)) or (lab.temperatures if lab else ())
    if not temps:
        raise ValueError("no temperature: give --temperature in kelvin, e.g. --temperature 1273")
    return CalphadLabeler(
        campaign=spec.name, database=TdbFile.open(ref), temperatures=temps,
        threshold=threshold if threshold is not None else (lab.threshold if lab else 0.99),
        timeout_s=timeout_s if timeout_s is not None else (lab.timeout if lab else DEFAULT_TIMEOUT_S),
        workers=workers or (lab.workers if lab and lab.workers else DEFAULT_WORKERS))


def label_open_suggestions(url: str | None, campaign: str, labeler: CalphadLabeler,
                           round_index: int | None = None, *, by: str | None = None
                           ) -> list[Labelled]:
    """Calculate every open suggestion of the campaign (of one round, if given) and store
    the labels and failures (:func:`alloyloop.agent.labelers.apply.apply_labels`, round by round)."""
    from alloyloop.agent.labelers.apply import apply_labels
    from alloyloop.db.campaigns import list_suggestions, rounds

    with store_session(url) as session:
        index_of = {r.id: r.index for r in rounds(session, campaign)}
        if round_index is not None and round_index not in index_of.values():
            known = ", ".join(str(i) for i in sorted(index_of.values())) or "none yet"
            raise ValueError(f"campaign {campaign!r} has no round {round_index} (rounds: {known})")
        found = [s for s in list_suggestions(session, campaign=campaign, statuses=OPEN)
                 if round_index is None or index_of[s.round_id] == round_index]
    pairs = labeler.evaluate_all(found)
    done = [Labelled(index_of[s.round_id], s, e, labeler.result(e, version))
            for s, (e, version) in zip(found, pairs)]
    with store_session(url) as session:
        for round_id in dict.fromkeys(s.round_id for s in found):
            apply_labels(session, round_id, [d.result for d in done if d.suggestion.round_id == round_id],
                         by=by or f"{labeler.name} labeler")
    return done
