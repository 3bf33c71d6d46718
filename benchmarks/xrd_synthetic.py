"""XRD analysis on 500 seeded synthetic patterns simulated with pymatgen (issue #22).

Run from the repository root:

    OMP_NUM_THREADS=1 python -m benchmarks.xrd_synthetic [--n 500] [--seed 22] [--no-write]

Patterns (:mod:`alloyloop.agent.xrd.synthetic`: pymatgen ``XRDCalculator`` sticks rendered as
pseudo-Voigt peaks with Kα2, March–Dollase texture, a sloped background, Poisson noise):

- single phase: FCC CoCrFeMnNi (a 3.57–3.61 Å), BCC NbMoTaW (3.20–3.24 Å), HCP HoDyYGdTb
  (a 3.58–3.62 Å, c/a 1.56–1.58), B2 (Ni,Co,Fe)Al (2.86–2.90 Å);
- mixtures: FCC + BCC (Cr-Fe-Al BCC, 2.86–2.90 Å) and FCC + L1₂ ((Ni,Co)₃(Al,Ti), misfit
  +0.5 to +1.0 %), minority volume fraction 5–50 % (either phase the minority).

Each pattern draws its peak width (FWHM 0.08–0.25° at 40°), Lorentzian share, counts
(2,000–20,000 at the strongest peak), background (50–600 counts, slope −3 to +1 per degree),
texture (March–Dollase r 0.7–1.4 along ⟨001⟩, ⟨110⟩ or ⟨111⟩) and range. The analysis gets
the alloy's nominal composition (for the Vegard starts) and the pattern, nothing else.
Writes the ``xrd-synthetic`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from dataclasses import dataclass

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from alloyloop.agent.xrd.analysis import analyse  # noqa: E402
from alloyloop.agent.xrd.synthetic import (  # noqa: E402
    Conditions, PhaseSpec, b2_alni, bcc_alcrfe, bcc_senkov, fcc_cantor, hcp_rare_earth, l12_ni3al, simulate)
from benchmarks.report import machine, write_section  # noqa: E402

CLASSES = {"FCC": 90, "BCC": 80, "HCP": 60, "B2": 70, "FCC+BCC": 100, "FCC+L12": 100}
COMPOSITIONS = {
    "FCC": {"Co": .2, "Cr": .2, "Fe": .2, "Mn": .2, "Ni": .2},
    "BCC": {"Nb": .25, "Mo": .25, "Ta": .25, "W": .25},
    "HCP": {"Ho": .2, "Dy": .2, "Y": .2, "Gd": .2, "Tb": .2},
    "B2": {"Al": .5, "Ni": .25, "Co": .15, "Fe": .1},
    "FCC+BCC": {"Al": .12, "Co": .22, "Cr": .22, "Fe": .22, "Ni": .22},
    "FCC+L12": {"Al": .06, "Ti": .03, "Co": .22, "Cr": .22, "Fe": .22, "Ni": .25},
}
AXES = ((0, 0, 1), (1, 1, 0), (1, 1, 1))


@dataclass(frozen=True)
class Case:
    kind: str
    phases: tuple[PhaseSpec, ...]
    minority: int | None
    conditions: Conditions


def cases(n: int, seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    total = sum(CLASSES.values())
    kinds = [k for k, c in CLASSES.items() for _ in range(round(c * n / total))][:n]
    out = []
    for i, kind in enumerate(kinds):
        u = rng.uniform
        minority = None
        if kind == "FCC":
            phases = (fcc_cantor(u(3.57, 3.61)),)
        elif kind == "BCC":
            phases = (bcc_senkov(u(3.20, 3.24)),)
        elif kind == "HCP":
            a = u(3.58, 3.62)
            phases = (hcp_rare_earth(a, a * u(1.56, 1.58)),)
        elif kind == "B2":
            phases = (b2_alni(u(2.86, 2.90)),)
        else:
            f = u(0.05, 0.5)
            a = u(3.57, 3.61)
            second = bcc_alcrfe(u(2.86, 2.90)) if kind == "FCC+BCC" else l12_ni3al(a * (1 + u(0.005, 0.010)))
            minority = int(rng.integers(2))
            fr = (1 - f, f) if minority == 1 else (f, 1 - f)
            phases = (fcc_cantor(a, fr[0]), PhaseSpec(second.structure, second.a, second.species, fr[1], second.c))
        lo = float(rng.choice([20.0, 25.0, 30.0])) if kind != "FCC+L12" else 20.0
        conditions = Conditions(
            lo=lo, hi=float(rng.choice([90.0, 100.0, 110.0])), step=float(rng.choice([0.01, 0.02])),
            fwhm=u(0.08, 0.25), eta=u(0.2, 0.8), peak_counts=float(np.exp(u(np.log(2000), np.log(20000)))),
            background=(u(50, 600), u(-3, 1)), texture=u(0.7, 1.4), texture_axis=AXES[int(rng.integers(3))],
            seed=seed * 10_000 + i)
        out.append(Case(kind, phases, minority, conditions))
    return out


def _predicted(result) -> str:  # noqa: ANN001
    names = sorted(p.structure for p in result.phases)
    if "other" in result.proposed_phases:
        names.append("other")
    return "+".join(names) if names else "none"


def _truth(case: Case) -> str:
    return "+".join(sorted(p.structure.value for p in case.phases))


def run(n: int, seed: int) -> dict:
    rows = []
    for case in cases(n, seed):
        pattern = simulate(case.phases, case.conditions)
        start = time.process_time()
        result = analyse(pattern, COMPOSITIONS[case.kind])
        seconds = time.process_time() - start
        rows.append((case, result, seconds))
    return {"rows": rows}


def _lattice_errors(case: Case, result) -> list[float]:  # noqa: ANN001
    errs = []
    for true in case.phases:
        same = [p for p in result.phases if p.structure == true.structure.value]
        if same:
            errs.append(min(abs(p.a - true.a) for p in same))
            if true.c is not None:
                errs.append(min(abs((p.c or 0) - true.c) for p in same))
    return errs


def _minority_found(case: Case, result) -> bool:  # noqa: ANN001
    assert case.minority is not None
    target = case.phases[case.minority]
    return any(p.structure == target.structure.value and abs(p.a - target.a) < 0.02 for p in result.phases)


def report(data: dict, n: int, seed: int) -> str:
    rows = data["rows"]
    truth_kinds = list(CLASSES)
    preds = Counter((c.kind, _predicted(r)) for c, r, _ in rows)
    columns = sorted({p for _, p in preds}, key=lambda p: (p.count("+"), p))
    single_ok = sum((len(c.phases) == 1) == (len(r.phases) + ("other" in r.proposed_phases) == 1) for c, r, _ in rows)
    singles = [(c, r) for c, r, _ in rows if len(c.phases) == 1]
    structure_ok = sum(_predicted(r) == _truth(c) for c, r in singles)
    exact = sum(_predicted(r) == _truth(c) for c, r, _ in rows)
    outcome_ok = sum((r.outcome == ("single" if c.kind in ("FCC", "BCC", "HCP") else "multi")) for c, r, _ in rows)
    errs = [e for c, r, _ in rows for e in _lattice_errors(c, r)]
    within = sum(e <= 0.01 for e in errs)
    mixtures = [(c, r) for c, r, _ in rows if c.minority is not None]
    bins = [(0.05, 0.10), (0.10, 0.20), (0.20, 0.50001)]
    times = np.array([s for _, _, s in rows])
    lines = [
        "## XRD analysis (issue #22)",
        "",
        f"Command: `OMP_NUM_THREADS=1 python -m benchmarks.xrd_synthetic --n {n} --seed {seed}`  ",
        f"Machine: {machine()}",
        "",
        f"{len(rows)} seeded synthetic patterns made with pymatgen's `XRDCalculator` (Cu Kα1 + Kα2, "
        "pseudo-Voigt peaks FWHM 0.08–0.25°, 2,000–20,000 counts at the strongest peak, sloped "
        "background 50–600 counts, March–Dollase texture r 0.7–1.4, Poisson noise; "
        "see the module docstring of `benchmarks/xrd_synthetic.py`). Analysis: "
        "`alloyloop.agent.xrd.analysis.analyse` with the nominal composition.",
        "",
        "| measure | value | target |",
        "|---|---:|---:|",
        f"| one phase vs several, accuracy | {single_ok / len(rows):.3f} ({single_ok}/{len(rows)}) | ≥ 0.95 |",
        f"| structure of single-phase patterns | {structure_ok / len(singles):.3f} ({structure_ok}/{len(singles)}) | ≥ 0.97 |",
        f"| lattice parameters within 0.01 Å (a, and c of HCP, of every phase found with its true structure) | "
        f"{within / len(errs):.3f} ({within}/{len(errs)}; median error {np.median(errs):.4f} Å, "
        f"95th percentile {np.percentile(errs, 95):.4f} Å) | all |",
        f"| exact phase set, all patterns | {exact / len(rows):.3f} ({exact}/{len(rows)}) | |",
        f"| proposed store outcome (single = one FCC/BCC/HCP; B2 alone is multi) | {outcome_ok / len(rows):.3f} | |",
        f"| analysis time per pattern, one core (CPU time) | mean {times.mean():.3f} s, max {times.max():.3f} s | ≤ 1 s |",
        "",
        "Minority phase detected (a phase of its structure within 0.02 Å of its lattice parameter), by minority "
        "volume fraction:",
        "",
        "| mixture | " + " | ".join(f"{lo:.0%}–{min(hi, 0.5):.0%}" for lo, hi in bins) + " |",
        "|---|" + "---:|" * len(bins),
    ]
    smallest = {}
    for kind in ("FCC+BCC", "FCC+L12"):
        cells = []
        for lo, hi in bins:
            group = [(c, r) for c, r in mixtures if c.kind == kind and lo <= c.phases[c.minority].fraction < hi]
            found = sum(_minority_found(c, r) for c, r in group)
            cells.append(f"{found}/{len(group)}")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
        hits = [c.phases[c.minority].fraction for c, r in mixtures if c.kind == kind and _minority_found(c, r)]
        smallest[kind] = min(hits) if hits else None
    at10 = [(c, r) for c, r in mixtures if c.phases[c.minority].fraction >= 0.10]
    found10 = sum(_minority_found(c, r) for c, r in at10)
    lines += [
        "",
        f"Minority at ≥ 10 %: {found10}/{len(at10)} found ({found10 / max(1, len(at10)):.3f}). Smallest minority "
        "fraction found: " + ", ".join(f"{k} {v:.1%}" if v is not None else f"{k} none" for k, v in smallest.items()) + ".",
        "",
        "Confusion table (rows: true phases; columns: phases proposed; `other` = strong peaks no lattice explains):",
        "",
        "| true \\ proposed | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for kind in truth_kinds:
        lines.append(f"| {kind} | " + " | ".join(str(preds.get((kind, p), "")) for p in columns) + " |")
    lines += [
        "",
        "FCC + L1₂ is the weak class: when the γ′ superlattice peaks are below the noise and its fundamental "
        "peaks are not resolved from the FCC ones (misfit 0.5–1 %, broad peaks), the second phase is missed or "
        "reported as a second FCC / unexplained peaks (`FCC+FCC`, `FCC+other`); an ordered phase whose first "
        "superlattice peak is matched at the FCC's lattice parameter absorbs the FCC (`L12+other`). "
        "See docs/xrd.md, Limits.",
    ]
    return "\n".join(lines)


def seeded_main(doc: str, run_fn, report_fn, section: str, n: int, seed: int,  # noqa: ANN001
                failures_fn=None) -> None:  # noqa: ANN001
    """The command line of a seeded synthetic benchmark: ``--n``, ``--seed``, ``--no-write``, and
    ``--failures`` (with ``failures_fn``: each pattern called wrong, to look at one by one)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--n", type=int, default=n)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--failures", action="store_true", help="list the patterns called wrong and their conditions")
    args = parser.parse_args()
    rows = run_fn(args.n, args.seed)
    text = report_fn(rows, args.n, args.seed)
    print(text)
    if args.failures and failures_fn is not None:
        print(failures_fn(rows))
    if not args.no_write:
        write_section(section, text)


def main() -> None:
    seeded_main(__doc__, run, report, "xrd-synthetic", 500, 22)


if __name__ == "__main__":
    main()
