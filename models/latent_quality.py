"""Figures of the DVAE's generative half: is the latent space used, does the label steer
decoding, how good are reconstructions, does z hold chemistry.

Used by ``DisentangledVAE.fit`` (validation figures in ``model.metrics``), by
``benchmarks/latent_quality.py`` and by the round report, so all three quote the same
numbers. Every function takes a fitted model and returns plain floats / arrays.

    latent_usage(model, X)            KL per latent dimension, |corr| of latent means
    reconstruction_quality(model, X)  total-variation distance, element-set agreement
    label_control(model, n, seed)     p(single | decode(z, 1)) − p(single | decode(z, 0))
    flip_paths(model, X, steps)       repeated decode(encode(x, ŷ), 1), p after each step
    group_separation(model)           5-NN element-group accuracy of equimolar quaternaries
    binary_separation(model, X)       AUC of binaries vs ≥ 3-element alloys from z
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from alloyloop.featurize.elements import GROUPS
from alloyloop.models.objective import gaussian_kl_per_dim
from alloyloop.models.priors import rule_prior

if TYPE_CHECKING:
    from alloyloop.models.dvae import DisentangledVAE

CLEAN_AT_PCT = 2.0
"""Fractions below this (at.%) are read as absent in element-set comparisons."""


def _posterior(model: DisentangledVAE, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(n, E)`` → (μ, log σ²) of q(z | x, ŷ), each ``(n, d)`` float64."""
    net = model._check_fitted()
    x = model._fractions(X)
    y = model._y_tensor(model.predicted_codes(x), x.shape[0])
    with torch.no_grad():
        mu, logvar = net.encoder(torch.as_tensor(x, dtype=torch.float32), y)
    return mu.double().numpy(), logvar.double().numpy()


def latent_usage(model: DisentangledVAE, X: np.ndarray) -> dict[str, Any]:
    """How much each latent dimension is used on alloys ``X`` ``(n, E)``.

    Returns:
        ``kl_per_dim`` (d floats: mean KL(q(z_d | x, ŷ) ‖ N(0, 1)) in nats),
        ``kl_min_dim``, ``abs_corr`` (largest |corr| between two latent-mean
        dimensions; 0 for d = 1) and ``std_per_dim`` (std of the latent means).
    """
    mu, logvar = _posterior(model, X)
    kl = gaussian_kl_per_dim(torch.as_tensor(mu), torch.as_tensor(logvar)).numpy().mean(0)
    corr = 0.0
    if mu.shape[1] > 1 and len(mu) > 2:
        c = np.corrcoef(mu, rowvar=False)
        off = np.abs(c[~np.eye(len(c), dtype=bool)])
        corr = float(np.nanmax(off)) if np.isfinite(off).any() else float("nan")
    return {"kl_per_dim": [float(v) for v in kl], "kl_min_dim": float(kl.min()),
            "abs_corr": corr, "std_per_dim": [float(v) for v in mu.std(axis=0)]}


def clean(X: np.ndarray, at_pct: float = CLEAN_AT_PCT) -> np.ndarray:
    """Fractions below ``at_pct`` at.% set to 0 and rows renormalised: ``(n, E)`` →
    ``(n, E)`` (each row's largest element always stays; torch twin:
    ``alloyloop.models.torch_features.clean_fractions``)."""
    x = np.asarray(X, dtype=np.float64)
    keep = x >= at_pct / 100.0
    keep[np.arange(len(x)), x.argmax(axis=1)] = True
    out = np.where(keep, x, 0.0)
    return out / out.sum(axis=1, keepdims=True)


def element_errors(present: np.ndarray, decoded: np.ndarray, elements: tuple[str, ...],
                   top: int = 5) -> dict[str, dict[str, int]]:
    """Which elements the wrong sets get wrong: ``(n, E)`` boolean input and decoded
    element sets → ``{"extra": {element: alloys decoded with it but not holding it},
    "missing": {element: alloys holding it, decoded without}}``, the ``top`` most
    frequent of each, largest first."""
    out = {}
    for kind, wrong in (("extra", decoded & ~present), ("missing", present & ~decoded)):
        counts = wrong.sum(axis=0)
        order = [j for j in np.argsort(-counts, kind="stable")[:top] if counts[j] > 0]
        out[kind] = {elements[j]: int(counts[j]) for j in order}
    return out


def reconstruction_quality(model: DisentangledVAE, X: np.ndarray,
                           at_pct: float = CLEAN_AT_PCT) -> dict[str, Any]:
    """Reconstruction of alloys ``X`` ``(n, E)`` by decode(encode(x, ŷ), ŷ).

    Returns:
        ``tv`` (mean total-variation distance ½Σ|x − x̂|), ``tv_cleaned`` (the same
        after :func:`clean` of x̂), ``element_set_agreement`` (share of alloys whose
        decoded elements above ``at_pct`` at.% are exactly the input's elements),
        ``mae_present_at_pct`` (mean |x − x̂| in at.% over the elements present) and,
        for where a mismatch comes from, ``element_precision`` / ``element_recall`` of
        the decoded elements against the input's, ``decoded_elements`` per alloy, and
        the shares of alloys decoded with extra elements only, missing ones only, or
        both (``share_extra_only``, ``share_missing_only``, ``share_extra_and_missing``),
        and the elements most often extra / missing (``element_errors``, see
        :func:`element_errors`).
    """
    x = model._fractions(X)
    x_hat = model.reconstruct(x)
    present = x > 0
    decoded = x_hat >= at_pct / 100.0
    extra, missing = (decoded & ~present).any(axis=1), (present & ~decoded).any(axis=1)
    return {
        "tv": float(0.5 * np.abs(x - x_hat).sum(axis=1).mean()),
        "tv_cleaned": float(0.5 * np.abs(x - clean(x_hat, at_pct)).sum(axis=1).mean()),
        "element_set_agreement": float((decoded == present).all(axis=1).mean()),
        "mae_present_at_pct": float(100 * (np.abs(x_hat - x) * present).sum()
                                    / max(present.sum(), 1)),
        "element_precision": float((decoded & present).sum() / max(decoded.sum(), 1)),
        "element_recall": float((decoded & present).sum() / max(present.sum(), 1)),
        "decoded_elements": float(decoded.sum(axis=1).mean()),
        # how the wrong sets are wrong: an element too many, one missing, or both
        "share_extra_only": float((extra & ~missing).mean()),
        "share_missing_only": float((missing & ~extra).mean()),
        "share_extra_and_missing": float((extra & missing).mean()),
        "element_errors": element_errors(present, decoded, model.elements),
    }


def label_control(model: DisentangledVAE, n: int = 500, seed: int = 0,
                  judge: Callable[[np.ndarray], np.ndarray] | None = None
                  ) -> dict[str, Any]:
    """Does y steer decoding towards single-phase?

    For ``n`` prior draws z ~ N(0, I) (seeded), decode with y = 1 and y = 0. A phase4
    model decodes every z with each structure (FCC, BCC, HCP: ``p1`` is their mean
    p(single)) and with multi (``p0``); it also reports ``class_gap``: per class k, mean
    P(k | decode(z, k)) − mean over the other classes j of P(k | decode(z, j)).

    Args:
        judge: another ``(n, E) → (n,)`` p(single) (e.g. a random forest's
            ``predict_proba``); the model's own classifier is always used.

    Returns:
        ``gap`` (mean p(single | decode(z, 1)) − p(single | decode(z, 0)), own
        classifier), ``tv_between`` (mean TV distance of the two decodings), ``p1`` /
        ``p0`` (``(n,)`` arrays, own classifier); with a judge also ``gap_judge``,
        ``p1_judge``, ``p0_judge``.
    """
    z = np.random.default_rng(seed).standard_normal((n, model.config.latent_dim))
    out: dict[str, Any] = {}
    if len(model.classes) == 1:
        x1, x0 = model.decode(z, 1), model.decode(z, 0)
        p1, p0 = model.predict_proba(x1), model.predict_proba(x0)
    else:
        decoded = [model.decode(z, k) for k in model.classes]  # multi is last
        probs = [model.predict_phase_proba(x) for x in decoded]
        x0, p0 = decoded[-1], model.predict_proba(decoded[-1])
        x1 = decoded[0]
        p1 = np.mean([1.0 - p[:, -1] for p in probs[:-1]], axis=0)
        out["class_gap"] = {k: float(probs[i][:, i].mean() - np.mean(
            [probs[j][:, i].mean() for j in range(len(probs)) if j != i]))
            for i, k in enumerate(model.classes)}
        out["tv_between_classes"] = float(np.mean([
            0.5 * np.abs(decoded[i] - decoded[j]).sum(axis=1).mean()
            for i in range(len(decoded)) for j in range(i + 1, len(decoded))]))
    out.update({"gap": float((p1 - p0).mean()),
                "tv_between": float(0.5 * np.abs(x1 - x0).sum(axis=1).mean()),
                "p1": p1, "p0": p0})
    if judge is not None:
        j1, j0 = np.asarray(judge(x1), float), np.asarray(judge(x0), float)
        out.update(gap_judge=float((j1 - j0).mean()), p1_judge=j1, p0_judge=j0)
    return out


def flip_paths(model: DisentangledVAE, X: np.ndarray, steps: int = 5
               ) -> tuple[np.ndarray, np.ndarray]:
    """Plain flips towards single-phase (no probes): x ← decode(encode(x, ŷ), 1).

    Args:
        X: ``(n, E)`` start alloys; steps: flips.

    Returns:
        ``(steps + 1, n, E)`` compositions (index 0 = the start) and ``(steps + 1, n)``
        calibrated p(single) of each.
    """
    x = model._fractions(X)
    path, probs = [x], [model.predict_proba(x)]
    target: Any = 1
    if len(model.classes) > 1:  # phase4: towards each alloy's most probable structure
        structures = np.asarray(model.classes[:-1], dtype=object)
        target = structures[model.predict_phase_proba(x)[:, :-1].argmax(axis=1)]
    for _ in range(steps):
        x = model.decode(model.encode(x, model.predicted_codes(x)), target)
        path.append(x)
        probs.append(model.predict_proba(x))
    return np.stack(path), np.stack(probs)


def flip_path(model: DisentangledVAE, x: np.ndarray, steps: int = 5
              ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`flip_paths` of one alloy ``(E,)``: ``(steps + 1, E)`` and ``(steps + 1,)``."""
    path, probs = flip_paths(model, np.atleast_2d(x), steps)
    return path[:, 0], probs[:, 0]


def equimolar_quaternaries(elements: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Every equimolar quaternary of one element group inside the palette.

    Returns:
        ``(m, E)`` fractions and ``(m,)`` group names (``GROUPS`` keys).
    """
    rows, names = [], []
    pos = {e: i for i, e in enumerate(elements)}
    for group, members in sorted(GROUPS.items()):
        for combo in combinations(sorted(m for m in members if m in pos), 4):
            row = np.zeros(len(elements))
            row[[pos[e] for e in combo]] = 0.25
            rows.append(row)
            names.append(group)
    return np.array(rows).reshape(-1, len(elements)), np.array(names)


def _knn_predict(z: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Leave-one-out majority vote of the k nearest other rows: ``(m, d)`` → ``(m,)``."""
    d = ((z[:, None, :] - z[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nearest = np.argsort(d, axis=1)[:, :k]
    out = []
    for row in labels[nearest]:
        values, counts = np.unique(row, return_counts=True)
        out.append(values[counts.argmax()])
    return np.array(out)


def group_separation(model: DisentangledVAE, k: int = 5) -> dict[str, float]:
    """Leave-one-out k-NN accuracy of the element group of equimolar noble / magnetic /
    refractory quaternaries from their latent means; ``accuracy`` and
    ``balanced_accuracy`` (mean per-group recall; the refractory group has most rows)."""
    X, groups = equimolar_quaternaries(model.elements)
    pred = _knn_predict(model.encode(X), groups, k)
    recalls = [float((pred[groups == g] == g).mean()) for g in np.unique(groups)]
    return {"accuracy": float((pred == groups).mean()),
            "balanced_accuracy": float(np.mean(recalls)), "n": int(len(groups))}


def binary_separation(model: DisentangledVAE, X: np.ndarray, seed: int = 0,
                      k: int = 15) -> float:
    """AUC of binaries vs ≥ 3-element alloys of ``X`` ``(n, E)`` from z: 5-fold
    cross-validated k-NN probabilities on the latent means (nan with one class)."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict
    from sklearn.neighbors import KNeighborsClassifier

    x = model._fractions(X)
    n_el = (x > 0).sum(axis=1)
    keep = n_el >= 2
    target = (n_el[keep] == 2).astype(int)
    if np.unique(target).size < 2:
        return float("nan")
    z = model.encode(x[keep])
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(z))
    p = np.empty(len(z))
    p[order] = cross_val_predict(KNeighborsClassifier(k), z[order], target[order], cv=5,
                                 method="predict_proba")[:, 1]
    return float(roc_auc_score(target, p))


def validation_neg_elbo(model: DisentangledVAE, X: np.ndarray, y: np.ndarray) -> float:
    """Mean −ELBO (β = 1, no free bits) of labelled alloys, one seeded z draw per row
    (``y``: the model's training targets, 0/1 or phase4 masks)."""
    net = model._check_fitted()
    x = model._fractions(X)
    c = model.config
    p = rule_prior(x, model.elements, c.rule_confidence if c.prior == "expert" else 0.0)
    t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(model.seed)
        elbo = model.space.labelled_elbo(net, t(x), t(model.transform(x)), t(y), t(p),
                                         c.effective_count)
    return float(-elbo.mean())


def fit_quality(model: DisentangledVAE, X_val: np.ndarray, y_val: np.ndarray
                ) -> dict[str, Any]:
    """The generative figures ``fit`` records in ``model.metrics`` (validation rows)."""
    usage = latent_usage(model, X_val)
    recon = reconstruction_quality(model, X_val)
    return {
        "val_neg_elbo": validation_neg_elbo(model, X_val, y_val),
        "val_recon_tv": recon["tv"],
        "val_recon_element_set_agreement": recon["element_set_agreement"],
        "val_reconstruction_mae_at_pct": recon["mae_present_at_pct"],
        "val_kl_per_dim": usage["kl_per_dim"],
        "val_kl_min_dim": usage["kl_min_dim"],
        "val_latent_abs_corr": usage["abs_corr"],
        **_label_gaps(label_control(model, n=500, seed=model.seed)),
    }


def _label_gaps(control: dict[str, Any]) -> dict[str, Any]:
    out = {"label_gap": control["gap"]}
    if "class_gap" in control:
        out["label_class_gap"] = control["class_gap"]
        out["label_tv_between_classes"] = control["tv_between_classes"]
    return out
