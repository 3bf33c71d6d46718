"""The discovery study's docs section and plots, from its json (:mod:`benchmarks.discovery.study`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.discovery.metrics import FAR_AT_PCT, round_seconds, run_metrics
from benchmarks.discovery.oracles import ORACLES

SATURATED = 0.9
"""A best hit rate at or above this: the oracle is too easy for the budget (said in the section)."""
ORDER = ["botorch", "greedy", "mix", "rf-ei", "random", "baybe", "ax", "hea-bench"]


def _order(names: set[str]) -> list[str]:
    return [n for n in ORDER if n in names] + sorted(names - set(ORDER))


def _f(v: float | None, fmt: str = "{:.2f}") -> str:
    return "—" if v is None else fmt.format(v)


def scored(results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every run with its metrics."""
    out = []
    for r in results:
        m = run_metrics(r["suggestions"])
        wall, cpu = round_seconds(r["rounds"])
        out.append({**r, "metrics": m, "wall_per_round": wall, "cpu_per_round": cpu})
    return out


def plot(runs: Sequence[Mapping[str, Any]], oracle: str, path: Path) -> None:
    """Cumulative hits against experiments, one line per strategy (mean over seeds), the
    seeds' range as a band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    names = _order({r["strategy"] for r in runs})
    for name in names:
        curves = [r["metrics"]["cumulative_hits"] for r in runs if r["strategy"] == name]
        n = min(len(c) for c in curves)
        if n == 0:
            continue
        y = np.array([c[:n] for c in curves], dtype=float)
        x = np.arange(1, n + 1)
        (line,) = ax.plot(x, y.mean(axis=0), label=f"{name} ({len(curves)} seed"
                          f"{'s' if len(curves) > 1 else ''})")
        if len(curves) > 1:
            ax.fill_between(x, y.min(axis=0), y.max(axis=0), color=line.get_color(), alpha=0.2)
    ax.set_xlabel("experiments (suggestions labelled by the oracle)")
    ax.set_ylabel("cumulative hits (single-phase)")
    ax.set_title(f"discovery study: {oracle}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _parts(per: Mapping[str, Any] | None) -> list[str]:
    """The commands, machine and load of the runs a merge joined for one oracle
    (:mod:`benchmarks.discovery.merge`); none for an oracle the study ran itself."""
    if not per:
        return []
    lines = ["Runs of this oracle: commands " + "; ".join(f"`{c}`" for c in per["commands"])
             + "."]
    for part in per["parts"]:
        lines.append(f"- `{part['dir']}` ({', '.join(part['runs'])}): {part['machine']}; load "
                     f"average {part['load_before']} before, "
                     f"{part['load_after'] or 'not recorded (stopped)'} after (1, 5, 15 min); "
                     f"{part['updated']}.")
    return lines + [""]


def render(results: Sequence[Mapping[str, Any]], meta: Mapping[str, Any], out_dir: Path,
           skipped: Mapping[str, str]) -> str:
    """The markdown section; writes one plot per oracle into ``out_dir``."""
    runs = scored(results)
    lines = [
        "## Discovery study: generated alloys judged by CALPHAD oracles (issue #32)",
        "",
        "Commands (a later one resumes the study of the earlier): "
        + "; ".join(f"`{c}`" for c in meta.get("commands", [meta["command"]])) + "  ",
        f"Machine: {meta['machine']}; load average {meta['load_before']} before, "
        f"{meta.get('load_after', 'not recorded (the run was stopped)')} after the last command (1, 5, 15 min); updated {meta['updated']}.",
        "",
        f"Per oracle x seed x strategy: the same start labels (the labelled corpus alloys of "
        f"the model palette plus {meta['n_start']} seeded random lattice alloys of the design "
        f"space labelled by the oracle), then {meta['rounds']} rounds x {meta['batch']} free "
        "suggestions (no pool), each labelled by the oracle before the next round (pycalphad "
        "through the CALPHAD labeler and its on-disk equilibrium cache). Our strategies run "
        "as campaigns through the plain round runner (no Prefect, the SHAP report left out); "
        f"DVAE `{meta['dvae']}`, later rounds warm-started ({meta['warm_epochs']} epochs). "
        "Single-phase = one disordered solid solution >= 0.99 of the moles. *Far* = farther "
        f"than {FAR_AT_PCT:g} at.% (max-abs, the largest per-element difference) from every "
        "training alloy. Calibration: mean p(single) the suggesting model gave its "
        "suggestions beside their observed hit rate (the DVAE's p for every strategy of "
        "ours; a peer without a p: —). Seconds per round: suggest + label (wall; CPU of this "
        "process and its pycalphad workers); an equilibrium some earlier run of the study (or "
        "an earlier study) computed is read from the cache, so rounds of later seeds are "
        "cheaper where they repeat alloys.",
        "",
    ]
    if skipped:
        lines += ["Not run: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()) + ".", ""]
    for oracle in [o for o in ORACLES if any(r["oracle"] == o for r in runs)]:
        o = ORACLES[oracle]
        these = [r for r in runs if r["oracle"] == oracle]
        seeds = sorted({r["seed"] for r in these})
        base = meta["base_rate"].get(oracle)
        bounds = ", ".join(f"{el} {100 * lo:g}-{100 * hi:g}" for el, (lo, hi) in o.bounds.items())
        lines += [
            f"### {oracle}: {'-'.join(o.palette)}, {o.min_elements}-{o.max_elements} elements, "
            f"{100 * o.step:g} at.% grid, {o.temperature:g} K (`{o.tdb}`)",
            "",
            f"Bounds (at.%, when present): {bounds}. Model palette {'-'.join(o.model_palette)}. "
            f"Seeds run: {', '.join(map(str, seeds))}. Training alloys (corpus and start "
            "labels) per seed: " + ", ".join(
                f"{t['n_training']} ({t['n_single']} single)"
                for k, t in sorted(meta["training"].items())
                if k.startswith(f"{oracle}/") and "n_training" in t) + "."
            + (f" Random base rate (a seeded sample of {base['n']} lattice alloys of the space, "
               f"cached oracle): {base['hits']} single of {base['labelled']} labelled "
               f"({100 * base['hits'] / max(base['labelled'], 1):.0f} %; {base['n'] - base['labelled']} "
               "without a label, solver failures)." if base else ""),
            "",
            *_parts(meta.get("per_oracle", {}).get(oracle)),
            "| strategy | seeds | hits (mean) | hits per seed | experiments | element systems "
            "of hits (mean) | far hits (mean) | mean p | hit rate | × base rate | p − rate "
            "| wall s / round | CPU s / round |",
            "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        base_share = base["hits"] / base["labelled"] if base and base["labelled"] else None
        best = 0.0
        for name in _order({r["strategy"] for r in these}):
            rs = sorted((r for r in these if r["strategy"] == name), key=lambda r: r["seed"])
            ms = [r["metrics"] for r in rs]
            ps = [m["mean_p"] for m in ms if m["mean_p"] is not None]
            rates = [m["hit_rate"] for m in ms if m["hit_rate"] is not None]
            gaps = [m["calibration_gap"] for m in ms if m["calibration_gap"] is not None]
            walls = [r["wall_per_round"] for r in rs if r["wall_per_round"] is not None]
            cpus = [r["cpu_per_round"] for r in rs if r["cpu_per_round"] is not None]
            lines.append(
                f"| {name} | {len(rs)} | {np.mean([m['hits'] for m in ms]):.1f} "
                f"| {' / '.join(str(m['hits']) for m in ms)} "
                f"| {np.mean([m['experiments'] for m in ms]):.0f} "
                f"| {np.mean([len(m['hit_systems']) for m in ms]):.1f} "
                f"| {np.mean([m['far_hits'] for m in ms]):.1f} "
                f"| {_f(np.mean(ps) if ps else None)} | {_f(np.mean(rates) if rates else None)} "
                f"| {_f(np.mean(rates) / base_share if rates and base_share else None, '{:.1f}')} "
                f"| {_f(np.mean(gaps) if gaps else None, '{:+.2f}')} "
                f"| {_f(np.mean(walls) if walls else None, '{:.0f}')} "
                f"| {_f(np.mean(cpus) if cpus else None, '{:.0f}')} |")
            best = max(best, float(np.mean(rates)) if rates else 0.0)
        if best >= SATURATED:
            lines += ["", f"Saturated: the best strategy's hit rate is {best:.2f} (random's base "
                      f"rate {_f(base_share)}): on this oracle and budget the study leaves little "
                      "room to tell the model-guided strategies apart."]
        systems = {name: sorted({s for r in these if r["strategy"] == name
                                 for s in r["metrics"]["hit_systems"]})
                   for name in _order({r["strategy"] for r in these})}
        png = f"discovery-{oracle}.png"
        plot(these, oracle, out_dir / png)
        lines += ["", "Element systems of the hits: " + "; ".join(
            f"{k} {', '.join(v) or '–'}" for k, v in systems.items()) + ".", "",
            f"![cumulative hits, {oracle}]({png})", ""]
    return "\n".join(lines)
