"""``alloyloop label from-xrd FILE -c COMP``: a label from a diffraction pattern.

The pattern is analysed (:mod:`alloyloop.agent.xrd`), the proposal printed (fits 80
columns), and the person accepts, edits or rejects it — at the prompt, or with
``--accept`` / ``--outcome`` (and ``--reject``) in scripts. The label is stored with source
``experiment``, method ``XRD``, the pattern file as evidence (copied, content-addressed, into
the evidence folder the web app serves) and the analysis with the review as provenance.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alloyloop.cli.commands.db import URL_HELP, store_errors

console = Console()


def proposal_tables(analysis) -> list[Table]:  # noqa: ANN001 - an XrdAnalysis
    """The phases and the peak table of a proposal, each narrow enough for 80 columns."""
    phases = Table(title="phases", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("#", "phase", "a (Å)", "c (Å)", "Vegard a", "conf.", "peaks"):
        phases.add_column(col, justify="right" if col not in ("phase",) else "left")
    for k, p in enumerate(analysis.phases):
        sigma = f"±{p.a_sigma:.4f}" if p.a_sigma else ""
        phases.add_row(str(k + 1), p.structure, f"{p.a:.4f}{sigma}", f"{p.c:.4f}" if p.c else "",
                       f"{p.vegard_a:.3f}" if p.vegard_a else "", f"{p.confidence:.2f}",
                       f"{p.peaks_matched}/{p.reflections_expected}")
    peaks = Table(title="peaks", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("2θ (°)", "d (Å)", "I (%)", "FWHM", "S/N", "phase", "hkl"):
        peaks.add_column(col, justify="right" if col not in ("phase", "hkl") else "left")
    for p in analysis.peaks:
        phase = "unexplained" if p.phase is None else f"{p.phase + 1} {analysis.phases[p.phase].structure}"
        peaks.add_row(f"{p.two_theta:.3f}", f"{p.d:.4f}", f"{p.relative:.1f}", f"{p.fwhm:.3f}",
                      f"{p.snr:.0f}", phase, p.hkl or "")
    return [phases, peaks]


def _ask_label(default_outcome: str | None, default_phases: tuple[str, ...]) -> tuple[str, str]:
    outcome = typer.prompt("outcome (single / multi)", default=default_outcome or None)
    phases = typer.prompt("phases (e.g. FCC or FCC,BCC; empty for none)",
                          default=",".join(default_phases) or "", show_default=bool(default_phases))
    return outcome, phases


def from_xrd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The pattern: .xy/.xye/.csv/.txt/.dat (2θ, intensity) or PANalytical .xrdml."),
    composition: str = typer.Option(..., "--composition", "-c", help="The alloy, any notation (its Vegard lattice parameters start the search)."),
    wavelength: str = typer.Option(None, "--wavelength", "-w", help="Anode (Cu, Co, Mo, Cr, Fe, Ag; CuKa1 for Kα1 only) or λ in Å; default: the file's, else Cu Kα."),
    accept: bool = typer.Option(False, "--accept", help="Store the proposal as it is (no prompt)."),
    outcome: str = typer.Option(None, "--outcome", "-o", help="Store this outcome instead of the proposal's (no prompt)."),
    phases: str = typer.Option(None, "--phases", "-p", help="With --outcome: the phases, e.g. FCC,BCC."),
    reject: bool = typer.Option(False, "--reject", help="With --outcome: the proposal is wrong (recorded as rejected)."),
    processing: str = typer.Option(None, "--processing", help="as-cast, 'annealed 1100C 24h', …"),
    by: str = typer.Option(None, "--by", help="Who enters the label (default: your login name)."),
    note: str = typer.Option(None, "--note", help="Free text."),
    plot: Path = typer.Option(None, "--plot", dir_okay=False, help="Also write the pattern with its indexed peaks as a PNG here."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the proposal; store nothing."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Propose a phase label from an XRD pattern; accept, edit or reject it; store it."""
    from alloyloop.agent.xrd.analysis import analyse
    from alloyloop.agent.xrd.pattern import Radiation
    from alloyloop.agent.xrd.provenance import provenance_text, review
    from alloyloop.agent.xrd.readers import read_pattern
    from alloyloop.cli.commands.label import _actor, _describe, _print_resolution, _user
    from alloyloop.db.alloys import parse_alloy
    from alloyloop.db.audit import add_label_audited
    from alloyloop.db.errors import InvalidValue
    from alloyloop.db.labels import LabelInput
    from alloyloop.db.session import store_session
    from alloyloop.web.settings import WebSettings
    from alloyloop.web.uploads import store_bytes

    if accept and (outcome or reject):
        _fail("--accept stores the proposal: leave out --outcome and --reject, or --accept")
    if (phases or reject) and not outcome:
        _fail("--phases and --reject go with --outcome (the label you store instead of the proposal)")
    with store_errors():
        alloy = parse_alloy(composition)
        try:
            radiation = Radiation.of(wavelength, "given with --wavelength") if wavelength else None
            pattern = read_pattern(file, radiation=radiation)
        except ValueError as exc:
            _fail(str(exc))
        result = analyse(pattern, dict(alloy.fractions), composition_key=alloy.key)
        console.print(f"[bold]{escape(file.name)}[/bold] · {alloy.key} · {escape(pattern.radiation.label)} · "
                      f"2θ {result.two_theta_range[0]:g}–{result.two_theta_range[1]:g}° · analysis {result.version}")
        for table in proposal_tables(result):
            console.print(table)
        for line in result.notes:
            console.print(f"[yellow]note:[/yellow] {escape(line)}")
        proposed = (f"{result.outcome}" + (f" ({'+'.join(result.proposed_phases)})" if result.proposed_phases else "")
                    if result.outcome else "none (no lattice explains the peaks)")
        console.print(f"proposed label: [bold]{escape(proposed)}[/bold]")
        if plot is not None:
            from alloyloop.agent.xrd.plot import pattern_png

            plot.write_bytes(pattern_png(pattern, result))
            console.print(f"plot: {plot}")
        if dry_run:
            console.print("dry run: nothing stored")
            return
        rejected = reject
        if accept:
            if result.outcome is None:
                _fail("there is no proposal to accept: give --outcome (and --phases)")
            chosen, chosen_phases = result.outcome, ",".join(result.proposed_phases)
        elif outcome:
            chosen, chosen_phases = outcome, phases or ""
        else:
            with _answers_needed():
                answer = typer.prompt("accept / edit / reject", default="accept" if result.outcome else "reject")
                word = answer.strip().lower()[:1]
                if word == "a" and result.outcome:
                    chosen, chosen_phases = result.outcome, ",".join(result.proposed_phases)
                elif word in ("e", "a"):
                    chosen, chosen_phases = _ask_label(result.outcome, result.proposed_phases)
                elif word == "r":
                    rejected = True
                    chosen, chosen_phases = _ask_label(None, ())
                else:
                    _fail(f"{answer!r}: answer accept, edit or reject (a, e, r)")
        from alloyloop.db.vocab import parse_outcome, parse_phases

        try:
            stored_outcome = parse_outcome(chosen).value
            stored_phases = [p.value for p in parse_phases(chosen_phases or None)]
        except InvalidValue as exc:
            _fail(str(exc))
        decision = review(result, outcome=stored_outcome, phases=stored_phases, rejected=rejected)
        fields = dict(composition=alloy.key, outcome=stored_outcome, phases=stored_phases, source="experiment",
                      method="XRD", processing=processing, entered_by=by or _user(),
                      provenance=provenance_text(result, decision), note=note)
        LabelInput.build(**fields)  # every problem before the pattern is copied
        evidence = store_bytes(WebSettings().evidence_dir, file.read_bytes(), _suffix(file), file.name)
        with store_session(url) as session:
            label = add_label_audited(session, actor=_actor(), evidence_uri=evidence.uri, **fields)
            console.print(f"stored label #{label.id} for {label.alloy_key}: {escape(_describe(label))} "
                          f"(proposal {decision.decision})")
            _print_resolution(session, label.alloy_key)


NO_TERMINAL = ("no answer to the prompt (no terminal): add --accept to store the proposal, "
               "--outcome (with --phases, and --reject if the proposal is wrong) to store your own label, "
               "or --dry-run to only see the proposal")


@contextmanager
def _answers_needed() -> Iterator[None]:
    """The prompt's input ended (a script, a pipe, no terminal): say which option answers it."""
    try:
        yield
    except typer.Abort:
        if sys.stdin is not None and sys.stdin.isatty():
            raise
        _fail(NO_TERMINAL)


def _suffix(file: Path) -> str:
    return file.suffix.lower().lstrip(".") or "xy"


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code=1)
