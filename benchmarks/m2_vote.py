"""What the unlabelled M2 term asks of the DVAE's classifier, on the data-efficiency splits.

The classifier q(y|x) shares no weight with the encoder or decoder, so the unlabelled
alloys reach it only through the term −Σ_y q(y|x)·ELBO(x, y) − H(q). Its gradient on a
row's logit l is −q(1 − q)·(ΔELBO − l), ΔELBO = ELBO(x, 1) − ELBO(x, 0): the term pulls
every logit towards the generative half's own log-odds ΔELBO, i.e. towards the
"generative vote" p(y = 1 | x) = σ(ΔELBO). Semi-supervision can help the classifier only
as far as that vote knows the label. This script measures, for one fit per (seed, fold,
fraction) of :mod:`benchmarks.data_efficiency`'s splits (classifier phase only, so the
encoder and decoder are those the classifier trained beside):

- the vote's balanced accuracy and AUC on the withheld training rows (the unlabelled
  alloys whose labels are known) and on the test fold, beside the classifier's;
- how often the vote and the classifier agree, and the median |ΔELBO| and |l|;
- the norm of the classifier's gradient from the unlabelled term relative to the one from
  the labelled term, at the selected weights (one full pass each).

Usage: ``python -m benchmarks.m2_vote --seeds 0 --folds 2 --fractions 0.05 0.1``
(prints a markdown table).
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import dataclasses  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.metrics import balanced_accuracy_score, roc_auc_score  # noqa: E402

from benchmarks.data import carve_validation, load_bench_data  # noqa: E402
from benchmarks.data_efficiency import SCHEME, labelled_split  # noqa: E402
from benchmarks.registry import dvae_config  # noqa: E402

PHASE1 = {"vae_selection": "classifier", "free_bits": 0.0, "control_weight": 0.0}
DRAWS = 8


def delta_elbo(model, x: np.ndarray) -> np.ndarray:
    """``(n,)`` ELBO(x, 1) − ELBO(x, 0), averaged over :data:`DRAWS` draws of z, with the
    rule prior the fit used."""
    from alloyloop.models.objective import elbo_terms
    from alloyloop.models.priors import rule_prior

    c = model.config
    tau = c.rule_confidence if c.prior == "expert" else 0.0
    xt = torch.as_tensor(x, dtype=torch.float32)
    p = torch.as_tensor(rule_prior(x, model.elements, tau), dtype=torch.float32)
    out = np.zeros(len(x))
    with torch.no_grad():
        for _ in range(DRAWS):
            e = [elbo_terms(model.net_, xt, torch.full((len(x),), float(y)), p,
                            c.effective_count).elbo(1.0).numpy() for y in (0, 1)]
            out += (e[1] - e[0]) / DRAWS
    return out


def gradient_ratio(model, x_l: np.ndarray, y_l: np.ndarray, x_u: np.ndarray) -> float:
    """‖∇_classifier unlabelled term‖ / ‖∇_classifier labelled term‖ at the fitted weights,
    each term weighted as in training (α·BCE; n_u / n_l × −U)."""
    from alloyloop.models import objective
    from alloyloop.models.priors import rule_prior

    c, net = model.config, model.net_
    tau = c.rule_confidence if c.prior == "expert" else 0.0

    def grad(loss: torch.Tensor) -> float:
        net.zero_grad(set_to_none=True)
        loss.backward()
        return float(torch.sqrt(sum((w.grad ** 2).sum() for w in net.classifier.parameters()
                                    if w.grad is not None)))

    def t(a):
        return torch.as_tensor(a, dtype=torch.float32)

    net.eval()
    f_l, f_u = t(model.transform(x_l)), t(model.transform(x_u))
    heads = net.classifier.head_logits(f_l)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(heads, t(y_l).expand_as(heads))
    g_l = grad(c.alpha * bce)
    lu, _ = objective.unlabelled_loss(net, t(x_u), f_u, t(rule_prior(x_u, model.elements, tau)),
                                      beta=1.0, count=c.effective_count)
    g_u = grad(c.unlabelled_weight * len(x_u) / len(x_l) * lu)
    net.zero_grad(set_to_none=True)
    return g_u / g_l


def one(data, seed: int, fold: int, fraction: float) -> dict:
    from alloyloop.models.dvae import DisentangledVAE

    labelled, withheld, test = labelled_split(data, fold, fraction, seed, None)
    fit_rows, val_rows = carve_validation(labelled, data.y, data.families, grouped=True,
                                          fraction=0.1, seed=seed * 1000 + fold)
    test_fams = set(data.families[test])
    pool = data.X_pool[[f not in test_fams for f in data.pool_families]]
    x_u = np.vstack([data.X[withheld], pool])
    config = dataclasses.replace(dvae_config(), **PHASE1)
    model = DisentangledVAE(config, elements=data.elements, seed=seed)
    model.fit(data.X[fit_rows], data.y[fit_rows], X_unlabelled=x_u,
              X_val=data.X[val_rows], y_val=data.y[val_rows])
    row = {"seed": seed, "fold": fold, "fraction": fraction}
    for name, rows in (("withheld", withheld), ("test", test)):
        x, y = data.X[rows], data.y[rows]
        d = delta_elbo(model, x)
        logit = model.decision_function(x)
        row[f"{name}_vote_ba"] = balanced_accuracy_score(y, d > 0)
        row[f"{name}_vote_auc"] = roc_auc_score(y, d)
        row[f"{name}_clf_ba"] = balanced_accuracy_score(y, logit > 0)
        row[f"{name}_agree"] = float(np.mean((d > 0) == (logit > 0)))
        row[f"{name}_med_delta"] = float(np.median(np.abs(d)))
        row[f"{name}_med_logit"] = float(np.median(np.abs(logit)))
    sub = np.random.default_rng(seed).choice(len(x_u), min(len(x_u), 4096), replace=False)
    row["grad_ratio"] = gradient_ratio(model, data.X[fit_rows], data.y[fit_rows], x_u[sub])
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--folds", type=int, default=2, help="first N grouped folds")
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.05, 0.1])
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    data = load_bench_data()
    assert SCHEME == "grouped"
    rows = []
    for seed in args.seeds:
        for fold in range(args.folds):
            for fraction in args.fractions:
                rows.append(one(data, seed, fold, fraction))
                print(rows[-1], flush=True)
    cols = ["withheld_vote_ba", "withheld_vote_auc", "withheld_clf_ba", "withheld_agree",
            "test_vote_ba", "test_vote_auc", "test_clf_ba", "test_agree",
            "withheld_med_delta", "withheld_med_logit", "grad_ratio"]
    print("| seed | fold | labels | " + " | ".join(cols) + " |")
    print("|---" * (3 + len(cols)) + "|")
    for r in rows:
        print(f"| {r['seed']} | {r['fold']} | {r['fraction']:.0%} | "
              + " | ".join(f"{r[c]:.3f}" for c in cols) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
