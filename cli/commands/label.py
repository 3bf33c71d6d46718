"""``alloyloop label …``: enter, import, correct and inspect phase labels."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from alloyloop.cli.commands.db import URL_HELP, store_errors
from alloyloop.cli.commands.label_text import (
    actor,
    describe,
    label_listing,
    login_name,
    print_comparison,
    print_resolution,
)
from alloyloop.cli.commands.tables import RIGHT, Column, Listing
from alloyloop.web.alloy_display import alloy_text
from alloyloop.web.conflict_view import compare

app = typer.Typer(help="Enter, import, correct and inspect phase labels.", no_args_is_help=True)
console = Console()


EVIDENCE_HELP = ("The evidence: https://…, doi:10.…, urn:…, or the path of a local file (a scan, a "
                 "micrograph: copied into the evidence folder the web app serves, as an upload).")


def _refuse_on_problems(file: Path, report) -> None:  # noqa: ANN001 - a LabelImportReport
    """Print an import's per-row problems and exit with 1 (nothing was stored)."""
    if not report.problems:
        return
    table = Listing(Text(f"{file.name}: {len(report.problems)} problem(s), nothing stored", style="bold red"),
                    [Column("row", RIGHT), Column("column"), Column("value"), Column("fix", wrap=True)])
    for p in report.problems:
        table.add_row(str(p.row), p.column, p.value, p.fix)
    console.print(table)
    raise typer.Exit(code=1)


@app.command("add")
def add(
    composition: str = typer.Option(..., "--composition", "-c", help="Any notation: CoCrFeMnNi, Al0.5CoCrFeNi, Co20Cr20Fe20Mn20Ni20."),
    outcome: str = typer.Option(..., "--outcome", "-o", help="single or multi."),
    source: str = typer.Option(..., "--source", "-s", help="experiment, calphad or literature."),
    method: str = typer.Option(None, "--method", "-m", help="XRD, SEM, EBSD, TEM, EDS, APT, ND, DSC, CALPHAD, DFT, unreported, other."),
    phases: str = typer.Option(None, "--phases", "-p", help="Phase detail, e.g. FCC or FCC,BCC or FCC+intermetallic."),
    processing: str = typer.Option(None, "--processing", help="as-cast, 'annealed 1100C 24h', wrought, powder, …"),
    temperature: str = typer.Option(None, "--anneal-temperature", help="Anneal temperature in °C (with --processing annealed), e.g. 1100 or 1100,5."),
    time: str = typer.Option(None, "--anneal-time", help="Anneal time in hours (with --processing annealed), e.g. 24 or 0,5."),
    by: str = typer.Option(None, "--by", help="Who enters the label (default: your login name)."),
    evidence: str = typer.Option(None, "--evidence", help=EVIDENCE_HELP),
    note: str = typer.Option(None, "--note", help="Free text."),
    repeat: bool = typer.Option(False, "--repeat", help="A repeat measurement: store it even if the alloy has an identical current label."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Store one label (a new observation; corrections use `label supersede`)."""
    from alloyloop.agent.label_services import add_label, checked
    from alloyloop.db.session import store_session

    fields = dict(composition=composition, outcome=outcome, source=source, method=method, phases=phases,
                  processing=processing, anneal_temperature_c=temperature, anneal_time_h=time,
                  entered_by=by or login_name(), note=note, repeat=repeat)
    with store_errors():
        checked(**fields, evidence_uri=None if _local_file(evidence) else evidence)
        fields["evidence_uri"] = _evidence(evidence)
    with store_errors(), store_session(url) as session:
        stored = add_label(session, actor=actor(), **fields)
    label = stored.label
    console.print(f"stored label #{label.id} for {label.alloy_key}: {escape(describe(label))}")
    for campaign, index, sid in stored.closed:
        console.print(f"closed suggestion #{sid} of campaign {escape(campaign)}, round {index}")
    print_resolution(stored.resolution)


def _local_file(evidence: str | None) -> Path | None:
    """The local file ``--evidence`` names (a path, or a file:// URI), or None."""
    if not evidence or (":" in evidence.split("/", 1)[0] and not evidence.startswith("file:")):
        return None  # a URI of another scheme (https:, doi:, …), or nothing
    from urllib.parse import unquote, urlparse

    path = Path(unquote(urlparse(evidence).path)) if evidence.startswith("file:") else Path(evidence)
    return path if path.is_file() else None


def _evidence(evidence: str | None) -> str | None:
    """The evidence URI to store: a local file is copied into the evidence folder (checked
    and content-addressed as a web upload) and cited by its URI; anything else as given,
    for the store to check."""
    path = _local_file(evidence)
    if path is None:
        return evidence
    from alloyloop.web.errors import PayloadTooLarge, UnsupportedUpload
    from alloyloop.web.settings import WebSettings
    from alloyloop.web.uploads import EVIDENCE_TYPES, check_type, store_bytes

    settings = WebSettings()
    data = path.read_bytes()
    try:
        if len(data) > settings.max_upload_bytes:
            raise PayloadTooLarge(settings.max_upload_bytes, f"file {path.name!r}")
        ext = check_type(path.name, data, EVIDENCE_TYPES)
    except (UnsupportedUpload, PayloadTooLarge) as exc:
        console.print(f"[red]error:[/red] --evidence {escape(str(path))}: {escape(str(exc.detail))}")
        raise typer.Exit(code=1) from None
    return store_bytes(settings.evidence_dir, data, ext, path.name).uri


def print_notes(report) -> None:  # noqa: ANN001 - a LabelImportReport
    """How the file was read (encoding assumed, separator, extra columns), one line each."""
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")


@app.command("import")
def import_csv(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV with columns composition, outcome (or phase), source[, phases, method, processing, entered_by, evidence_uri, provenance, note]; ';' or tab separated and cp1252 files are read too; other columns are kept in the provenance."),
    source: str = typer.Option(None, "--source", "-s", help="Source of rows without one (the file may then have no source column): experiment, calphad or literature."),
    method: str = typer.Option(None, "--method", "-m", help="Method of rows without one, e.g. XRD."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and preview; store nothing."),
    by: str = typer.Option(None, "--by", help="Who entered rows with an empty entered_by (default: your login name)."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Import labels from a CSV file: every row or none. Exit code 1 when a row is bad."""
    from alloyloop.agent.label_services import import_labels
    from alloyloop.db.session import store_session

    defaults = {"default_entered_by": by or login_name(), "default_source": source, "default_method": method}
    with store_errors(), store_session(url) as session:
        report = import_labels(session, file, actor=actor(), dry_run=dry_run, **defaults)
    print_notes(report)
    _refuse_on_problems(file, report)
    title = (f"{file.name}: {report.new} label(s) would be stored (dry run, nothing stored)"
             if dry_run else f"{file.name}: stored {report.new} label(s)")
    title += skipped_text(report)
    console.print(preview_table(title, report.preview))
    for r in report.preview:
        if r.note:
            console.print(f"* row {r.row}: {escape(r.text)} {escape(r.note)}")


def skipped_text(report) -> str:  # noqa: ANN001 - a LabelImportReport
    """``; skipped 2 duplicate row(s)`` (empty when none)."""
    if not report.skipped:
        return ""
    return (f"; skipped {report.skipped} duplicate row(s) (identical to a current label or an earlier row; "
            "mark repeat measurements with yes in a repeat column)")


def preview_table(title: str, preview, detail: dict[int, str] | None = None) -> Listing:  # noqa: ANN001
    """Rows of an import: the input as written beside its canonical key, so a row can be
    traced back; at 80 columns one record a row, the key whole on its own line."""
    table = Listing(title, [Column("row", RIGHT), Column("input"), Column("canonical key"), Column("label"),
                            Column("source/method"), Column("processing"), Column("alloy"), Column("id"),
                            Column("note", wrap=True)], head=3)
    for r in preview:
        notes = [f"duplicate of {r.duplicate_of}: skipped"] if r.duplicate_of else []
        notes += ["conflict"] if r.conflict else []
        notes += [detail[r.row]] if detail and detail.get(r.row) else []
        table.add_row(str(r.row), r.text + (" *" if r.note else ""),  # * explained below the table
                      Text(r.key, style="cyan"), r.outcome + (f" ({'+'.join(r.phases)})" if r.phases else ""),
                      f"{r.source}/{r.method}", r.processing or "", "new" if r.new_alloy else "known",
                      "" if r.label_id is None else f"#{r.label_id}", "; ".join(notes))
    return table


@app.command("list")
def list_labels(
    composition: str = typer.Argument(..., help="The alloy, any notation or its canonical key."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Every label of an alloy (corrections included) and its training label."""
    from alloyloop.agent.label_services import label_history
    from alloyloop.db.session import store_session

    with store_errors(), store_session(url) as session:
        found = label_history(session, composition)
    key, labels = found.key, found.labels
    if not labels:
        console.print(f"no labels for {key}")
        raise typer.Exit(code=1)
    console.print(f"labels of {alloy_text(key).notation}")
    console.print(f"key {key}")
    console.print(label_listing(None, labels))
    comparison = compare(labels)
    if comparison is not None and comparison.disagree:
        print_comparison(comparison)
    else:
        print_resolution(found.resolution)


@app.command("supersede")
def supersede(
    label_id: int = typer.Argument(..., help="The label to correct (see `label list`)."),
    outcome: str = typer.Option(None, "--outcome", "-o"),
    phases: str = typer.Option(None, "--phases", "-p"),
    source: str = typer.Option(None, "--source", "-s"),
    method: str = typer.Option(None, "--method", "-m"),
    processing: str = typer.Option(None, "--processing"),
    temperature: str = typer.Option(None, "--anneal-temperature", help="Anneal temperature in °C."),
    time: str = typer.Option(None, "--anneal-time", help="Anneal time in hours."),
    composition: str = typer.Option(None, "--composition", "-c", help="Only if the label was entered for the wrong alloy."),
    by: str = typer.Option(None, "--by"),
    evidence: str = typer.Option(None, "--evidence", help=EVIDENCE_HELP),
    note: str = typer.Option(None, "--note", help="Why the correction."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Correct a label: a new label replaces it for training; the old one is kept.
    Give at least one option that changes it (outcome, phases, source, method, processing,
    composition, evidence or note)."""
    from alloyloop.agent.label_services import correct_label
    from alloyloop.db.session import store_session

    with store_errors(), store_session(url) as session:
        stored = correct_label(session, label_id, actor=actor(), outcome=outcome, phases=phases,
                               source=source, method=method, processing=processing,
                               anneal_temperature_c=temperature, anneal_time_h=time,
                               composition=composition, entered_by=by or login_name(),
                               evidence_uri=_evidence(evidence), note=note)
    label = stored.label
    console.print(f"label #{label_id} superseded by #{label.id} for {label.alloy_key}: "
                  f"{escape(describe(label))}")
    print_resolution(stored.resolution)


@app.command("conflicts")
def conflicts(
    limit: int = typer.Option(50, "--limit", help="Show at most this many alloys."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Alloys whose current labels disagree (excluded from training until resolved)."""
    from alloyloop.agent.label_services import conflicts as find_conflicts
    from alloyloop.db.session import store_session

    with store_errors(), store_session(url) as session:
        total, shown = find_conflicts(session, limit)
    if not total:
        console.print("no alloy has conflicting labels")
        return
    console.print(f"{total} alloy(s) with conflicting labels" + (f", the first {len(shown)}" if len(shown) < total else ""))
    for alloy, current in shown:
        comparison = compare(current)
        if comparison is None:
            continue
        console.print()
        notation = alloy_text(alloy.key).notation
        console.print(Text(alloy.key, style="bold cyan"), *([Text(f"({notation})")] if notation != alloy.key else []))
        print_comparison(comparison)
        listing = Listing(None, [Column("id"), Column("outcome"), Column("source/method"), Column("processing"),
                                 Column("by"), Column("entered")], head=2)
        for side in comparison.sides:
            for lb in side.labels:
                listing.add_row(f"#{lb.id}", side.outcome, f"{lb.source}/{lb.method}", str(lb.processing_state or ""),
                                lb.entered_by or "", lb.created_at.strftime("%Y-%m-%d"))
        console.print(Padding(listing, (0, 0, 0, 4), expand=False))
    console.print("evidence and notes: alloyloop label list KEY")


@app.command("calphad")
def calphad(
    campaign: str = typer.Argument(..., help="The campaign whose open suggestions to label."),
    tdb: str = typer.Option(None, "--tdb", help="TDB file, or pycalphad:NAME for a database pycalphad ships (e.g. pycalphad:alcocrni.tdb); default: the spec's."),
    temperature: list[float] = typer.Option(None, "--temperature", "-T", help="Equilibrium temperature in kelvin; repeat for several (single only if single at each); default: the spec's."),
    threshold: float = typer.Option(None, "--threshold", help="Mole fraction one solid solution must hold to be single (default: the spec's, else 0.99)."),
    timeout: float = typer.Option(None, "--timeout", help="Time limit of one equilibrium, seconds (default: the spec's, else 120)."),
    workers: int = typer.Option(None, "--workers", min=1, help="Calculations at once (worker processes; default: the spec's, else 1)."),
    round_index: int = typer.Option(None, "--round", help="Only this round's suggestions (default: every open one)."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Label a campaign's open suggestions with pycalphad equilibria (no Prefect)."""
    from alloyloop.agent.calphad.campaign_labels import labeler_for_campaign
    from alloyloop.agent.calphad.pool import PoolError
    from alloyloop.agent.campaign_ops import spec_of
    from alloyloop.agent.rounds.labelling import label_open
    from alloyloop.campaigns.tdb import TdbError
    from alloyloop.db.session import store_sessions

    with store_errors(), store_sessions(url) as sessions:
        with sessions() as session:
            spec = spec_of(session, campaign)
        try:
            labeler = labeler_for_campaign(spec, tdb=tdb, temperatures=temperature or (),
                                           threshold=threshold, timeout_s=timeout, workers=workers)
            console.print(f"pycalphad with {labeler.database.name} (sha256 prefix {labeler.database.sha256[:12]}) "
                          f"at {', '.join(f'{t:g} K' for t in labeler.temperatures)}, "
                          f"{labeler.workers} worker(s), {labeler.timeout_s:g} s per calculation")
            user = login_name()
            done = label_open(sessions, campaign, labeler, round_index, newest=False,
                              by=f"calphad labeler ({user})" if user else None)
        except (TdbError, PoolError, ValueError) as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(code=1) from None
    if not done.job.open:
        console.print(f"campaign {campaign} has no open suggestions to label")
        return
    console.print(_calphad_table(campaign, done))
    facts = done.facts
    labelled = sum(r.outcome is not None for r in done.results)
    mean = (f", {facts['mean_equilibrium_s']:.2f} s per equilibrium"
            if facts["mean_equilibrium_s"] is not None else "")
    console.print(f"labelled {labelled}, not labelled {len(done.results) - labelled} "
                  f"({facts['skipped']} with elements the database does not cover); "
                  f"{facts['equilibria']} equilibria{mean}"
                  + (f", {facts['cached_equilibria']} read from the equilibrium cache"
                     if facts.get("cached_equilibria") else ""))


def _calphad_table(campaign: str, done) -> Listing:  # noqa: ANN001 - a rounds.labelling.Labelling
    """One row per suggestion: round, alloy, result (the label, or not labelled), time,
    phase fractions, note."""
    table = Listing(f"{campaign}: CALPHAD labels", [Column("round", RIGHT), Column("alloy"), Column("result"),
                                                    Column("time", RIGHT), Column("phase fractions"),
                                                    Column("note", wrap=True)], head=2)
    for s, result in zip(done.job.open, done.results):
        calcs = result.detail.calculations
        fractions = " | ".join(f"{t:g} K: {', '.join(f'{a.name} {a.fraction:.3f}' for a in r.amounts)}"
                               for t, r in calcs if r.ok)
        label = (Text(f"{result.outcome} ({'+'.join(result.phases)})") if result.outcome
                 else Text("not labelled", style="yellow"))
        took = sum(r.seconds or 0 for _, r in calcs)
        table.add_row(str(done.job.index_of[s.round_id]), s.alloy_key, label, f"{took:.2f} s" if calcs else "–",
                      fractions, result.note or "")
    return table


@app.command("import-calphad")
def import_calphad(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV with columns composition, temperature, phase_fractions[, database, entered_by, evidence_uri, note]; fractions as FCC_A1=0.7;BCC_B2=0.3."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and preview; store nothing."),
    threshold: float = typer.Option(0.99, "--threshold", help="Mole fraction one solid solution must hold to be single."),
    database: str = typer.Option(None, "--database", help="Database of rows with an empty database cell (e.g. TCHEA5)."),
    by: str = typer.Option(None, "--by", help="Who entered rows with an empty entered_by (default: your login name)."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Import CALPHAD results computed elsewhere (one calphad label per row): every row or none."""
    from alloyloop.agent.calphad.csv_import import import_calphad_csv
    from alloyloop.agent.label_services import import_audited
    from alloyloop.db.session import store_session

    if not 0.5 < threshold <= 1:
        console.print(f"[red]error:[/red] --threshold {threshold}: give a mole fraction above 0.5 and at most 1")
        raise typer.Exit(code=1)
    with store_errors(), store_session(url) as session:
        def run_import():  # noqa: ANN202
            return import_calphad_csv(session, file, dry_run=dry_run, threshold=threshold,
                                      database=database, default_entered_by=by or login_name())

        report = import_audited(session, file, actor=actor(), dry_run=dry_run, run_import=run_import)
    print_notes(report)
    _refuse_on_problems(file, report)
    title = (f"{file.name}: {report.new} CALPHAD label(s) would be stored (dry run, nothing stored)"
             if dry_run else f"{file.name}: stored {report.new} CALPHAD label(s)") + skipped_text(report)
    console.print(preview_table(title, report.preview, report.details))
