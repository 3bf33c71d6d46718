"""``alloyloop model fit`` and ``alloyloop model predict``: the phase model on your own data.

Both commands check every row of every input file first; if any row is bad they print
one line per problem (file, row, column, value, fix), write nothing and exit with 1.
With ``--skip-invalid`` they drop the rows whose composition cannot be featurized (and
only those: a bad phase label still refuses the file), list each dropped row with its
value and reason, and go on with the rest.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="Fit the phase model on your data and predict with it.",
                  no_args_is_help=True)
console = Console()


SKIP_HELP = ("Drop rows whose composition cannot be featurized (listed: row, value, reason) "
             "instead of refusing the file.")


def _fail(errors) -> None:
    # Plain, unwrapped lines: one problem per line, easy to grep or paste into an issue.
    typer.echo(f"{len(errors)} problem(s); nothing was written:", err=True)
    for e in errors:
        typer.echo(f"  {e}", err=True)
    hint = sum(e.skippable for e in errors)
    if hint and hint == len(errors):
        typer.echo("  (--skip-invalid drops these rows and goes on with the others)", err=True)
    raise typer.Exit(code=1)


def _checked(errors: list, skip_invalid: bool) -> None:
    """Fail on any problem, or with ``skip_invalid`` list and drop unfeaturizable rows
    (any other problem still fails)."""
    if skip_invalid and errors and all(e.skippable for e in errors):
        typer.echo(f"skipped {len(errors)} row(s) that cannot be featurized:", err=True)
        for e in errors:
            typer.echo(f"  {e}", err=True)
        return
    if errors:
        _fail(errors)


def _say_how_read(*tables) -> None:  # noqa: ANN002 - CompositionTables
    """Notes on how the files were read (encoding assumed, separators, conversions)."""
    for table in tables:
        if table is None:
            continue
        for note in table.read_notes:
            typer.echo(f"note: {note}", err=True)
        converted = sum(bool(n) for n in table.notes)
        if converted:
            typer.echo(f"note: {converted} composition(s) given in wt.% were converted to mole "
                       "fractions with atomic masses (pymatgen, IUPAC)", err=True)


@app.command("fit")
def fit(
    labelled: Path = typer.Option(..., "--labelled", exists=True, dir_okay=False,
                                  help="CSV with 'composition' and 'phase' (or 'outcome') columns."),
    out: Path = typer.Option(..., "--out", help="Directory to write the model to."),
    unlabelled: Path = typer.Option(None, "--unlabelled", exists=True, dir_okay=False,
                                    help="CSV with a 'composition' column (no labels)."),
    validation: Path = typer.Option(None, "--validation", exists=True, dir_okay=False,
                                    help="Labelled CSV for early stopping and calibration "
                                    "(default: 10 % of --labelled, stratified)."),
    seed: int = typer.Option(0, "--seed", help="Seed of every random draw."),
    latent_dim: int = typer.Option(None, "--latent-dim", help="Latent size (default 2)."),
    prior: str = typer.Option(None, "--prior", help="'expert' (default) or 'flat'."),
    max_epochs: int = typer.Option(None, "--max-epochs", help="Upper bound on epochs."),
    vae_max_epochs: int = typer.Option(None, "--vae-max-epochs",
                                       help="Upper bound on the VAE phase's epochs (default 200)."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help=SKIP_HELP),
) -> None:
    """Fit the semi-supervised disentangled VAE and save it to --out."""
    import dataclasses

    from alloyloop.models.checkpoint import CheckpointError, check_writable
    from alloyloop.models.config import ConfigError, DVAEConfig
    from alloyloop.models.tabular import TableError, read_table

    errors: list = []
    overrides = {k: v for k, v in (("latent_dim", latent_dim), ("prior", prior),
                                   ("max_epochs", max_epochs), ("vae_max_epochs", vae_max_epochs))
                 if v is not None}
    if max_epochs is not None:
        overrides["min_epochs"] = min(DVAEConfig().min_epochs, max_epochs)
    try:
        config = dataclasses.replace(DVAEConfig(), **overrides)
    except ConfigError as exc:
        errors.append(TableError("options", None, "-", "", str(exc)))
        config = None
    try:
        check_writable(out)
    except CheckpointError as exc:
        errors.append(TableError(str(out), None, "-", "", str(exc)))

    lab, bad = read_table(labelled, labelled=True)
    errors += bad
    unl = val = None
    if unlabelled is not None:
        unl, bad = read_table(unlabelled, labelled=False)
        errors += bad
    if validation is not None:
        val, bad = read_table(validation, labelled=True)
        errors += bad
    _checked(errors, skip_invalid)
    if lab.labels is not None and len(set(lab.labels.tolist())) < 2:
        _fail([TableError(labelled.name, None, "phase", "", "every row has the same phase: the "
                          "model needs single and multi examples")])
    _say_how_read(lab, unl, val)

    from alloyloop.featurize.matrix import elements_in
    from alloyloop.models.dvae import DisentangledVAE

    tables = [t for t in (lab, unl, val) if t is not None]
    palette = elements_in(comp for t in tables for comp in t.fractions)
    model = DisentangledVAE(config, elements=palette, seed=seed)
    with console.status(f"fitting on {len(lab.fractions)} labelled alloys…"):
        try:
            model.fit(lab.matrix(palette), lab.labels,
                      X_unlabelled=None if unl is None else unl.matrix(palette),
                      X_val=None if val is None else val.matrix(palette),
                      y_val=None if val is None else val.labels)
        except ValueError as exc:  # e.g. too few rows of a class for a validation split
            typer.echo(f"cannot fit; nothing was written: {exc}", err=True)
            raise typer.Exit(code=1) from None
    model.save(out)
    m = model.metrics
    console.print(
        f"model written to {out}: {len(palette)} elements, {m['n_train']} training / "
        f"{m['n_validation']} validation / {m['n_unlabelled']} unlabelled alloys, "
        f"{m['epochs']} epochs (best {m['best_epoch']}), {m['fit_seconds']:.1f} s\n"
        f"validation: balanced accuracy {m['val_balanced_accuracy']:.3f}, "
        f"ROC AUC {m['val_auc']:.3f}, ECE {m['val_ece']:.3f} (temperature "
        f"{m['temperature']:.2f})"
    )


@app.command("predict")
def predict(
    model_dir: Path = typer.Option(..., "--model", exists=True, file_okay=False,
                                   help="Directory written by 'alloyloop model fit'."),
    input_csv: Path = typer.Option(..., "--input", exists=True, dir_okay=False,
                                   help="CSV with a 'composition' column."),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="CSV to write."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help=SKIP_HELP),
) -> None:
    """Add p_single, the conformal set and in_domain to every row of --input (with its file
    line and canonical key, so each prediction traces back to its row)."""
    from alloyloop.models.checkpoint import CheckpointError
    from alloyloop.models.dvae import DisentangledVAE
    from alloyloop.models.tabular import TableError, read_table

    try:
        model = DisentangledVAE.load(model_dir)
    except (CheckpointError, ValueError, KeyError) as exc:
        typer.echo(f"cannot load the model; nothing was written: {exc}", err=True)
        raise typer.Exit(code=1) from None
    table, errors = read_table(input_csv, labelled=False, palette=model.elements)
    _checked(errors, skip_invalid)
    if not table.fractions:
        _fail([TableError(input_csv.name, None, "composition", "", "no row is left to predict")])
    _say_how_read(table)
    detail = model.predict_detail(table.matrix(model.elements))
    frame = table.frame.copy()
    at = list(frame.columns).index(table.text_column) + 1
    if any(table.notes):
        frame.insert(at, "read_as", table.notes, allow_duplicates=True)
    frame.insert(at, "key", table.keys, allow_duplicates=True)
    frame.insert(0, "line", table.lines, allow_duplicates=True)
    frame["p_single"] = detail.p_single.round(6)
    frame["set"] = detail.sets
    frame["in_domain"] = detail.in_domain
    frame["domain_score"] = detail.domain_score.round(4)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(out)
    n_out = int((~detail.in_domain).sum())
    n_unsure = int((detail.set_single & detail.set_multi).sum())
    console.print(f"wrote {len(frame)} predictions to {out}: {n_unsure} with both phases in "
                  f"the {model.coverage:.0%} conformal set, {n_out} outside the "
                  "model's domain of applicability")
