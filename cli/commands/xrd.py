"""``alloyloop label from-xrd FILE -c COMP``: a label from a diffraction pattern.

The pattern is analysed (:mod:`alloyloop.agent.xrd`), the proposal printed (fits 80
columns), and the person accepts, edits or rejects it — at the prompt, or with
``--accept`` / ``--outcome`` (and ``--reject``) in scripts. Given a folder, every pattern in
it is analysed in one process (the imports, most of a single call's time, paid once): a table
of proposals, then each file's decision as for one file. The label is stored with source
``experiment``, method ``XRD``, the pattern file as evidence (copied, content-addressed, into
the evidence folder the web app serves) and the analysis with the review as provenance.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from alloyloop.cli.commands.db import URL_HELP, store_errors
from alloyloop.cli.commands.tables import RIGHT, Column, Listing

console = Console()


def proposal_tables(analysis) -> list[Listing]:  # noqa: ANN001 - an XrdAnalysis
    """The phases and the peak table of a proposal, each narrow enough for 80 columns."""
    phases = Listing("phases", [Column("#", RIGHT), Column("phase"), *(Column(c, RIGHT) for c in (
        "a (Å)", "c (Å)", "Vegard a", "conf.", "peaks"))], head=2)
    for k, p in enumerate(analysis.phases):
        sigma = f"±{p.a_sigma:.4f}" if p.a_sigma else ""
        phases.add_row(str(k + 1), p.structure, f"{p.a:.4f}{sigma}", f"{p.c:.4f}" if p.c else "",
                       f"{p.vegard_a:.3f}" if p.vegard_a else "", f"{p.confidence:.2f}",
                       f"{p.peaks_matched}/{p.reflections_expected}")
    peaks = Listing("peaks", [*(Column(c, RIGHT) for c in ("2θ (°)", "d (Å)", "I (%)", "FWHM", "S/N")),
                              Column("phase"), Column("hkl")])
    for p in analysis.peaks:
        # a peak with a label but no phase is an inclusion's (``111 MX``): not an alloy phase
        phase = ("unexplained" if not p.hkl else "inclusion") if p.phase is None else \
            f"{p.phase + 1} {analysis.phases[p.phase].structure}"
        peaks.add_row(f"{p.two_theta:.3f}", f"{p.d:.4f}", f"{p.relative:.1f}", f"{p.fwhm:.3f}",
                      f"{p.snr:.0f}", phase, p.hkl or "")
    return [phases, peaks]


def _ask_label(default_outcome: str | None, default_phases: tuple[str, ...]) -> tuple[str, str]:
    outcome = typer.prompt("outcome (single / multi)", default=default_outcome or None)
    phases = typer.prompt("phases (e.g. FCC or FCC,BCC; empty for none)",
                          default=",".join(default_phases) or "", show_default=bool(default_phases))
    return outcome, phases


def from_xrd(
    file: Path = typer.Argument(..., exists=True, help="The pattern: .xy/.xye/.csv/.txt/.dat (2θ, intensity), PANalytical .xrdml, Rigaku .ras, Bruker .uxd or Fit2D .chi; or a folder of them (one table of proposals, then each file in turn)."),
    composition: str = typer.Option(None, "--composition", "-c", help="The alloy, any notation (its Vegard lattice parameters start the search). For a folder: every file's alloy, else each file name's part before the first '_' (Al0.5CoCrFeNi_cast.xy)."),
    wavelength: str = typer.Option(None, "--wavelength", "-w", help="Anode (Cu, Co, Mo, Cr, Fe, Ag; CuKa1 for Kα1 only) or λ in Å; default: the file's, else Cu Kα."),
    accept: bool = typer.Option(False, "--accept", help="Store the proposal as it is (no prompt)."),
    outcome: str = typer.Option(None, "--outcome", "-o", help="Store this outcome instead of the proposal's (no prompt)."),
    phases: str = typer.Option(None, "--phases", "-p", help="With --outcome: the phases, e.g. FCC,BCC."),
    reject: bool = typer.Option(False, "--reject", help="With --outcome: the proposal is wrong (recorded as rejected)."),
    processing: str = typer.Option(None, "--processing", help="as-cast, 'annealed 1100C 24h', …"),
    by: str = typer.Option(None, "--by", help="Who enters the label (default: your login name)."),
    note: str = typer.Option(None, "--note", help="Free text."),
    plot: Path = typer.Option(None, "--plot", help="Also write the pattern with its indexed peaks as a PNG here (for a folder: a folder for the PNGs)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the proposal; store nothing."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Propose a phase label from an XRD pattern (or each pattern of a folder); accept, edit or reject it; store it."""
    # the analysis solves many small least-squares problems: BLAS threads only contend for the
    # cores there (measured: 2.6 s instead of 5.5 s wall for one scan on 2 busy cores)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    if accept and (outcome or reject):
        _fail("--accept stores the proposal: leave out --outcome and --reject, or --accept")
    if (phases or reject) and not outcome:
        _fail("--phases and --reject go with --outcome (the label you store instead of the proposal)")
    options = dict(accept=accept, outcome=outcome, phases=phases, reject=reject, processing=processing, by=by,
                   note=note, url=url)
    if file.is_dir():
        _folder(file, composition, wavelength, plot, dry_run, options)
        return
    if not composition:
        _fail("give the alloy with --composition (-c), e.g. -c Al0.5CoCrFeNi")
    with store_errors():
        from alloyloop.db.alloys import parse_alloy

        alloy = parse_alloy(composition)
        pattern, result = _analysed(file, alloy, wavelength)
        _print_proposal(file, alloy, pattern, result, plot)
        if dry_run:
            console.print("dry run: nothing stored")
            return
        _decide_and_store(file, alloy, result, **options)


def _analysed(file: Path, alloy, wavelength: str | None):  # noqa: ANN001, ANN202 - an Alloy; (Pattern, XrdAnalysis)
    from alloyloop.agent.xrd.pattern import Radiation
    from alloyloop.agent.xrd.readers import read_pattern
    from alloyloop.agent.xrd_labels import analysed

    try:
        radiation = Radiation.of(wavelength, "given with --wavelength") if wavelength else None
        pattern = read_pattern(file, radiation=radiation)
    except ValueError as exc:
        _fail(str(exc))
    return pattern, analysed(pattern, alloy)[1]


def _proposed(result) -> str:  # noqa: ANN001 - an XrdAnalysis
    from alloyloop.agent.xrd_labels import proposal_text

    return proposal_text(result)


def _print_proposal(file: Path, alloy, pattern, result, plot: Path | None) -> None:  # noqa: ANN001
    console.print(f"[bold]{escape(file.name)}[/bold] · {alloy.key} · {escape(pattern.radiation.label)} · "
                  f"2θ {result.two_theta_range[0]:g}–{result.two_theta_range[1]:g}° · analysis {result.version}")
    for table in proposal_tables(result):
        console.print(table)
    if result.phases:
        console.print(f"shift: {escape(result.shift_text)}")
    for line in result.notes:
        console.print(f"[yellow]note:[/yellow] {escape(line)}")
    console.print(f"proposed label: [bold]{escape(_proposed(result))}[/bold]")
    if plot is not None:
        from alloyloop.agent.xrd.plot import pattern_png

        plot.write_bytes(pattern_png(pattern, result))
        console.print(f"plot: {plot}")


def _decide_and_store(file: Path, alloy, result, *, accept: bool, outcome: str | None, phases: str | None,  # noqa: ANN001
                      reject: bool, processing: str | None, by: str | None, note: str | None,
                      url: str | None) -> None:
    """Accept / edit / reject (flags or the prompt) and store the label with its evidence."""
    from alloyloop.agent.label_services import add_label, checked
    from alloyloop.agent.xrd_labels import decided, label_fields
    from alloyloop.cli.commands.label_text import actor, describe, login_name, print_resolution
    from alloyloop.db.errors import InvalidValue
    from alloyloop.db.session import store_session
    from alloyloop.web.settings import WebSettings
    from alloyloop.web.uploads import store_bytes

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
    try:
        chosen_label = decided(result, outcome=chosen, phases=chosen_phases or None, rejected=rejected)
    except InvalidValue as exc:
        _fail(str(exc))
    fields = dict(composition=alloy.key, processing=processing, entered_by=by or login_name(), note=note)
    fields |= label_fields(chosen_label)
    checked(**fields)  # every problem before the pattern is copied
    evidence = store_bytes(WebSettings().evidence_dir, file.read_bytes(), _suffix(file), file.name)
    with store_session(url) as session:
        stored = add_label(session, actor=actor(), **(fields | {"evidence_uri": evidence.uri}))
    console.print(f"stored label #{stored.label.id} for {stored.label.alloy_key}: {escape(describe(stored.label))} "
                  f"(proposal {chosen_label.review.decision})")
    print_resolution(stored.resolution)


def _file_alloy(file: Path, composition: str | None):  # noqa: ANN202 - (Alloy | None, problem | None)
    from alloyloop.db.alloys import parse_alloy
    from alloyloop.db.errors import StoreError

    text = composition or file.stem.split("_")[0].strip()
    try:
        return parse_alloy(text), None
    except (StoreError, ValueError):
        return None, (f"no alloy in the name ({text!r}): give -c or name it <alloy>_….xy"
                      if not composition else f"composition {composition!r} is not an alloy")


def _folder(folder: Path, composition: str | None, wavelength: str | None, plot: Path | None, dry_run: bool,
            options: dict) -> None:
    """Every pattern file of ``folder``: one table of proposals (the imports and the analysis
    paid once), then — unless a dry run — each file's label as for one file."""
    from alloyloop.agent.xrd.readers import SUFFIXES

    files = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in SUFFIXES)
    if not files:
        _fail(f"{folder}: no pattern files ({', '.join(SUFFIXES)})")
    if plot is not None:
        plot.mkdir(parents=True, exist_ok=True)
    if composition:
        console.print(f"every file is {escape(composition)} (-c)")
    table = Listing(f"{len(files)} pattern(s) in {folder.name}",
                    [Column("file"), Column("proposal", wrap=True), Column("lattices (Å)"), Column("shift", RIGHT)])
    done = []
    for file in files:
        alloy, problem = _file_alloy(file, composition)
        if alloy is None:
            table.add_row(file.name, problem, "", "")
            continue
        try:
            with store_errors():
                pattern, result = _analysed(file, alloy, wavelength)
        except typer.Exit:
            table.add_row(file.name, "unreadable (see above)", "", "")
            continue
        lattices = ", ".join(f"{p.structure} {p.a:.3f}" for p in result.phases)
        shift = f"{result.displacement:+.2f}°" if abs(result.displacement) >= 0.03 else ""
        table.add_row(file.name, _proposed(result), lattices, shift)
        done.append((file, alloy, pattern, result))
        if plot is not None:
            from alloyloop.agent.xrd.plot import pattern_png

            (plot / f"{file.stem}.png").write_bytes(pattern_png(pattern, result))
    console.print(table)
    if dry_run:
        console.print("dry run: nothing stored")
        return
    failed = [f.name for f in files if f not in {d[0] for d in done}]
    for file, alloy, pattern, result in done:
        console.rule(escape(file.name))
        _print_proposal(file, alloy, pattern, result, None)
        try:
            with store_errors():
                _decide_and_store(file, alloy, result, **options)
        except typer.Exit as exc:
            if exc.exit_code:
                failed.append(file.name)
                console.print(f"[yellow]{escape(file.name)}: not stored[/yellow]")
    if failed:
        _fail(f"{len(failed)} of {len(files)} file(s) not stored: {', '.join(failed)}")


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
