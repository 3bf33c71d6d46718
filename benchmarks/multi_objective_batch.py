"""Multi-objective batch of the ``botorch`` strategy against its single-objective form.

Run from the repository root:

    OMP_NUM_THREADS=1 python -m benchmarks.multi_objective_batch

The small campaign of ``tests/agent`` (a five-head DVAE on 2,000 Al-Co-Cr-Cu-Fe-Mn-Ni corpus
alloys, seed 0; a pool of 400 lattice points of {Al, Co, Cr, Cu, Fe, Ni}, density ≤ 8
g/cm³): a batch of 6 by qLogNEHVI on [logit p(single), −density] and by qLogNEI on the
logit alone (seed 3). Prints the batches' density, p(single) and time; the figures are in
docs/multi_target.md (not docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from alloyloop.agent.strategies.ensemble_bo import EnsembleBO  # noqa: E402
from alloyloop.agent.strategies.screening import Screening  # noqa: E402
from alloyloop.agent.suggestion import Observations, to_model_columns  # noqa: E402
from alloyloop.campaigns.design_space import DesignSpace  # noqa: E402
from alloyloop.featurize.corpus import load_labelled  # noqa: E402
from alloyloop.featurize.matrix import fraction_matrix  # noqa: E402
from alloyloop.featurize.properties import property_matrix  # noqa: E402

PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--density-max", type=float, default=8.0)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    from alloyloop.models.config import DVAEConfig
    from alloyloop.models.dvae import DisentangledVAE

    lab = load_labelled()
    lab = lab[lab["single_phase"].notna()]
    lab = lab[lab["fractions"].map(lambda f: set(f) <= set(PALETTE))].sample(n=2000, random_state=0)
    x = fraction_matrix(lab["fractions"], PALETTE)
    y = lab["single_phase"].astype(int).to_numpy()
    obs = Observations(elements=PALETTE, X=x, y=y, keys=tuple(lab["key"]),
                       X_pending=np.empty((0, len(PALETTE))))
    free = DesignSpace(palette=("Al", "Co", "Cr", "Cu", "Fe", "Ni"), min_elements=3,
                       max_elements=5, step=0.05, bounds={"Al": (0.0, 0.25)},
                       forbidden=[{"Al", "Cu"}])
    space = dataclasses.replace(free, descriptor_limits={"density": (None, args.density_max)})
    config = dataclasses.replace(DVAEConfig(), max_epochs=40, min_epochs=10, patience=8,
                                 vae_max_epochs=10, vae_patience=5, n_ensemble=5)
    model = DisentangledVAE(config, elements=PALETTE, seed=0).fit(x, y)
    lattice = next(iter(Screening(max_candidates=20_000).candidates(free, 0)))
    rows = np.random.default_rng(0).choice(len(lattice), 400, replace=False)
    pool = dataclasses.replace(obs, candidates=to_model_columns(lattice[rows], free, PALETTE))
    for name, strategy in (("qLogNEHVI [logit p, -density]",
                            EnsembleBO(objectives=(("density", "minimize"),))),
                           ("qLogNEI (logit p only)", EnsembleBO(acquisition="qLogNEI"))):
        start = time.perf_counter()
        out = strategy.suggest(model, pool, space, 6, seed=args.seed)
        seconds = time.perf_counter() - start
        xs = np.array([[s.fractions.get(e, 0.0) for e in space.palette] for s in out])
        rho = property_matrix(xs, space.palette, ["density"])[:, 0]
        p = np.array([s.p_single for s in out])
        print(f"{name}: {len(out)} alloys, density mean {rho.mean():.3f} g/cm3 "
              f"(min {rho.min():.3f}, max {rho.max():.3f}), p(single) mean {p.mean():.3f}, "
              f"{seconds:.1f} s")


if __name__ == "__main__":
    main()
