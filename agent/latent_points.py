"""The dashboard's latent map: the newest round's model's 2-D latent space, with the
store's labelled alloys (coloured by the campaign's target) and that round's suggestions.

The round report keeps its latent map only as a picture (``latent_map.png``), so the
points are computed here from the round's stored checkpoint: every alloy with a training
label made of the model's elements is encoded with the model's own predicted class —
the way each suggestion's coordinates were stored when it was made (``extra["latent"]``,
:func:`alloyloop.agent.suggestion.score_candidates`), which are used as stored. A latent space
of more than two dimensions is shown on the labelled alloys' first two principal axes
(as in the report). Loaded models are kept per checkpoint (path and its ``meta.json``'s
modification time), so a dashboard reload does not read it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from alloyloop.agent.campaign_ops import spec_of
from alloyloop.agent.discovery import training_frame
from alloyloop.agent.report.projection import project
from alloyloop.db.campaigns import get_model_version, list_suggestions, rounds
from alloyloop.db.records import SuggestionRecord
from alloyloop.db.session import Session
from alloyloop.featurize.composition import parse_composition
from alloyloop.featurize.matrix import fraction_matrix
from alloyloop.models.target import label_word, target_outcomes

MAX_LABELLED = 1500
"""Labelled alloys drawn at most (a seeded sample beyond: the page stays light)."""
KINDS = ("hit", "other", "unknown")


@dataclass(frozen=True)
class LatentPoint:
    key: str
    z1: float
    z2: float
    kind: str
    """Labelled: ``hit`` / ``other`` / ``unknown`` (for the target); ``suggested``."""
    suggestion_id: int | None = None
    strategy: str | None = None


@dataclass(frozen=True)
class LatentMap:
    target: str
    round_index: int | None
    labelled: tuple[LatentPoint, ...] = ()
    suggested: tuple[LatentPoint, ...] = ()
    labelled_total: int = 0
    """Labelled alloys of the model's elements (``labelled`` is a sample when more)."""
    latent_dim: int = 0
    problem: str | None = None
    """Why there is no map (no round with a model, the checkpoint is gone …)."""

    def counts(self) -> dict[str, int]:
        return {k: sum(p.kind == k for p in self.labelled) for k in KINDS}


@lru_cache(maxsize=4)
def _load(path: str, mtime: float):  # noqa: ANN202 - a DisentangledVAE
    from alloyloop.models.dvae import DisentangledVAE

    del mtime  # part of the cache key: a rewritten checkpoint is read again
    return DisentangledVAE.load(path)


def load_checkpoint(path: str):  # noqa: ANN201 - a DisentangledVAE
    """The model of a stored checkpoint folder (cached)."""
    meta = Path(path) / "meta.json"
    return _load(path, meta.stat().st_mtime)



def _suggested_z(model, found: list[SuggestionRecord]) -> np.ndarray:
    """Stored latent coordinates, or the model's encoding where none fit."""
    dim = model.config.latent_dim
    z = np.zeros((len(found), dim))
    for i, s in enumerate(found):
        stored = s.extra.get("latent")
        if isinstance(stored, list) and len(stored) == dim:
            z[i] = stored
        else:
            z[i] = model.encode(fraction_matrix([parse_composition(s.alloy_key).fractions], model.elements))[0]
    return z


def latent_map(session: Session, campaign: str) -> LatentMap:
    """The latent map of the newest round that has a model (NotFound without the campaign;
    SpecError when its stored spec no longer reads)."""
    target = spec_of(session, campaign).goal.target
    with_model = [r for r in rounds(session, campaign) if r.model_version_id is not None]
    if not with_model:
        return LatentMap(target, None, problem="no round has trained a model yet")
    rnd = with_model[-1]
    path = get_model_version(session, rnd.model_version_id).checkpoint_path
    if not (Path(path) / "meta.json").is_file():
        return LatentMap(target, rnd.index, problem=f"the checkpoint of round {rnd.index} is missing: "
                         "restore the campaign folder where it was, or run another round")
    model = load_checkpoint(path)
    frame = training_frame(session)
    frame = frame[frame["single_phase"].notna()
                  & frame["fractions"].map(lambda f: set(f) <= set(model.elements))].sort_values("key")
    total = len(frame)
    if total > MAX_LABELLED:
        frame = frame.iloc[np.sort(np.random.default_rng(0).choice(total, MAX_LABELLED, replace=False))]
    words = [label_word(bool(sp), ph) for sp, ph in zip(frame["single_phase"], frame["phases"])]
    outcome = target_outcomes(words, target) if words else np.zeros(0)
    kinds = np.where(np.isnan(outcome), "unknown", np.where(outcome == 1.0, "hit", "other"))
    found = [s for s in list_suggestions(session, round_id=rnd.id)
             if set(parse_composition(s.alloy_key).fractions) <= set(model.elements)]
    z = (model.encode(fraction_matrix(frame["fractions"], model.elements)) if total
         else np.zeros((0, model.config.latent_dim)))
    z2, s2 = project(z, _suggested_z(model, found))
    labelled = tuple(LatentPoint(k, float(a), float(b), str(kind))
                     for k, (a, b), kind in zip(frame["key"], z2, kinds))
    suggested = tuple(LatentPoint(s.alloy_key, float(a), float(b), "suggested", s.id, s.strategy)
                      for s, (a, b) in zip(found, s2))
    return LatentMap(target, rnd.index, labelled, suggested, total, model.config.latent_dim)
