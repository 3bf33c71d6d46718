"""Write one round's report: SHAP, importance change, latent maps, ROC/calibration, batch.

Files in ``out_dir`` (``index.html`` last, so a complete page means a complete report)::

    shap_beeswarm.png  shap_bar.png  shap_change.png  latent_map.png  roc_calibration.png
    reconstruction.png  label_control.png
    pareto.png         (campaigns with objectives: p(target) against each property)
    importance.json    (mean |SHAP| per feature: the next round compares against it)
    suggestion_shap.json (each suggestion's own strongest SHAP features: the queue shows them)
    xrd_label_<id>.png (the pattern of each XRD-backed label of the round)
    suggestions.csv    index.html

The page speaks to the lab: figures by name with a one-line meaning and one rounding
(:mod:`.metrics`), alloys in their short notation with the key on hover, hashes short, no
server path (:func:`shown_facts`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alloyloop.agent.report import html as H
from alloyloop.agent.report import plots
from alloyloop.agent.report.calphad_agreement import Agreement, agreement_html
from alloyloop.agent.report.earlier_rounds import earlier_rounds_section
from alloyloop.agent.report.metrics import GENERATIVE_METRICS, MODEL_METRICS, metric_rows, shown_metric
from alloyloop.agent.report.pareto import front_table, pareto_points
from alloyloop.agent.report.projection import project
from alloyloop.agent.report.shap_values import explain
from alloyloop.agent.report.suggestion_section import suggestion_section
from alloyloop.agent.report.suggestion_shap import Driver, top_drivers, write_explanations
from alloyloop.agent.report.suggestion_table import write_suggestions_csv
from alloyloop.agent.report.target_fit import TargetFit, caption, fit_rows, target_fit
from alloyloop.agent.report.xrd_patterns import XrdLabel, xrd_section
from alloyloop.agent.training_data import RoundData
from alloyloop.db.records import SuggestionRecord
from alloyloop.featurize.composition import parse_composition
from alloyloop.featurize.elements import GROUPS
from alloyloop.featurize.matrix import fraction_matrix
from alloyloop.featurize.properties import get_property
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.latent_quality import label_control
from alloyloop.models.target import SINGLE, gives, target_proba

FIGURES = {
    "shap_beeswarm.png": "SHAP beeswarm of the classification head: each dot is one alloy",
    "shap_bar.png": "Mean |SHAP| per feature",
    "shap_change.png": "Change in mean |SHAP| since the previous round",
    "latent_map.png": "Latent map coloured by label, element count and element group; stars: this round's suggestions",
    "roc_calibration.png": "ROC and calibration of p(single) on the validation split (the AUC and ECE "
                           "are the table's)",
    "reconstruction.png": "Validation alloys against their reconstructions decode(encode(x, ŷ), ŷ)",
    "label_control.png": "p(single) of 500 prior draws decoded with y = 1 and with y = 0",
}
LABEL_CONTROL_STRUCTURE = ("p(single) of 500 prior draws decoded as single-phase (y = each structure, "
                           "averaged) and as multi-phase (y = multi): whether the label steers the generator "
                           "towards single-phase alloys, the table's label control gap; not p({target})")
PARETO_FIGURE = ("pareto.png", "p(target) against each objective (and density, cost): labelled "
                 "alloys of the design palette, this round's suggestions (stars), the "
                 "non-dominated ones ringed")
IMPORTANCE_FILE = "importance.json"


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    figures: tuple[Path, ...]
    importance: Path
    suggestions_csv: Path


def dominant_group(fractions: np.ndarray, elements: Sequence[str]) -> list[str]:
    """Per alloy, the element group (magnetic / noble / refractory) holding the largest share
    of its atoms, or ``other`` when none of its elements belongs to a group."""
    shares = np.column_stack([fractions[:, [i for i, el in enumerate(elements) if el in members]].sum(axis=1)
                              for members in GROUPS.values()])
    names = list(GROUPS)
    return [names[int(np.argmax(row))] if row.max() > 0 else "other" for row in shares]


def shown_facts(info: Mapping[str, Any], campaign_dir: Path) -> dict[str, Any]:
    """The title facts as the report shows them: a file of the campaign by its place in the
    campaign's folder (``round-003-…/model/…``), never the server's absolute path (the report
    is served to the lab's browsers)."""
    out: dict[str, Any] = {}
    for key, value in info.items():
        if key == "notes":
            continue
        if isinstance(value, str | Path) and Path(value).is_absolute():
            path = Path(value).resolve()
            try:
                value = path.relative_to(campaign_dir.resolve()).as_posix()
            except ValueError:
                value = path.name
        out[key] = value
    return out


def read_importance(report_dir: Path) -> dict[str, float] | None:
    """Mean |SHAP| per feature stored by an earlier report, if there is one."""
    file = Path(report_dir) / IMPORTANCE_FILE
    if not file.is_file():
        return None
    return json.loads(file.read_text(encoding="utf-8"))["mean_abs_shap"]


def write_round_report(model: DisentangledVAE, data: RoundData,
                       suggestions: Sequence[SuggestionRecord], out_dir: str | Path, *,
                       info: Mapping[str, Any], previous_importance: Mapping[str, float] | None,
                       shap_rows: int, shap_background: int, seed: int,
                       agreement: Agreement | None = None,
                       objectives: Mapping[str, str] | None = None, target: str = "single",
                       design_palette: Sequence[str] | None = None,
                       processing: Mapping[str, int] | None = None,
                       design_route: str | None = None,
                       earlier_rounds: Sequence[Mapping[str, Any]] | None = None,
                       xrd_labels: Sequence[XrdLabel] = ()) -> ReportFiles:
    """Write the report of one round (see the module docstring).

    Args:
        model: the round's fitted model.
        data: the round's data (labelled rows, validation split).
        suggestions: the round's stored suggestions.
        info: title facts (campaign, round, data hash, model version, warm start, notes …).
        previous_importance: mean |SHAP| of the previous round's report, if any.
        agreement: CALPHAD against experimental labels on the same alloys (a section of
            its own when given).
        shap_rows, shap_background: explained rows and background rows (seeded samples).
        objectives: the campaign's property objectives; with any, a Pareto section
            (``pareto.png`` and the front's table) over the suggestions and the labelled
            alloys made of ``design_palette`` (default: the model palette).
        target: the campaign's target structure (the Pareto axis is p(target)).
        processing: training labels per processing route (a small table when given).
        design_route: the route the campaign designs for (``[model] processing``), stated
            beside that table; None: routes are not a model input.
        earlier_rounds: summaries of the campaign's earlier rounds (``campaign status``'s
            rows): a section of their hits, and ``rounds.json``; None: no such section.
        xrd_labels: the round's XRD-backed labels (:mod:`.xrd_patterns`): a section with
            each one's pattern plot (``xrd_label_<id>.png``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result, n_rows, background = _shap_figures(model, data, out, previous_importance, shap_rows=shap_rows,
                                               shap_background=shap_background, seed=seed, target=target)
    importance = result.mean_abs()
    x_sugg = fraction_matrix([parse_composition(s.alloy_key).fractions for s in suggestions],
                             data.elements)
    drivers = _suggestion_drivers(model, suggestions, x_sugg, background, out, seed, target)
    fit = _model_figures(model, data, x_sugg, out, target)

    importance_file, csv_file = _data_files(out, result.method, n_rows, importance, suggestions)
    extra = [section for section in (
        None if earlier_rounds is None else earlier_rounds_section(earlier_rounds, out),
        None if processing is None else _processing_section(design_route, processing),
        xrd_section(xrd_labels, out),
        None if not objectives else _pareto_section(model, data, suggestions, x_sugg, objectives,
                                                    target, design_palette or data.elements, out),
    ) if section is not None]
    facts = shown_facts(info, out.resolve().parent.parent) | {"notes": info.get("notes", [])}
    page = _page(model, data, suggestions, facts, importance, previous_importance, result.method,
                 n_rows, agreement, extra, drivers=drivers, target=target, explains=result.explains, fit=fit)
    html_file = out / "index.html"
    html_file.write_text(page, encoding="utf-8")
    return ReportFiles(html=html_file, figures=tuple(out / f for f in FIGURES),
                       importance=importance_file, suggestions_csv=csv_file)


def _data_files(out: Path, method: str, n_rows: int, importance: Mapping[str, float],
                suggestions: Sequence[SuggestionRecord]) -> tuple[Path, Path]:
    """``importance.json`` (the next round compares against it) and ``suggestions.csv``."""
    importance_file = out / IMPORTANCE_FILE
    importance_file.write_text(json.dumps({"method": method, "rows": n_rows,
                                           "mean_abs_shap": importance}, indent=2) + "\n",
                               encoding="utf-8")
    csv_file = out / "suggestions.csv"
    write_suggestions_csv(suggestions, csv_file)
    return importance_file, csv_file


def _shap_figures(model, data: RoundData, out: Path,
                  previous_importance: Mapping[str, float] | None, *, shap_rows: int,
                  shap_background: int, seed: int, target: str = SINGLE):
    """SHAP of p(target) (:func:`.shap_values.explained`) on a seeded sample of labelled
    alloys against a sample of training rows: the beeswarm, bar and change figures; returns
    the explanation, how many rows it holds and the background rows (the suggestions are
    explained against the same)."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(data.X), min(shap_rows, len(data.X)), replace=False))
    bg = np.sort(rng.choice(data.train, min(shap_background, len(data.train)), replace=False))
    result = explain(model, data.X[rows], data.X[bg], seed=seed, target=target)
    plots.shap_beeswarm(result, out / "shap_beeswarm.png")
    plots.shap_bar(result, out / "shap_bar.png")
    plots.importance_change(result.mean_abs(), previous_importance, out / "shap_change.png")
    return result, int(len(rows)), data.X[bg]


def _suggestion_drivers(model, suggestions: Sequence[SuggestionRecord], x_sugg: np.ndarray,
                        background: np.ndarray, out: Path, seed: int, target: str = SINGLE
                        ) -> dict[int, list[Driver]]:
    """Each suggestion's own strongest SHAP features of p(target) (:mod:`.suggestion_shap`),
    written to ``suggestion_shap.json``."""
    if not len(suggestions):
        return {}
    result = explain(model, x_sugg, background, seed=seed, target=target)
    found = top_drivers(result)
    ids = [s.id for s in suggestions]
    write_explanations(ids, found, result.method, out)
    return dict(zip(ids, found))


def _model_figures(model, data: RoundData, x_sugg: np.ndarray, out: Path, target: str = SINGLE) -> TargetFit:
    """The latent map (every labelled alloy encoded with its own label, and the
    suggestions), ROC and calibration of p(target) (:mod:`.target_fit`, returned),
    reconstruction and label control. A figure the
    metrics table also shows is printed as the table prints it (the fit's own value: the
    label control uses the fit's seed, so its gap is the table's)."""
    z = model.encode(data.X, data.y)
    z_s = model.encode(x_sugg) if len(x_sugg) else np.empty((0, z.shape[1]))
    z2, z2_s = project(z, z_s)
    plots.latent_maps(z2, data.y, (data.X > 0).sum(axis=1), dominant_group(data.X, data.elements),
                      z2_s, out / "latent_map.png")
    fit = target_fit(model, data, target)
    plots.roc_and_calibration(fit.y, fit.p, out / "roc_calibration.png", auc=fit.auc, ece=fit.ece,
                              p_name=fit.p_name, positive=fit.positive)
    plots.reconstruction_scatter(data.X_val, model.reconstruct(data.X_val),
                                 out / "reconstruction.png",
                                 f"{len(data.X_val)} validation alloys",
                                 tv=lambda v: shown_metric("val_recon_tv", v))
    control = label_control(model, n=500, seed=model.seed)  # the fit's draws: the table's gap
    plots.label_control_hist([control["p1"]], [control["p0"]], ["own classifier"],
                             out / "label_control.png", gap=lambda v: shown_metric("label_gap", v))
    return fit


def _processing_section(route: str | None, counts: Mapping[str, int]) -> tuple[str, str]:
    """Training labels per processing route, with the route the campaign designs for."""
    return ("Training labels by processing route",
            _design_route_line(route, counts)
            + H.table(["processing route", "training labels"], list(counts.items()))
            + '<p class="muted">unknown: the label does not say how the sample was made.</p>')


def _design_route_line(route: str | None, counts: Mapping[str, int]) -> str:
    """The route the campaign designs for, with its training labels, as a paragraph."""
    if route is None:
        return ("<p>Designs for: no particular route (the model does not take the route "
                "as an input; set [model] processing to design for one).</p>")
    return (f"<p>Designs for: <b>{html.escape(route)}</b> ({counts.get(route, 0)} of "
            f"{sum(counts.values())} training labels); every suggestion is scored for this "
            "route.</p>")


def _pareto_section(model, data: RoundData, suggestions, x_sugg: np.ndarray,
                    objectives: Mapping[str, str], target: str, palette: Sequence[str],
                    out: Path) -> tuple[str, str]:
    """The Pareto section (module :mod:`~alloyloop.agent.report.pareto`)."""
    inside = (data.X[:, [i for i, el in enumerate(data.elements) if el not in palette]]
              .sum(axis=1) < 1e-9)
    x_lab = data.X[inside]
    keys = np.asarray(data.keys)[inside]
    by_target = target != SINGLE and gives(model, target)
    p_sugg = (target_proba(model, target)(x_sugg) if by_target and len(x_sugg)
              else np.array([s.p_single for s in suggestions], dtype=np.float64))
    points = pareto_points(p_sugg, x_sugg, [s.alloy_key for s in suggestions],
                           target_proba(model, target if by_target else SINGLE)(x_lab)
                           if len(x_lab) else np.zeros(0), x_lab,
                           list(keys), data.y[inside], data.elements, objectives)
    p_name = f"p({target})" if by_target else "p(single)"
    axes = [get_property(n).label + ("" if n in objectives else " (not an objective)")
            for n in points.names]
    plots.pareto_front(points.p, points.values, axes,
                       points.labels, points.source, points.front, out / PARETO_FIGURE[0],
                       p_name=p_name)
    header, rows = front_table(points, target if by_target else "single")
    rows = [[row[0], H.alloy(row[1]), *row[2:]] for row in rows]
    note = (f"objectives: {', '.join(f'{n} ({d})' for n, d in objectives.items())}; "
            f"{int(points.front.sum())} non-dominated of {len(points.p)} points (suggestions "
            f"and labelled alloys of the design palette); the table shows {len(rows)}: every "
            "suggestion on the front and the labelled alloys with the highest p.")
    note += f" The front is taken among points with {p_name} ≥ 0.5."
    if target != "single" and not by_target:
        note += (f" Target {target}: the front uses p(single): this model was trained on "
                 "single/multi labels (set [model.dvae] label = \"phase4\").")
    return (f"Pareto front: {p_name} and objectives",
            H.figure(PARETO_FIGURE[0], PARETO_FIGURE[1]) + H.table(header, rows)
            + f'<p class="muted">{H.html.escape(note)}</p>')


HASHES = ("data hash", "checkpoint sha256 (meta.json)")
"""Title facts that are hashes: shown short, the whole on hover."""


def _facts(info: Mapping[str, Any], data: RoundData) -> dict[str, Any]:
    """The round's title facts and data counts, hashes short."""
    return {
        **{k: H.code(str(v)) if k in HASHES and v else v for k, v in info.items() if k != "notes"},
        "labelled alloys (train / validation)": f"{len(data.train)} / {len(data.val)}",
        "unlabelled alloys": len(data.X_unlabelled),
        "pending, failed or abandoned alloys (not suggested again)": len(data.X_pending),
        "hidden by the replay oracle (excluded)": data.n_hidden,
        "model palette": ", ".join(data.elements),
    }


def _shap_target_note(target: str, explains: str) -> str:
    """Why a structure campaign's SHAP explains p(single): its model has no structure output."""
    if target == SINGLE or explains != "p(single)":
        return ""
    return (f" Target {H.html.escape(target)}: SHAP explains p(single), as this model was trained on "
            "single/multi labels (set [model.dvae] label = \"phase4\" for p(target)).")


def _page(model, data: RoundData, suggestions, info, importance, previous, method, n_rows,
          agreement: Agreement | None = None, extra: Sequence[tuple[str, str]] = (), *,
          drivers: Mapping[int, Sequence[Driver]] | None = None, target: str = SINGLE,
          explains: str = "p(single)", fit: TargetFit | None = None) -> str:
    m = model.metrics | {"coverage": model.coverage}
    rows = []
    for name in sorted(importance, key=importance.get, reverse=True):
        before = previous.get(name) if previous else None
        rows.append([name, importance[name], before, None if before is None else importance[name] - before])
    figure_header = ["figure", "value", "what it means"]
    sections = [
        ("Round", H.key_values(_facts(info, data))),
        ("Model (validation split)",
         H.table(figure_header, (fit_rows(fit) if fit else []) + metric_rows(m, MODEL_METRICS), numeric=[1])),
        ("Generative half (validation split)",
         H.table(figure_header, metric_rows(m, GENERATIVE_METRICS), numeric=[1])
         + H.figure("reconstruction.png", FIGURES["reconstruction.png"])
         + H.figure("label_control.png", LABEL_CONTROL_STRUCTURE.format(target=target)
                    if fit is not None and fit.by_structure else FIGURES["label_control.png"])),
        ("Suggestions", suggestion_section(suggestions, drivers or {}, target, info.get("notes", []), explains)),
        (f"What drives {explains}: SHAP values of {n_rows} labelled alloys",
         f'<p class="muted">{H.html.escape(method)}.{_shap_target_note(target, explains)}</p>'
         + H.figure("shap_beeswarm.png", FIGURES["shap_beeswarm.png"])
         + H.figure("shap_bar.png", FIGURES["shap_bar.png"])),
        ("Change in importance since the previous round",
         H.figure("shap_change.png", FIGURES["shap_change.png"])
         + H.table(["feature", "mean |SHAP|", "previous round", "change"], rows)),
        ("Latent map", H.figure("latent_map.png", FIGURES["latent_map.png"])),
        ("ROC and calibration", H.figure("roc_calibration.png", caption(fit, FIGURES["roc_calibration.png"])
                                         if fit else FIGURES["roc_calibration.png"])),
    ]
    if agreement is not None:
        sections.append(("CALPHAD against experiment", agreement_html(agreement)))
    sections.extend(extra)
    title = f"{info.get('campaign', 'campaign')} — round {info.get('round', '?')}"
    return H.page(title, sections)
