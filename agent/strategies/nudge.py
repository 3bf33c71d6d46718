"""Strategy (c): nudge multi-phase alloys towards single-phase through the latent space.

From an alloy x: ŷ = classifier(x); z = encoder(x, ŷ); x' = decoder(z, 1 − ŷ) when ŷ is
multi-phase (else decoder(z, 1)); repair x' onto the design space; re-score; repeat until
p(single) reaches the threshold or the step limit (the paper: p ≥ 0.6 within 10 steps).
The whole path is returned with the final alloy.

For a structure ``target`` (FCC / BCC / HCP, a phase4 model) the walk is the same towards
that structure: z = encoder(x, ŷ) with ŷ the classifier's class, x' = decoder(z, target)
(:func:`~alloyloop.models.target.decode_class`), scored and stopped by
p(target); the starts are labelled alloys that are not of the target (multi-phase or
another structure, ``Observations.outcomes(target)`` = 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import attrs
import numpy as np

from alloyloop.campaigns.options.strategies import NudgeOptions
from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.novelty import duplicates_of
from alloyloop.agent.strategies.common import decode_to_space, fresh_unique
from alloyloop.models.target import check_target, decode_class, target_proba
from alloyloop.agent.suggestion import (
    Observations,
    Suggestion,
    build_suggestions,
    to_model_columns,
    to_space_columns,
)
from alloyloop.featurize.composition import canonical_key, parse_composition


@dataclass(frozen=True)
class NudgeStep:
    """One point of a nudge path; ``x`` is ``(E_model,)`` fractions; ``p_single`` is
    p(target) of the walk (p(single) for the ``single`` target)."""

    key: str
    p_single: float
    repair_distance: float
    x: np.ndarray


def nudge_path(model, start: np.ndarray, space: DesignSpace, elements: tuple[str, ...],
               threshold: float = 0.6, max_steps: int = 10, radius: float = 1.0,
               n_probe: int = 16, seed: int = 0, known: np.ndarray | None = None,
               target: str = "single") -> list[NudgeStep]:
    """The nudge path from one ``(E_model,)`` composition; the first step is the start.

    Each step decodes z = encoder(x, ŷ) with y = single-phase, as in the paper, and also
    ``n_probe`` points on a sphere of ``radius`` (latent units; the prior is N(0, I))
    around it; after repair the most probably single-phase of them is taken. The probes
    keep the walk moving where the plain decode is a fixed point of encode/decode.
    Candidates within one step of a ``known`` ``(m, E_model)`` alloy are passed over, so
    the walk ends on a new alloy rather than on a well-studied one. A structure ``target``
    walks towards it instead (module docstring): decoded with y = the structure, the
    probes ranked and the walk stopped by p(target).
    """
    score = target_proba(model, target)
    y_to = decode_class(model, target)
    x = np.asarray(start, dtype=np.float64)[None, :]
    p = float(score(x)[0])
    path = [NudgeStep(_key(x[0], elements), p, 0.0, x[0])]
    rng = np.random.default_rng(seed)
    for _ in range(max_steps):
        if p >= threshold:
            break
        # ŷ: single / multi by p(single) (the paper); for a structure, the predicted class
        z = model.encode(x, int(p >= 0.5) if target == "single" else None)
        # Widen the probe sphere when every nearby decode is infeasible or already known.
        for scale in (1.0, 2.0, 4.0):
            directions = rng.standard_normal((n_probe, z.shape[1]))
            directions /= np.linalg.norm(directions, axis=1, keepdims=True)
            probes = np.vstack([z, z + scale * radius * directions])
            x_space, dist, valid = decode_to_space(model, probes, space, elements, y=y_to)
            cand = to_model_columns(x_space, space, elements)
            if known is not None and len(known):
                valid &= ~duplicates_of(cand, known, space.step)
            if valid.any():
                break
        p_cand = np.where(valid, score(cand), -1.0)
        best = int(np.argmax(p_cand))
        if p_cand[best] < 0:
            break  # nothing new decodes inside the design space from here
        x, p = cand[best:best + 1], float(p_cand[best])
        path.append(NudgeStep(_key(x[0], elements), p, float(dist[best]), x[0]))
    return path


def _key(row: np.ndarray, elements: tuple[str, ...]) -> str:
    return canonical_key({el: v for el, v in zip(elements, row) if v > 0})


@attrs.frozen
class Nudge(NudgeOptions):
    """Nudge given alloys, or else the labelled multi-phase alloys inside the palette that
    the model finds closest to single-phase (but below the threshold).

    Attributes:
        starts: compositions (any notation) to start from.
        threshold: stop when p(target) reaches it.
        max_steps: step limit per path.
        target: the campaign's target (``single``, ``FCC``, ``BCC`` or ``HCP``; a
            structure needs a phase4 model and nudges the labelled alloys not of it).
    """

    target: str = "single"

    def __attrs_post_init__(self) -> None:
        check_target(self.target)

    def start_points(self, model, obs: Observations, space: DesignSpace, n: int,
                     reserve: int | None = 3) -> np.ndarray:
        """The given starts, else the ``reserve × n`` labelled multi-phase alloys (for a
        structure target: alloys not of it) inside the palette the model finds closest to
        the target (``reserve=None``: all of them); ``(k, E_model)``."""
        if self.starts:
            rows = []
            for s in self.starts:
                comp = parse_composition(s, allowed=obs.elements)
                rows.append([comp.fractions.get(el, 0.0) for el in obs.elements])
            return np.array(rows)
        cols = [obs.elements.index(el) for el in space.palette]
        score = target_proba(model, self.target)
        away = obs.outcomes(self.target) == 0  # multi-phase, or not the target structure
        inside = np.isclose(obs.X[:, cols].sum(axis=1), 1.0) & away
        cand = obs.X[inside]
        if len(cand) == 0:
            what = "multi-phase" if self.target == "single" else \
                f"multi-phase or non-{self.target}"
            raise ValueError(f"no labelled {what} alloy lies inside the palette: give "
                             "start compositions to nudge")
        p = score(cand)
        below = np.flatnonzero(p < self.threshold)  # above it there is nothing to nudge
        order = below[np.argsort(-p[below], kind="stable")]
        return cand[order if reserve is None else order[: reserve * n]]

    def suggest(self, model, observations: Observations, space: DesignSpace, n: int,
                seed: int) -> list[Suggestion]:
        starts = self.start_points(model, observations, space, n)
        finals, dists, paths, scores = self._walk(model, observations, space, starts, seed)
        if not self.starts and len(_usable(finals, space, observations)) < n:
            # Paths from the first starts end on too few distinct new alloys (they converge
            # on the same decodes): walk from the other multi-phase alloys as well.
            more = self.start_points(model, observations, space, n, reserve=None)[len(starts):]
            for acc, extra in zip((finals, dists, paths, scores),
                                  self._walk(model, observations, space, more, seed)):
                acc.extend(extra)
        if not finals:
            return []
        x = np.array(finals)
        keep = _usable(finals, space, observations)
        order = keep[np.argsort(-np.array(scores)[keep], kind="stable")][:n]
        return build_suggestions(model, x[order], space, observations, self.name,
                                 np.array(scores)[order], repair_distance=np.array(dists)[order],
                                 paths=[paths[i] for i in order])

    def _walk(self, model, observations: Observations, space: DesignSpace, starts: np.ndarray,
              seed: int) -> tuple[list, list, list, list]:
        """(final alloys in space columns, repair distances, paths, p(target)) of the nudge
        paths from ``starts`` that moved; a path step is ``{"key", "p_single"}``, or
        ``{"key", "p_target"}`` for a structure target."""
        p_name = "p_single" if self.target == "single" else "p_target"
        finals, dists, paths, scores = [], [], [], []
        for start in starts:
            path = nudge_path(model, start, space, observations.elements, self.threshold,
                              self.max_steps, seed=seed, known=observations.known,
                              target=self.target)
            if len(path) < 2:
                continue  # already above the threshold: nothing to nudge
            finals.append(to_space_columns(path[-1].x[None, :], space, observations.elements)[0])
            dists.append(path[-1].repair_distance)
            scores.append(path[-1].p_single)
            paths.append([{"key": s.key, p_name: s.p_single} for s in path])
        return finals, dists, paths, scores


def _usable(finals: list[np.ndarray], space: DesignSpace, obs: Observations) -> np.ndarray:
    """Indices of the final alloys that are feasible, new and not repeated."""
    if not finals:
        return np.empty(0, dtype=np.int64)
    x = np.array(finals)
    feasible = np.flatnonzero(space.feasible(x))
    return feasible[fresh_unique(x[feasible], space, obs)]
