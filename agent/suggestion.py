"""What a strategy returns, what it is given, and the protocol every strategy follows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.novelty import nearest_known
from alloyloop.featurize.composition import canonical_key


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
        y_target: ``(m,)`` outcomes for a structure target (:func:`target_outcomes`): 1.0
            = the target structure, 0.0 = multi-phase or another structure, NaN =
            single-phase of unknown structure; None when the target is ``single``.
    """

    elements: tuple[str, ...]
    X: np.ndarray
    y: np.ndarray
    keys: tuple[str, ...]
    X_pending: np.ndarray
    candidates: np.ndarray | None = None
    y_target: np.ndarray | None = None

    def __post_init__(self) -> None:
        e = len(self.elements)
        for name in ("X", "X_pending") + (("candidates",) if self.candidates is not None else ()):
            arr = np.asarray(getattr(self, name), dtype=np.float64).reshape(-1, e)
            object.__setattr__(self, name, arr)
        if len(self.y) != len(self.X) or len(self.keys) != len(self.X):
            raise ValueError(f"X, y and keys disagree in length: {len(self.X)}, "
                             f"{len(self.y)}, {len(self.keys)}")
        if self.y_target is not None:
            y_target = np.asarray(self.y_target, dtype=np.float64).reshape(-1)
            if len(y_target) != len(self.X):
                raise ValueError(f"y_target has {len(y_target)} rows for {len(self.X)} labelled "
                                 "alloys: build it from the same rows (target_outcomes)")
            object.__setattr__(self, "y_target", y_target)

    @property
    def known(self) -> np.ndarray:
        """Labelled and pending alloys: nothing here may be suggested again."""
        return np.vstack([self.X, self.X_pending])

    def outcomes(self, target: str) -> np.ndarray:
        """``(m,)`` float outcomes of ``target`` per labelled alloy: ``y`` for ``single``,
        ``y_target`` for a structure (NaN = single-phase, structure unknown).

        Raises:
            ValueError: a structure target without ``y_target``.
        """
        if target == "single":
            return np.asarray(self.y, dtype=np.float64)
        if self.y_target is None:
            raise ValueError(f"target {target!r}: the observations carry no structure "
                             "outcomes: build them with y_target=target_outcomes(phase4 "
                             "words, target)")
        return self.y_target

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


def target_outcomes(words: np.ndarray | None, target: str) -> np.ndarray | None:
    """``(m,)`` outcomes of a structure target from ``(m,)`` phase4 words ("FCC", "BCC",
    "HCP", "multi" or "single", :func:`alloyloop.agent.training_data.phase4_words`): 1.0
    where the word is ``target``, NaN where it is "single" (single-phase, structure
    unknown: it may or may not be the target), else 0.0. None for the ``single`` target
    or without words (nothing beyond ``y`` to say)."""
    if target == "single" or words is None:
        return None
    w = np.asarray(words, dtype=object)
    return np.where(w == target, 1.0, np.where(w == "single", np.nan, 0.0))


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
