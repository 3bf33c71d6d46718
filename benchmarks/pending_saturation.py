"""Does BoTorch's ``X_pending`` help the ``botorch`` strategy? A measurement (issue #32).

Run from the repository root:

    OMP_NUM_THREADS=1 python -m benchmarks.pending_saturation

A DVAE (default config, 60 epochs) is fitted on 2,000 corpus alloys of
Al-Co-Cr-Cu-Fe-Mn-Ni; its ensemble posterior (MC-dropout members) scores a pool of 400
lattice points of {Al, Co, Cr, Cu, Fe, Ni}. The strategy's best ``k`` alloys are made
pending, and every other pool alloy is scored alone (q = 1) by qUCB and qLogNEI with and
without them as ``X_pending``. BoTorch then values the *batch* {alloy} ∪ pending: its
max under each member. When the pending alloys are what the strategy would pick anyway,
that max is the pending alloy's under most members, so the values flatten: printed are
the share of candidates whose value is within 1e-6 of the most common value (the
plateau), the rank correlation of the values with and without pending, and with p(single),
and how many of the 8 best alloys stay the same.
"""

from __future__ import annotations

import argparse
import dataclasses
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from alloyloop.agent.strategies.ensemble_bo import EnsembleBO, make_acquisition  # noqa: E402
from alloyloop.agent.strategies.screening import Screening  # noqa: E402
from alloyloop.agent.suggestion import to_model_columns  # noqa: E402
from alloyloop.campaigns.design_space import DesignSpace  # noqa: E402

PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni")


def _model(seed: int):
    from alloyloop.featurize.corpus import load_labelled
    from alloyloop.featurize.matrix import fraction_matrix
    from alloyloop.models.config import DVAEConfig
    from alloyloop.models.dvae import DisentangledVAE

    df = load_labelled()
    df = df[df["single_phase"].notna() & df["fractions"].map(lambda f: set(f) <= set(PALETTE))]
    lab = df.sample(n=min(2000, len(df)), random_state=seed)
    x = fraction_matrix(lab["fractions"], PALETTE)
    config = dataclasses.replace(DVAEConfig(), max_epochs=60, min_epochs=10, patience=10,
                                 vae_max_epochs=20, vae_patience=5)
    return DisentangledVAE(config, elements=PALETTE, seed=seed).fit(
        x, lab["single_phase"].astype(int).to_numpy()), x


def _values(acq, x: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return torch.cat([acq(c.unsqueeze(-2)) for c in x.split(512)]).numpy()


def run(seed: int, n_pending: int) -> list[str]:
    model, x_lab = _model(seed)
    space = DesignSpace(palette=("Al", "Co", "Cr", "Cu", "Fe", "Ni"), min_elements=3,
                        max_elements=5, step=0.05)
    lattice = next(iter(Screening(max_candidates=20_000).candidates(space, seed)))
    rows = np.random.default_rng(seed).choice(len(lattice), 400, replace=False)
    pool = torch.as_tensor(to_model_columns(lattice[rows], space, PALETTE))
    frac = EnsembleBO().posterior_model(model, space, PALETTE, seed=seed, latent=False)
    p = model.predict_proba(pool.numpy())
    lines = [f"pool 400, {n_pending} pending (the qUCB top {n_pending}), "
             f"{frac.n_members} members, seed {seed}"]
    for kind in ("qUCB", "qLogNEI"):
        acq = make_acquisition(kind, frac, baseline=torch.as_tensor(x_lab), beta=1.0)
        alone = _values(acq, pool)
        top = np.argsort(-_values(make_acquisition("qUCB", frac, baseline=pool, beta=1.0),
                                  pool))[:n_pending]
        rest = np.setdiff1d(np.arange(len(pool)), top)
        acq.set_X_pending(pool[top])
        pending = _values(acq, pool[rest])
        alone = alone[rest]
        mode = np.round(pending, 6)
        values, counts = np.unique(mode, return_counts=True)
        plateau = counts.max() / len(pending)
        same_top = len(set(np.argsort(-alone)[:8]) & set(np.argsort(-pending)[:8]))
        lines.append(
            f"{kind}: distinct values {len(np.unique(np.round(alone, 6)))} alone, "
            f"{len(values)} with pending; plateau share {plateau:.2f}; rank corr. with/without "
            f"{spearmanr(alone, pending).statistic:.2f}; with p(single): alone "
            f"{spearmanr(alone, p[rest]).statistic:.2f}, with pending "
            f"{spearmanr(pending, p[rest]).statistic:.2f}; top-8 kept {same_top}/8")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pending", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("\n".join(run(args.seed, args.pending)))


if __name__ == "__main__":
    main()
