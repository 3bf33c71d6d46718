"""The round report's figures, each written to one PNG (matplotlib, headless Agg backend)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # reports are written by flows and CLIs, never shown on screen

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from alloyloop.agent.report.shap_values import ShapResult  # noqa: E402

DPI = 110


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def _explanation(result: ShapResult):
    import shap

    return shap.Explanation(values=result.values, base_values=np.full(len(result.values), result.base_value),
                            data=result.data, feature_names=list(result.names))


def shap_beeswarm(result: ShapResult, path: Path, max_display: int = 12) -> Path:
    """Beeswarm: each alloy's contribution of each feature to the explained probability
    (p(single), or p(FCC) for an FCC campaign), coloured by value."""
    import shap

    fig = plt.figure(figsize=(8, 5.5))
    ax = fig.add_subplot()
    shap.plots.beeswarm(_explanation(result), max_display=max_display, ax=ax, show=False,
                        plot_size=None)
    ax.set_xlabel(f"SHAP value (contribution to {result.explains})")
    ax.set_title(f"SHAP of the classification head, {len(result.values)} alloys")
    return _save(fig, path)


def shap_bar(result: ShapResult, path: Path, max_display: int = 12) -> Path:
    """Mean |SHAP| per feature, largest first."""
    importance = result.mean_abs()
    names = sorted(importance, key=importance.get, reverse=True)[:max_display][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(names) + 1.2))
    ax.barh(names, [importance[n] for n in names], color="#1f77b4")
    ax.set_xlabel(f"mean |SHAP value| ({result.explains})")
    ax.set_title("Feature importance")
    return _save(fig, path)


def importance_change(current: Mapping[str, float], previous: Mapping[str, float] | None,
                      path: Path, max_display: int = 12) -> Path:
    """Change of mean |SHAP| since the previous round (or the first round's values)."""
    fig, ax = plt.subplots(figsize=(7, 0.35 * min(len(current), max_display) + 1.4))
    if previous:
        delta = {n: current[n] - previous.get(n, 0.0) for n in current}
        names = sorted(delta, key=lambda n: abs(delta[n]), reverse=True)[:max_display][::-1]
        ax.barh(names, [delta[n] for n in names],
                color=["#2ca02c" if delta[n] >= 0 else "#d62728" for n in names])
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xlabel("Δ mean |SHAP| since the previous round")
        ax.set_title("Change in importance")
    else:
        names = sorted(current, key=current.get, reverse=True)[:max_display][::-1]
        ax.barh(names, [current[n] for n in names], color="#7f7f7f")
        ax.set_xlabel("mean |SHAP| (first round: nothing to compare with)")
        ax.set_title("Change in importance")
    return _save(fig, path)


def latent_maps(z: np.ndarray, labels: np.ndarray, n_elements: np.ndarray, groups: Sequence[str],
                z_suggested: np.ndarray, path: Path) -> Path:
    """Labelled alloys in the 2-D latent space, coloured by label, element count and the
    element group with the largest share; suggestions as black stars."""
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), sharex=True, sharey=True)
    ax = axes[0]
    for value, colour, name in ((0, "#d62728", "multi-phase"), (1, "#1f77b4", "single-phase")):
        sel = labels == value
        ax.scatter(z[sel, 0], z[sel, 1], s=8, alpha=0.6, c=colour, label=f"{name} ({sel.sum()})")
    ax.set_title("label")
    ax = axes[1]
    counts = np.unique(n_elements)
    cmap = plt.get_cmap("viridis", max(len(counts), 2))
    for i, k in enumerate(counts):
        sel = n_elements == k
        ax.scatter(z[sel, 0], z[sel, 1], s=8, alpha=0.6, color=cmap(i), label=f"{k} elements")
    ax.set_title("element count")
    ax = axes[2]
    palette = {"magnetic": "#9467bd", "noble": "#ff7f0e", "refractory": "#8c564b", "other": "#bbbbbb"}
    groups = np.asarray(groups)
    for name, colour in palette.items():
        sel = groups == name
        if sel.any():
            ax.scatter(z[sel, 0], z[sel, 1], s=8, alpha=0.6, c=colour, label=f"{name} ({sel.sum()})")
    ax.set_title("largest element group")
    for ax in axes:
        if len(z_suggested):
            ax.scatter(z_suggested[:, 0], z_suggested[:, 1], marker="*", s=140, c="k",
                       edgecolors="w", linewidths=0.5, label="suggested")
        ax.set_xlabel("z₁")
        ax.legend(fontsize=7, loc="best", markerscale=1.5)
    axes[0].set_ylabel("z₂")
    fig.suptitle("Latent map of the labelled alloys")
    return _save(fig, path)


def roc_and_calibration(y: np.ndarray, p: np.ndarray, path: Path, n_bins: int = 10, *,
                        auc: str | None = None, ece: str | None = None, p_name: str = "p(single)",
                        positive: str = "single-phase") -> Path:
    """ROC curve and reliability diagram of calibrated ``p_name`` (p(single), or p(FCC)
    for an FCC campaign) against ``y`` = 1 for ``positive`` alloys, on the validation split.

    ``auc`` / ``ece``: the figures as the report's table prints them (the fit's own; ECE is
    confidence-binned, :func:`alloyloop.models.calibration.expected_calibration_error`), so
    the plot and the table say the same number; None: computed here (3 decimals)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    from alloyloop.models.calibration import expected_calibration_error

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.4))
    if np.unique(y).size == 2:
        fpr, tpr, _ = roc_curve(y, p)
        ax1.plot(fpr, tpr, lw=2, label=f"AUC {auc or f'{roc_auc_score(y, p):.3f}'}")
    ax1.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax1.set_xlabel("false positive rate")
    ax1.set_ylabel("true positive rate")
    ax1.set_title(f"ROC of {p_name}, validation (n = {len(y)})" if p_name != "p(single)"
                  else f"ROC, validation (n = {len(y)})")
    ax1.legend(loc="lower right")
    edges = np.linspace(0, 1, n_bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, n_bins - 1)
    filled = [b for b in range(n_bins) if (which == b).any()]
    mean_p = np.array([p[which == b].mean() for b in filled])
    frac = np.array([y[which == b].mean() for b in filled])
    sizes = np.array([(which == b).sum() for b in filled])
    ece = ece or f"{expected_calibration_error(p, y):.3f}"
    ax2.plot([0, 1], [0, 1], "k--", lw=0.8, label="perfect calibration")
    ax2.plot(mean_p, frac, "o-", lw=2, label=f"model (ECE {ece})")
    for px, fy, n in zip(mean_p, frac, sizes):
        ax2.annotate(str(n), (px, fy), textcoords="offset points", xytext=(4, -10), fontsize=7, color="#555")
    ax2.set_xlabel(f"predicted {p_name}")
    ax2.set_ylabel(f"observed share {positive}")
    ax2.set_title("Calibration, validation (numbers: alloys per bin)")
    ax2.set_xlim(0, 1)
    ax2.set_ylim(0, 1)
    ax2.legend(loc="upper left")
    return _save(fig, path)


def reconstruction_scatter(x: np.ndarray, x_hat: np.ndarray, path: Path, title: str,
                           tv: Callable[[float], str] = "{:.3f}".format) -> Path:
    """Input vs decoded at.% of every (alloy, element): ``x``, ``x_hat`` ``(n, E)``; the
    elements an alloy does not contain in grey. ``tv`` formats the mean distance (the
    report's table rounding)."""
    present = x > 0
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(100 * x[~present], 100 * x_hat[~present], s=2, alpha=0.15, c="#7f7f7f",
               label="absent in the input")
    ax.scatter(100 * x[present], 100 * x_hat[present], s=4, alpha=0.4, c="#1f77b4",
               label="present in the input")
    ax.plot([0, 100], [0, 100], "k--", lw=0.8)
    distance = 0.5 * np.abs(x - x_hat).sum(axis=1).mean()
    ax.set_xlabel("input at.%")
    ax.set_ylabel("reconstruction at.%")
    ax.set_title(f"{title} (reconstruction distance {tv(float(distance))})")
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path)


def label_control_hist(p1: Sequence[np.ndarray], p0: Sequence[np.ndarray],
                       judges: Sequence[str], path: Path,
                       gap: Callable[[float], str] = "{:+.3f}".format) -> Path:
    """Histograms of p(single) of decode(z, 1) and decode(z, 0) for the same prior draws,
    one panel per judge (``p1[i]``, ``p0[i]`` ``(n,)`` by ``judges[i]``); ``gap`` formats
    the gap (the report's table rounding)."""
    fig, axes = plt.subplots(1, len(judges), figsize=(5 * len(judges), 4), sharey=True,
                             squeeze=False)
    bins = np.linspace(0, 1, 26)
    for ax, a, b, judge in zip(axes[0], p1, p0, judges):
        ax.hist(a, bins=bins, alpha=0.6, color="#1f77b4", label="decode(z, y=1)")
        ax.hist(b, bins=bins, alpha=0.6, color="#d62728", label="decode(z, y=0)")
        ax.set_xlabel(f"p(single), {judge} (gap {gap(float(np.mean(a) - np.mean(b)))})")
        ax.legend(loc="upper center", fontsize=8)
    axes[0][0].set_ylabel(f"prior draws (of {len(p1[0])})")
    fig.suptitle("Label control: the same z decoded with y = 1 and y = 0")
    return _save(fig, path)


def pareto_front(p: np.ndarray, values: np.ndarray, names: Sequence[str], labels: Sequence[str],
                 source: Sequence[str], front: np.ndarray, path: Path, p_name: str = "p(single)"
                 ) -> Path:
    """One panel per objective: p(target) against the property, labelled alloys as dots
    (blue single-phase, red multi-phase), suggestions as black stars, the non-dominated
    points ringed. ``values`` ``(n, len(names))``; ``labels`` / ``source`` per point."""
    fig, axes = plt.subplots(1, len(names), figsize=(5.2 * len(names), 4.4), squeeze=False)
    source = np.asarray(source)
    labels = np.asarray([lab or "" for lab in labels])
    for ax, j, name in zip(axes[0], range(len(names)), names):
        for lab, colour in (("single", "#1f77b4"), ("multi", "#d62728")):
            sel = (source == "labelled") & (labels == lab)
            ax.scatter(values[sel, j], p[sel], s=8, alpha=0.5, c=colour,
                       label=f"labelled {lab}-phase ({sel.sum()})")
        sel = source == "suggestion"
        ax.scatter(values[sel, j], p[sel], marker="*", s=140, c="k", edgecolors="w",
                   linewidths=0.5, label=f"suggested ({sel.sum()})")
        ax.scatter(values[front, j], p[front], s=90, facecolors="none", edgecolors="#2ca02c",
                   linewidths=1.5, label=f"non-dominated ({int(front.sum())})")
        ax.set_xlabel(name)
        ax.set_ylabel(p_name)
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(f"Pareto front: {p_name} against the objectives")
    return _save(fig, path)
