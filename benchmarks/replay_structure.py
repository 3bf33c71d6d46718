"""Replay on the phase4 labels (``python -m benchmarks.replay --target BCC``): a hit is a
single-phase alloy of the wanted structure, and density is a second objective.

The campaigns are those of :mod:`benchmarks.replay` (pool = one family-grouped fold, its
labels hidden and revealed by the replay oracle) with ``target = "BCC"`` (or FCC / HCP),
``[objectives] density = "minimize"`` and a phase4 DVAE (``label = "phase4"``): the
``botorch`` strategy runs qLogNEHVI over [logit p(target), −density]; greedy screening
and the random forest rank p(target) (the forest learns "is the target structure" from
the labels that name a structure).

**Hypervolume for density.** An experiment's outcome is (hit ∈ {0, 1}, density). With
the reference point (0, ρ_ref) the Pareto front of the outcomes is the lightest hit, and
the hypervolume it dominates is 1 · (ρ_ref − ρ of the lightest hit): it grows only by
finding a lighter alloy of the target structure. ρ_ref is the heaviest target-structure
alloy of the pool (any hit counts); the *HV share* divides by the best reachable, ρ_ref −
the lightest target-structure alloy of the pool, so 1 = the pool's lightest was found.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.replay_report import _final, _fmt, mean_ci

STRATEGIES = ("dvae-botorch", "dvae-greedy", "rf-ei", "random")
OBJECTIVES = {"density": "minimize"}


def section(target: str) -> str:
    """The docs/benchmarks.md section of a structure target's study."""
    return f"replay_{target.lower()}"


def stem(target: str) -> str:
    """File stem of the study's json and plot (``replay-BCC``)."""
    return f"replay-{target}"


def structure_truth(hidden: pd.DataFrame, pool_keys: set[str], target: str) -> dict[str, int]:
    """Pool key → 1 for a single-phase alloy of ``target`` (phase4 word), else 0."""
    return {k: int(bool(s) and str(p) == target)
            for k, s, p in zip(hidden["key"], hidden["single_phase"], hidden["phase4"])
            if k in pool_keys}


def structure_hit(target: str) -> Callable[[Any], bool]:
    """A stored label is a hit when it is one for ``target``
    (:func:`alloyloop.models.target.is_hit`: single-phase and naming ``target`` as its
    phase; the replay oracle writes the hidden alloy's structure there)."""
    from alloyloop.models.target import is_hit

    return lambda label: is_hit(label.outcome == "single", label.phases, target)


def target_labels(words: np.ndarray, target: str) -> tuple[np.ndarray, np.ndarray]:
    """``(keep (n,) bool, y (n,) int)``: rows whose structure is known (phase4 word not
    ``single``) and whether each is ``target``."""
    from alloyloop.models.target import target_outcomes

    outcomes = target_outcomes(np.asarray(words).astype(str), target)
    return np.isfinite(outcomes), np.nan_to_num(outcomes).astype(int)


def density_of(elements: Sequence[str]) -> Callable[[np.ndarray], np.ndarray]:
    """``(h, E)`` fractions over ``elements`` → ``(h,)`` rule-of-mixtures density, g/cm³."""
    from alloyloop.featurize.properties import get_property

    prop = get_property("density")
    return lambda x: prop.values(np.asarray(x, dtype=np.float64), elements)


def pool_density_range(truth: Mapping[str, int], elements: Sequence[str]) -> tuple[float, float]:
    """``(lightest, heaviest)`` density of the pool's target-structure alloys."""
    from alloyloop.featurize.composition import parse_composition
    from alloyloop.featurize.matrix import fraction_matrix

    keys = [k for k, v in truth.items() if v]
    if not keys:
        raise ValueError("the pool holds no alloy of the target structure: pick another fold "
                         "or target")
    rho = density_of(elements)(fraction_matrix([parse_composition(k).fractions for k in keys],
                                               elements))
    return float(rho.min()), float(rho.max())


def hypervolume_share(lightest: float | None, best: float, ref: float) -> float:
    """(ρ_ref − lightest hit) / (ρ_ref − the pool's lightest); 0 before the first hit."""
    if lightest is None or ref <= best:
        return 0.0
    return float(np.clip((ref - lightest) / (ref - best), 0.0, 1.0))


def _by_strategy(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        out.setdefault(r["strategy"], []).append(r)
    return out


def _paired(groups, a: str, b: str, key: str, rounds: int, digits: int, *,
            lower_is_better: bool = False) -> str | None:
    """``a − b`` in ``key`` after the last round over the seeds both ran, as a phrase."""
    ra = {r["seed"]: _final(r, key, rounds) for r in groups.get(a, [])}
    rb = {r["seed"]: _final(r, key, rounds) for r in groups.get(b, [])}
    seeds = sorted(k for k in set(ra) & set(rb) if ra[k] is not None and rb[k] is not None)
    if not seeds:
        return None
    diff = [ra[k] - rb[k] for k in seeds]
    per = ", ".join(f"s{k} {d:+.{digits}f}" for k, d in zip(seeds, diff))
    ahead = sum((d < 0) if lower_is_better else (d > 0) for d in diff)
    return f"{_fmt(diff, digits)} ({per}; {a} ahead on {ahead} of {len(seeds)})"


def render(results: list[dict[str, Any]], out_dir: Path, *, target: str, command: str,
           machine: str, rounds: int, batch: int) -> str:
    """Markdown of a structure target's study (and its plot in ``out_dir``)."""
    groups = _by_strategy(results)
    order = [s for s in STRATEGIES if s in groups] + sorted(set(groups) - set(STRATEGIES))
    share = [r["pool_singles"] / r["pool_size"] for r in results]
    n = rounds * batch
    lines = [
        f"## Campaign replay on the phase4 labels: single-phase {target}, density minimized",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine}",
        "",
        f"As the campaign replay above (pool = the family-grouped fold seed mod 5, full start, "
        f"{rounds} rounds x {batch} alloys, round services, SQLite store), with `target = "
        f"\"{target}\"`, `[objectives] density = \"minimize\"` and a phase4 DVAE. *Hits*: "
        f"single-phase {target} alloys among the {n} experiments (pool share of {target} "
        f"singles {_fmt(share, 3)}); *EF*: hit rate / that share. *Lightest hit*: the "
        f"lowest rule-of-mixtures density among the hits (g/cm³). *HV share*: the density "
        "hypervolume after the last round, (ρ_ref − lightest hit) / (ρ_ref − the pool's "
        f"lightest {target} alloy), ρ_ref = the pool's heaviest {target} alloy "
        "(benchmarks/replay_structure.py). BA / AUC: the strategy's surrogate of "
        f"p({target}) on the pool alloys still hidden before the last round.",
        "",
        "| strategy | seeds | hits | EF | lightest hit g/cm³ | HV share | BA | AUC | min / campaign |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in order:
        runs = groups[s]
        lines.append(
            f"| {s} | {len(runs)} | {_fmt([_final(r, 'cumulative_hits', rounds) for r in runs], 1)} "
            f"| {_fmt([_final(r, 'enhancement', rounds) for r in runs])} "
            f"| {_fmt([_final(r, 'lightest_hit', rounds) for r in runs])} "
            f"| {_fmt([r['hv_share'][min(rounds, len(r['hv_share'])) - 1] for r in runs])} "
            f"| {_fmt([_final(r, 'balanced_accuracy', rounds) for r in runs])} "
            f"| {_fmt([_final(r, 'roc_auc', rounds) for r in runs])} "
            f"| {np.mean([r['wall_seconds'] for r in runs]) / 60:.1f} |")
    lines.append("")
    for other in ("dvae-greedy", "rf-ei", "random"):
        hits = _paired(groups, "dvae-botorch", other, "cumulative_hits", rounds, 1)
        light = _paired(groups, "dvae-botorch", other, "lightest_hit", rounds, 2,
                        lower_is_better=True)
        if hits:
            lines.append(f"dvae-botorch − {other}, paired by seed: hits {hits}; lightest hit "
                         f"{light or '–'} g/cm³ (negative = lighter).")
    lines.append("")
    plot(groups, order, out_dir / f"{stem(target)}.png", rounds, target)
    lines += [f"![{target} hits and lightest hit per experiment]({stem(target)}.png)", ""]
    return "\n".join(lines)


def plot(groups, order: list[str], path: Path, rounds: int, target: str) -> None:
    """Cumulative hits and HV share against experiments, mean ± 95 % interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9.2, 3.6))
    for s in order:
        runs = groups[s]
        x = [runs[0]["rounds"][t]["cumulative_experiments"] for t in range(rounds)
             if len(runs[0]["rounds"]) > t]
        for ax, values in ((axes[0], [[r["rounds"][t]["cumulative_hits"] for r in runs]
                                      for t in range(len(x))]),
                           (axes[1], [[r["hv_share"][t] for r in runs] for t in range(len(x))])):
            m, h = np.array([mean_ci(v) for v in values]).T
            ax.plot(x, m, marker="o", ms=3, label=s,
                    ls="--" if s.startswith(("rf", "random")) else "-")
            ax.fill_between(x, m - h, m + h, alpha=0.15)
    axes[0].set(xlabel="experiments", ylabel=f"cumulative single-phase {target} hits")
    axes[1].set(xlabel="experiments", ylabel="density hypervolume share", ylim=(0, 1.05))
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
