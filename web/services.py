"""What the lab app does, for the pages and the JSON API alike.

Each action takes the store session, the login (the actor of the audit log) and values
already cleaned by :mod:`alloyloop.web.inputs`, and calls the store's services: labels through
:mod:`alloyloop.db.labels` / :mod:`alloyloop.db.lifecycle` (via their audited forms in :mod:`alloyloop.db.audit`), CSV
imports through :mod:`alloyloop.db.label_import` (its dry run is the preview), campaign figures
through :mod:`alloyloop.agent.campaign_ops` (the same trigger count the loop uses). Label reads
are :mod:`alloyloop.web.label_views`; the handlers call these two and no store module (an
import-linter contract in ``pyproject.toml``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile

from alloyloop.agent.campaign_ops import RoundSummary, campaign_summaries, round_report_path, spec_of, trigger_decision
from alloyloop.agent.discovery import HitCurves, hit_curves
from alloyloop.agent.latent_points import LatentMap, latent_map
from alloyloop.agent.suggestion_reliability import Reliability, reliability
from alloyloop.agent.report.suggestion_shap import Driver, read_explanations
from alloyloop.agent.report.suggestion_table import credible_set_text, target_p
from alloyloop.campaigns.errors import SpecError
from alloyloop.db.accounts import Login
from alloyloop.db.audit import (
    add_label_audited,
    import_labels_audited,
    label_suggestion_audited,
    supersede_label_audited,
    transition_audited,
)
from alloyloop.db.alloys import parse_alloy
from alloyloop.db.campaigns import get_campaign, list_campaigns, list_suggestions, round_place, rounds
from alloyloop.db.errors import InvalidValue, NotFound
from alloyloop.db.label_import import LabelImportReport, import_labels_csv
from alloyloop.db.label_import import imported_labels as stored_from_csv
from alloyloop.db.labels import LabelInput, validate_label
from alloyloop.db.lifecycle import get_suggestion, history
from alloyloop.db.records import CampaignRecord, LabelRecord, SuggestionEventRecord, SuggestionRecord
from alloyloop.db.session import Session
from alloyloop.db.status import OPEN, TRANSITIONS, SuggestionStatus
from alloyloop.web.alloy_display import alloy_text
from alloyloop.web.inputs import collect_label_fields, raise_all
from alloyloop.web.settings import WebSettings
from alloyloop.web.uploads import (
    EVIDENCE_TYPES,
    IMPORT_TYPES,
    StoredFile,
    check_evidence_uri,
    has_file,
    save_upload,
    stored_path,
)
from alloyloop.web.weighing import SheetRow, weigh

S = SuggestionStatus
WEB_STATUSES = (S.QUEUED, S.SYNTHESIZED, S.FAILED, S.ABANDONED)
"""Status changes people make in the app (``labelled`` comes with a label, ``stale`` from
the loop)."""
LABELLABLE = OPEN
"""Statuses from which a label may be entered (the store records the moves it implies);
the queue shows them by default (the lab may still act on them)."""
REPORT_FILES = frozenset({"html", "png", "csv", "json", "svg"})


# --- suggestions -----------------------------------------------------------------------

@dataclass(frozen=True)
class SuggestionView:
    suggestion: SuggestionRecord
    campaign: str
    round_index: int
    reason: str | None = None
    """Why it failed (the note of its move to ``failed``), for failed suggestions."""

    @property
    def next_statuses(self) -> list[str]:
        """The status changes offered for it."""
        return [s.value for s in TRANSITIONS[S(self.suggestion.status)] if s in WEB_STATUSES]

    @property
    def labellable(self) -> bool:
        return S(self.suggestion.status) in LABELLABLE

    @property
    def credible(self) -> str:
        """Its conformal set in words (``none (no label credible)`` when empty)."""
        return credible_set_text(self.suggestion.prediction_set)

    def ranked_by(self, target: str) -> tuple[str, float | None]:
        """The probability its campaign ranks by, named: p(FCC) for an FCC campaign."""
        return target_p(self.suggestion, target)


def suggestion_view(session: Session, suggestion_id: int) -> SuggestionView:
    """A suggestion with its campaign and round (NotFound if there is none)."""
    record = get_suggestion(session, suggestion_id)
    campaign, index = round_place(session, record.round_id)
    return SuggestionView(record, campaign, index)


def queue(session: Session, campaign: str, *, show_all: bool = False) -> list[SuggestionView]:
    """A campaign's suggestions, newest round first: the open ones (suggested, queued,
    synthesized, failed), or all."""
    index_of = {r.id: r.index for r in rounds(session, campaign)}
    found = list_suggestions(session, campaign=campaign)
    views = [SuggestionView(s, campaign, index_of[s.round_id], _failure(session, s)) for s in found
             if show_all or S(s.status) in OPEN]
    return sorted(views, key=lambda v: (-v.round_index, v.suggestion.id))


def status_history(session: Session, suggestion_id: int) -> list[SuggestionEventRecord]:
    """A suggestion's status changes, oldest first."""
    return history(session, suggestion_id)


def _failure(session: Session, s: SuggestionRecord) -> str | None:
    if s.status != S.FAILED.value:
        return None
    moves = [e for e in history(session, s.id) if e.to_status == S.FAILED.value]
    return moves[-1].note if moves else None


def suggestion_drivers(session: Session, campaign: str) -> dict[int, list[Driver]]:
    """Per suggestion id: its own strongest SHAP features, as its round's report computed
    them (``suggestion_shap.json``, :mod:`alloyloop.agent.report.suggestion_shap`); a
    suggestion whose report has none (made before they were computed, or not yet written)
    is absent."""
    out: dict[int, list[Driver]] = {}
    for record in rounds(session, campaign):
        report = round_report_path(session, record.id)
        if report:
            out |= read_explanations(Path(report).parent)
    return out


def campaign_target(session: Session, campaign: str) -> str:
    """The campaign's target (``single``, ``FCC`` …); ``single`` when its spec does not read."""
    try:
        return spec_of(session, campaign).goal.target
    except SpecError:
        return "single"


def weighing_sheet(session: Session, campaign: str, ids: list[int], mass_g: float) -> list[SheetRow]:
    """The weighing sheet of some of a campaign's suggestions (all open ones if none given)."""
    views = queue(session, campaign, show_all=bool(ids))
    chosen = [v for v in views if not ids or v.suggestion.id in ids]
    missing = sorted(set(ids) - {v.suggestion.id for v in chosen})
    if missing:
        raise NotFound(f"campaign {campaign!r} has no suggestion {', '.join(map(str, missing))}: "
                       "choose them on its suggestion page")
    return [SheetRow(v.suggestion.id, v.suggestion.alloy_key, alloy_text(v.suggestion.alloy_key).notation,
                     weigh(parse_alloy(v.suggestion.alloy_key).fractions, mass_g)) for v in chosen]


def change_status(session: Session, login: Login, suggestion_id: int, to: str | None,
                  note: str | None) -> SuggestionRecord:
    """Move a suggestion to queued / synthesized / failed / abandoned (audited)."""
    allowed = [s.value for s in WEB_STATUSES]
    if to not in allowed:
        raise InvalidValue("status", to, fix=f"choose one of {', '.join(allowed)} ('labelled' comes with a "
                           "label: enter one; 'stale' is set by the loop)")
    if to == S.FAILED.value and not note:
        raise InvalidValue("note", note, fix="say why it failed in the note (e.g. 'cracked on casting', "
                           "'Mn evaporated'): the next person needs to know")
    return transition_audited(session, suggestion_id, to, actor=login.user.name, note=note)


# --- labels ----------------------------------------------------------------------------

def _evidence(fields: dict[str, object], upload: object, settings: WebSettings) -> dict[str, object]:
    """The fields with the uploaded evidence file stored and its URI filled in."""
    if not has_file(upload):
        return fields
    if fields.get("evidence_uri"):
        raise InvalidValue("evidence_uri", fields["evidence_uri"],
                           fix="upload a file or give an evidence URI, not both")
    assert isinstance(upload, UploadFile)
    stored = save_upload(upload, settings.evidence_dir, EVIDENCE_TYPES, settings.max_upload_bytes)
    return fields | {"evidence_uri": stored.uri}


def checked_label(raw: dict[str, Any], settings: WebSettings, *, composition: str | None = None,
                  correction: bool = False) -> dict[str, object]:
    """The label fields of a form or body, with every problem reported at once: the web
    boundary's (:mod:`alloyloop.web.inputs`: JSON types), whether a ``file:`` evidence URI names
    a file uploaded here, and the store's own validation (:func:`alloyloop.db.labels.validate_label`,
    the rules of every route) of the values that passed. A correction is validated by the
    store once it is merged with the old label.

    Raises:
        InvalidValue / InvalidValues: all problems, one per field.
    """
    fields, errors = collect_label_fields(raw, with_composition=composition is None)
    try:
        check_evidence_uri(fields.get("evidence_uri"), settings.evidence_dir)
    except InvalidValue as exc:
        errors.append(exc)
        fields.pop("evidence_uri", None)
    if not correction:
        bad = {e.field for e in errors}
        values = {k: v for k, v in fields.items() if k not in ("composition", "outcome", "source") and k not in bad}
        _, found = validate_label(composition=composition or fields.get("composition"),
                                  outcome=fields.get("outcome"), source=fields.get("source") or "experiment",
                                  **values)
        errors += [e for e in found if e.field not in bad]
    raise_all(errors)
    return fields


def _with_defaults(fields: dict[str, object], login: Login) -> dict[str, object]:
    return fields | {"source": fields.get("source") or "experiment", "entered_by": login.user.name}


def enter_label(session: Session, login: Login, settings: WebSettings, fields: dict[str, object], *,
                suggestion_id: int | None = None, evidence: object = None
                ) -> tuple[LabelRecord, SuggestionRecord | None]:
    """Store a label, for a suggestion (which becomes ``labelled``) or for the composition
    in ``fields``; the evidence file, if any, is stored once the label's values are valid."""
    values = _with_defaults(fields, login)
    if suggestion_id is not None:
        values.pop("composition", None)
        key = get_suggestion(session, suggestion_id).alloy_key
        LabelInput.build(composition=key, **values)  # refuse bad values before storing a file
        values = _evidence(values, evidence, settings)
        suggestion, label = label_suggestion_audited(session, suggestion_id, actor=login.user.name, **values)
        return label, suggestion
    LabelInput.build(**values)
    values = _evidence(values, evidence, settings)
    return add_label_audited(session, actor=login.user.name, **values), None


def correct_label(session: Session, login: Login, settings: WebSettings, label_id: int,
                  fields: dict[str, object], *, evidence: object = None) -> LabelRecord:
    """Supersede a label with a correction (fields left empty are taken from it).

    The evidence file is stored before the store validates the merged correction: a
    refused correction may leave it behind, which is harmless (content-addressed).
    """
    values = _evidence({k: v for k, v in fields.items() if k != "repeat"}, evidence, settings)
    return supersede_label_audited(session, label_id, actor=login.user.name,
                                   **(values | {"entered_by": login.user.name}))


# --- CSV import ------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportRun:
    """An uploaded CSV and what importing it does (dry run) or did."""

    file: StoredFile | None
    report: LabelImportReport
    original_name: str

    @property
    def token(self) -> str | None:
        """What the commit form sends back to name the previewed file."""
        return self.file.sha256 if self.file is not None else None

    def problems(self) -> list[dict[str, Any]]:
        """Problems as table rows, the server's path replaced by the file's name."""
        shown = str(self.file.path) if self.file is not None else None
        return [{"row": p.row, "column": p.column,
                 "value": self.original_name if p.value == shown else p.value, "fix": p.fix}
                for p in self.report.problems]


def preview_import(session: Session, login: Login, settings: WebSettings, upload: object) -> ImportRun:
    """Store an uploaded CSV and dry-run its import: the per-row problems, or the preview."""
    if not has_file(upload):
        raise InvalidValue("file", None, fix="choose a .csv file to import")
    assert isinstance(upload, UploadFile)
    stored = save_upload(upload, settings.imports_dir, IMPORT_TYPES, settings.max_upload_bytes)
    report = import_labels_csv(session, stored.path, dry_run=True, default_entered_by=login.user.name)
    return ImportRun(stored, report, stored.original_name)


def commit_import(session: Session, login: Login, settings: WebSettings, token: object,
                  original_name: str | None = None) -> ImportRun:
    """Import a previewed CSV (all rows or none; audited)."""
    path = stored_path(settings.imports_dir, f"{token}.csv", IMPORT_TYPES) if isinstance(token, str) else None
    if path is None:
        raise InvalidValue("file", token, fix="the previewed file is gone or the form was altered: "
                           "upload the CSV again")
    report = import_labels_audited(session, path, actor=login.user.name, default_entered_by=login.user.name,
                                   shown_name=original_name)
    stored = StoredFile(path, path.stem, original_name or path.name, path.stat().st_size)
    return ImportRun(stored, report, stored.original_name)


def imported_labels(session: Session, token: str) -> list[LabelRecord]:
    """The labels an imported CSV stored (:func:`alloyloop.db.label_import.imported_labels`)."""
    return stored_from_csv(session, token)


# --- campaigns -------------------------------------------------------------------------

@dataclass(frozen=True)
class TriggerView:
    fire: bool
    reason: str
    new_labels: int
    every_n_labels: int


@dataclass(frozen=True)
class Dashboard:
    campaign: CampaignRecord
    summaries: list[RoundSummary]
    status_counts: dict[str, int]
    trigger: TriggerView | None
    spec_summary: dict[str, Any] = field(default_factory=dict)
    spec_error: str | None = None
    report_round: int | None = None
    """Round whose report is embedded (the newest that has one)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign.to_dict(),
            "rounds": [vars(s) for s in self.summaries],
            "suggestions_by_status": self.status_counts,
            "trigger": None if self.trigger is None else vars(self.trigger),
            "spec": self.spec_summary,
            "spec_error": self.spec_error,
            "report_round": self.report_round,
        }


def campaign(session: Session, name: str) -> CampaignRecord:
    """A campaign (NotFound if there is none: the pages of an unknown campaign are 404)."""
    return get_campaign(session, name)


def dashboard(session: Session, name: str) -> Dashboard:
    """A campaign at a glance: rounds with metrics, suggestions by status, the retrain
    trigger (the loop's own count) and the newest report."""
    record = get_campaign(session, name)
    summaries = campaign_summaries(session, name)
    counts = Counter(s.status for s in list_suggestions(session, campaign=name))
    status_counts = {s.value: counts.get(s.value, 0) for s in SuggestionStatus}
    trigger, spec_error, summary = None, None, {}
    try:
        spec = spec_of(session, name)
        decision = trigger_decision(session, name)
    except SpecError as exc:
        spec_error = str(exc)
    else:
        trigger = TriggerView(decision.fire, decision.reason, decision.new_labels,
                              spec.retrain.every_n_labels or 1)
        summary = {"description": spec.description, "palette": list(spec.space.palette),
                   "batch_size": spec.batch_size, "labeler": spec.labeler.kind,
                   "strategies": {s.kind: s.count for s in spec.strategies}}
    report_round = next((s.index for s in reversed(summaries) if s.report and Path(s.report).is_file()), None)
    return Dashboard(record, summaries, status_counts, trigger, summary, spec_error, report_round)


@dataclass(frozen=True)
class DiscoveryPlots:
    """The dashboard's plots, each from one function over the store (None: the campaign's
    spec no longer reads, ``error`` says why)."""

    hits: HitCurves | None
    reliability: Reliability | None
    latent: LatentMap | None
    error: str | None = None


def discovery_plots(session: Session, name: str) -> DiscoveryPlots:
    """Cumulative hits per strategy with random's expectation
    (:func:`alloyloop.agent.discovery.hit_curves`), the reliability diagram of past
    suggestions (:func:`alloyloop.agent.suggestion_reliability.reliability`) and the newest
    round's latent map (:func:`alloyloop.agent.latent_points.latent_map`), for the
    campaign's target. A checkpoint that cannot be read leaves the other two."""
    get_campaign(session, name)
    try:
        spec_of(session, name)
    except SpecError as exc:
        return DiscoveryPlots(None, None, None, str(exc))
    try:
        latent = latent_map(session, name)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:  # a damaged or foreign checkpoint
        latent = LatentMap(spec_of(session, name).goal.target, None,
                           problem=f"the round's checkpoint could not be read: {exc}")
    return DiscoveryPlots(hit_curves(session, name), reliability(session, name), latent)


@dataclass(frozen=True)
class CampaignRow:
    campaign: CampaignRecord
    rounds: int
    open_suggestions: int
    pending: int


def campaign_rows(session: Session) -> list[CampaignRow]:
    """Every campaign with its round count and suggestions still open."""
    out = []
    for record in list_campaigns(session):
        found = list_suggestions(session, campaign=record.name)
        out.append(CampaignRow(
            record, len(rounds(session, record.name)),
            sum(1 for s in found if S(s.status) in LABELLABLE),
            sum(1 for s in found if S(s.status) in (S.QUEUED, S.SYNTHESIZED))))
    return out


def report_file(session: Session, name: str, round_index: int, filename: str) -> Path:
    """A file of a round's report folder (index.html, its PNGs …).

    Raises:
        NotFound: no such round, report or file (names with a path are never looked up).
    """
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if "/" in filename or "\\" in filename or filename.startswith(".") or ext not in REPORT_FILES:
        raise NotFound(f"no report file {filename!r}: open the report from the campaign dashboard")
    found = [r for r in rounds(session, name) if r.index == round_index]
    report = round_report_path(session, found[0].id) if found else None
    if report is None:
        raise NotFound(f"campaign {name!r} has no report for round {round_index}: run the round first")
    folder = Path(report).parent.resolve()
    path = (folder / filename).resolve()
    if path.parent != folder or not path.is_file():
        raise NotFound(f"round {round_index} of {name!r} has no report file {filename!r}")
    return path
