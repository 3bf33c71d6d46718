"""CPU time of one ``botorch`` suggest step (batch 8) on a demo-size model, and its picks.

Run from the repository root:

    OMP_NUM_THREADS=1 python -m benchmarks.suggest_time --model-dir /tmp/st-model

Issue #32's target: a suggest step of batch 8 in <= 3 s CPU. The model is the bundled
``demo`` spec's DVAE (its ``[model.dvae]``) fitted on the labelled corpus alloys of its
palette, saved to ``--model-dir`` on the first run and loaded on later ones, so a change
to the strategy is timed and compared on the same fitted model. The strategy runs its
latent search (the demo's design space without the pool: the pool step scores only the
pool's alloys) for each ``--acquisition``, ``--repeats`` times, CPU seconds by
``time.process_time`` (the machine's cores are shared: wall time measures the others'
load). ``--save-picks`` writes the picks (alloy keys, acquisition values) to a JSON file;
``--compare`` reads such a file and prints the overlap with this run's picks;
``--profile`` prints the cProfile of one step.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from alloyloop.agent.strategies.ensemble_bo import EnsembleBO  # noqa: E402
from alloyloop.agent.suggestion import Observations  # noqa: E402
from alloyloop.campaigns.bundled import load_example  # noqa: E402
from alloyloop.featurize.corpus import load_labelled  # noqa: E402
from alloyloop.featurize.matrix import fraction_matrix  # noqa: E402


def demo_observations() -> Observations:
    """The labelled corpus alloys made of the demo spec's model palette."""
    palette = load_example("demo").model.palette
    lab = load_labelled()
    lab = lab[lab["single_phase"].notna() & lab["fractions"].map(lambda f: set(f) <= set(palette))]
    return Observations(elements=palette, X=fraction_matrix(lab["fractions"], palette),
                        y=lab["single_phase"].astype(int).to_numpy(), keys=tuple(lab["key"]),
                        X_pending=np.empty((0, len(palette))))


def demo_model(folder: Path, obs: Observations):
    """The demo spec's DVAE fitted on ``obs`` (read from ``folder`` when saved there)."""
    from alloyloop.models.dvae import DisentangledVAE

    if (folder / "model").exists():
        return DisentangledVAE.load(folder / "model")
    spec = load_example("demo")
    model = DisentangledVAE(spec.model.config(), elements=obs.elements, seed=spec.seed)
    model.fit(obs.X, obs.y)
    model.save(folder / "model")
    return model


def step(strategy: EnsembleBO, model, obs: Observations, seed: int) -> tuple[float, list]:
    space = load_example("demo").space
    cpu = time.process_time()
    picks = strategy.suggest(model, obs, space, 8, seed)
    return time.process_time() - cpu, picks


def overlap(before: list[dict], after: list[dict]) -> str:
    """Shared alloys of two pick lists, and their acquisition values side by side."""
    old = {p["key"]: p["value"] for p in before}
    shared = [p for p in after if p["key"] in old]
    diffs = [abs(p["value"] - old[p["key"]]) for p in shared]
    return (f"{len(shared)} of {len(after)} picks shared; max |value change| of shared "
            f"{max(diffs, default=0.0):.2e}; best value before {max(old.values()):.4f}, "
            f"after {max(p['value'] for p in after):.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True,
                        help="folder for the fitted model (fitted and saved when absent)")
    parser.add_argument("--acquisition", nargs="+", default=["qLogNEI", "qUCB"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print one step's cProfile")
    parser.add_argument("--save-picks", type=Path, help="write the picks to this JSON file")
    parser.add_argument("--compare", type=Path, help="a --save-picks file to compare with")
    parser.add_argument("--novel-margin", type=float, default=None,
                        help="botorch's novel_margin (default: the strategy's; 0: the novelty "
                             "rule off)")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))

    obs = demo_observations()
    args.model_dir.mkdir(parents=True, exist_ok=True)
    model = demo_model(args.model_dir, obs)
    print(f"{len(obs.y)} labelled alloys; load average {os.getloadavg()}")
    picks_out: dict[str, list[dict]] = {}
    for kind in args.acquisition:
        strategy = EnsembleBO(acquisition=kind, **({} if args.novel_margin is None else
                                                   {"novel_margin": args.novel_margin}))
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            step(strategy, model, obs, args.seed)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        cpus = []
        for _ in range(args.repeats):
            cpu, picks = step(strategy, model, obs, args.seed)
            cpus.append(cpu)
        picks_out[kind] = [{"key": p.key, "value": float(p.acquisition),
                            "p": float(p.p_single)} for p in picks]
        print(f"{kind}: CPU s per step {' / '.join(f'{c:.2f}' for c in cpus)} "
              f"(mean {np.mean(cpus):.2f}); {len(picks)} picks")
        for p in picks_out[kind]:
            print(f"  {p['key']:<40} value {p['value']:9.4f}  p {p['p']:.3f}")
        if args.compare and args.compare.exists():
            before = json.loads(args.compare.read_text()).get(kind)
            if before:
                print(f"  vs {args.compare}: {overlap(before, picks_out[kind])}")
    print(f"load average {os.getloadavg()}")
    if args.save_picks:
        args.save_picks.write_text(json.dumps(picks_out, indent=1))


if __name__ == "__main__":
    main()
