"""What a strategy returns, what it is given, and the protocol every strategy follows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.novelty import nearest_known
from alloyloop.featurize.composition import canonical_key
from alloyloop.models.labels import MULTI
from alloyloop.models.target import SINGLE, structure_words, target_outcomes


@dataclass(frozen=True)
class Observations:
    """What the campaign knows, as fraction matrices over ``elements`` (the model palette).

    Attributes:
        elements: column symbols (E).
        X: ``(m, E)`` labelled alloys; y: ``(m,)`` 1 = single-phase.
        keys: ``(m,)`` canonical keys of the labelled alloys.
        X_pending: ``(p, E)`` suggested but not yet labelled alloys.
        candidates: ``(c, E)`` the campaign's candidate pool (:mod:`alloyloop.agent.pool`), or None
            when strategies make compositions on the design-space lattice. Strategies
            pick only among :meth:`open_candidates`.
        phase4: ``(m,)`` structure words of the labelled alloys (FCC / BCC / HCP, multi,
            or single = single-phase of unknown structure;
            :func:`alloyloop.models.target.label_word`), or None when the campaign has
            none: a structure target's outcomes are derived from them
            (:meth:`outcomes`), never carried beside them, and ``y`` must agree with them
            (1 unless multi), checked here once.
        own: ``(m,)`` bool, True for the labelled alloys the campaign itself suggested
            (its own lab's answers, not the corpus's), or None when unknown: the
            failed-region rule (:mod:`alloyloop.agent.strategies.failed_regions`) counts
            only these, so without them it never fires.
    """

    elements: tuple[str, ...]
    X: np.ndarray
    y: np.ndarray
    keys: tuple[str, ...]
    X_pending: np.ndarray
    candidates: np.ndarray | None = None
    phase4: np.ndarray | None = None
    own: np.ndarray | None = None

    def __post_init__(self) -> None:
        e = len(self.elements)
        for name in ("X", "X_pending") + (("candidates",) if self.candidates is not None else ()):
            arr = np.asarray(getattr(self, name), dtype=np.float64).reshape(-1, e)
            object.__setattr__(self, name, arr)
        if len(self.y) != len(self.X) or len(self.keys) != len(self.X):
            raise ValueError(f"X, y and keys disagree in length: {len(self.X)}, "
                             f"{len(self.y)}, {len(self.keys)}")
        if self.phase4 is not None:
            words = structure_words(self.phase4)
            if len(words) != len(self.X):
                raise ValueError(f"phase4 has {len(words)} words for {len(self.X)} labelled "
                                 "alloys: build it from the same rows (RoundData.phase4)")
            disagree = np.flatnonzero((words != MULTI) != (np.asarray(self.y) == 1))
            if disagree.size:
                i = int(disagree[0])
                raise ValueError(f"labelled alloy {self.keys[i]}: y = {self.y[i]} but its "
                                 f"structure word is {words[i]!r}: build y and phase4 from "
                                 "the same labels (y = 1 unless the word is 'multi')")
            object.__setattr__(self, "phase4", words)
        if self.own is not None:
            own = np.asarray(self.own, dtype=bool).reshape(-1)
            if len(own) != len(self.X):
                raise ValueError(f"own has {len(own)} flags for {len(self.X)} labelled "
                                 "alloys: one per row of X")
            object.__setattr__(self, "own", own)

    def own_rows(self) -> np.ndarray:
        """Indices of the labelled alloys the campaign itself suggested (none if unknown)."""
        return np.empty(0, dtype=np.int64) if self.own is None else np.flatnonzero(self.own)

    @property
    def prior(self) -> np.ndarray:
        """``(k, E)`` labelled alloys the campaign did not suggest itself (the corpus and
        the lab's other labels; all of ``X`` when ``own`` is unknown): what the novelty
        rule measures "new" against. A campaign's own finds far from these are its new
        alloys, and their neighbours stay new (issue #32, far hits)."""
        return self.X if self.own is None else self.X[~self.own]

    @property
    def known(self) -> np.ndarray:
        """Labelled and pending alloys: nothing here may be suggested again."""
        return np.vstack([self.X, self.X_pending])

    def outcomes(self, target: str) -> np.ndarray:
        """``(m,)`` float outcomes of ``target`` per labelled alloy
        (:func:`alloyloop.models.target.target_outcomes`): ``y`` for ``single``; for a
        structure, 1.0 = the target, 0.0 = multi-phase or another structure, NaN =
        single-phase, structure unknown.

        Raises:
            ValueError: a structure target without ``phase4`` words.
        """
        if target == SINGLE:
            return np.asarray(self.y, dtype=np.float64)
        if self.phase4 is None:
            raise ValueError(f"target {target!r}: the observations carry no structure "
                             "words: build them with phase4=RoundData.phase4")
        return target_outcomes(self.phase4, target)

    @property
    def pool_mode(self) -> bool:
        return self.candidates is not None

    def open_candidates(self) -> np.ndarray:
        """``(c', E)`` pool rows that are neither labelled nor pending (exact match: pool
        alloys are real compositions, often closer than a grid step to each other)."""
        if self.candidates is None:
            raise ValueError("this campaign has no candidate pool: add a [pool] to its spec")
        taken = {_row_id(r) for r in self.known}
        keep = [i for i, r in enumerate(self.candidates) if _row_id(r) not in taken]
        return self.candidates[keep]


def _row_id(row: np.ndarray) -> bytes:
    return np.round(row, 6).tobytes()


@dataclass
class Suggestion:
    """One suggested alloy with everything needed to judge and audit it."""

    key: str
    fractions: dict[str, float]
    strategy: str
    p_single: float
    conformal_set: str
    in_domain: bool
    domain_score: float
    acquisition: float
    nearest_key: str | None
    nearest_distance: float
    latent: list[float] = field(default_factory=list)
    repair_distance: float = 0.0
    path: list[dict] = field(default_factory=list)
    """Nudge strategy only: the intermediate steps (key, p_single)."""

    def to_dict(self) -> dict:
        return asdict(self)


@runtime_checkable
class Strategy(Protocol):
    """A way of proposing the next batch."""

    name: str

    def suggest(self, model, observations: Observations, space: DesignSpace, n: int,
                seed: int) -> list[Suggestion]:
        """Up to ``n`` suggestions inside ``space``, none a duplicate of a known alloy."""
        ...


def to_model_columns(x_space: np.ndarray, space: DesignSpace, elements: tuple[str, ...]
                     ) -> np.ndarray:
    """Embed ``(n, E_space)`` fractions over the space palette into the model palette."""
    missing = [el for el in space.palette if el not in elements]
    if missing:
        raise ValueError(
            f"design-space element {missing[0]} is not in the model's palette: refit the "
            "model with it or remove it from the design space")
    out = np.zeros((len(x_space), len(elements)))
    out[:, [elements.index(el) for el in space.palette]] = x_space
    return out


def to_space_columns(x_model: np.ndarray, space: DesignSpace, elements: tuple[str, ...]
                     ) -> np.ndarray:
    """The space-palette columns of ``(n, E_model)`` fractions (others dropped)."""
    return np.asarray(x_model)[:, [elements.index(el) for el in space.palette]]


def build_suggestions(model, x_space: np.ndarray, space: DesignSpace, obs: Observations,
                      strategy: str, acquisition: np.ndarray,
                      repair_distance: np.ndarray | None = None,
                      paths: list[list[dict]] | None = None) -> list[Suggestion]:
    """Score final candidates and attach provenance: prediction, conformal set, domain,
    nearest known alloy and latent coordinates."""
    if len(x_space) == 0:
        return []
    x_model = to_model_columns(x_space, space, obs.elements)
    detail = model.predict_detail(x_model)
    latent = model.encode(x_model) if hasattr(model, "encode") else np.zeros((len(x_space), 0))
    idx, dist = nearest_known(x_model, obs.X)
    out = []
    for i, row in enumerate(x_space):
        fractions = {el: float(v) for el, v in zip(space.palette, row) if v > 0}
        out.append(Suggestion(
            key=canonical_key(fractions),
            fractions=fractions,
            strategy=strategy,
            p_single=float(detail.p_single[i]),
            conformal_set=detail.sets[i],
            in_domain=bool(detail.in_domain[i]),
            domain_score=float(detail.domain_score[i]),
            acquisition=float(acquisition[i]),
            nearest_key=obs.keys[idx[i]] if idx[i] >= 0 else None,
            nearest_distance=float(dist[i]),
            latent=[float(v) for v in latent[i]],
            repair_distance=0.0 if repair_distance is None else float(repair_distance[i]),
            path=[] if paths is None else paths[i],
        ))
    return out
