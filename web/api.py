"""The JSON REST API (``/api/v1``): the same actions as the pages, through the same services.

Authentication: ``POST /api/v1/session`` with ``{"name": …, "password": …}`` sets the
session cookie and returns the login's ``csrf_token``; every write (POST, DELETE) must
send it back in the ``X-CSRF-Token`` header. Reads need any role, writes ``lab`` or
``admin``. Errors are ``{"detail": message, "problems": [{"field", "value", "fix"}]}``.
The OpenAPI description is at ``/api/openapi.json``, its browsable form at ``/api/docs``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, Strict
from starlette.exceptions import HTTPException

from alloyloop.db.accounts import Login
from alloyloop.db.errors import InvalidValue
from alloyloop.db.records import LabelRecord
from alloyloop.db.session import Session
from alloyloop.web import label_views, services
from alloyloop.web.access import client_address, login_throttle, optional_login, require_login, settings_of, store, with_csrf, writer
from alloyloop.web.api_schema import (
    LABEL_RULES,
    PHASES_TEXT,
    READ,
    WRITE,
    Composition,
    EvidenceUri,
    Hours,
    Method,
    Note,
    Outcome,
    Phase,
    PhaseList,
    PhaseText,
    ProcessingText,
    Source,
    StatusChoice,
    StatusNote,
    Temperature,
    errors,
)
from alloyloop.web.auth import MAX_PASSWORD, LoginRefused, attempt_login
from alloyloop.web.errors import LoginRequired, refused_import_status
from alloyloop.web.inputs import clean_text
from alloyloop.web.sessions import log_in, log_out
from alloyloop.web.settings import WebSettings
from alloyloop.web.uploads import EVIDENCE_TYPES, save_upload

router = APIRouter(prefix="/api/v1", tags=["lab"])

MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Reader = Annotated[Login, Depends(require_login)]
Writer = Annotated[Login, Depends(writer)]
Store = Annotated[Session, Depends(store)]
Settings = Annotated[WebSettings, Depends(settings_of)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored


class LoginIn(_Body):
    name: Annotated[str, Strict(), Field(max_length=120)]
    password: Annotated[str, Strict(), Field(max_length=MAX_PASSWORD)]


class _LabelValues(_Body):
    outcome: Outcome | None = Field(None, examples=["single"])
    phases: PhaseList | PhaseText | None = Field(None, description="the phases seen, e.g. [\"FCC\"] or \"FCC+BCC\"")
    source: Source | None = Field(None, description="experiment when not given")
    method: Method | None = Field(None, description="how the phase was determined; experiments must name "
                                  "an experimental method, calphad labels use CALPHAD")
    processing: ProcessingText | None = None
    anneal_temperature_c: Temperature | None = None
    anneal_time_h: Hours | None = None
    evidence_uri: EvidenceUri | None = None
    note: Note | None = None


class SuggestionLabelIn(_LabelValues):
    outcome: Outcome = Field(examples=["single"])
    repeat: Annotated[bool, Strict()] = Field(
        False, description="a repeat measurement: store it even if the alloy has an identical current "
        "label (otherwise 409)")


class LabelIn(SuggestionLabelIn):
    composition: Composition


class CorrectionIn(_LabelValues):
    composition: Composition | None = Field(None, description="only if the label named the wrong alloy")


class StatusIn(_Body):
    status: StatusChoice
    note: StatusNote | None = None


def _label_out(label: LabelRecord) -> dict[str, Any]:
    return label.to_dict() | {"active": label.active}


# --- session ---------------------------------------------------------------------------

@router.post("/session", summary="Log in", operation_id="login",
             responses=errors(400, 401, 413, 422, 429, why={401: "Here: wrong name or password, or a disabled account."}))
def api_login(body: LoginIn, request: Request, response: Response, session: Store,
              settings: Settings) -> dict[str, Any]:
    """Check name and password, set the session cookie, return the login's CSRF token.
    Wrong credentials give 401; repeated failures 429 with ``Retry-After`` (the back-off)."""
    try:
        user = attempt_login(session, login_throttle(request), body.name, body.password,
                             client_address(request))
    except LoginRefused as refused:
        headers = None if refused.retry_after is None else {"Retry-After": str(max(1, round(refused.retry_after)))}
        raise HTTPException(refused.status, refused.message, headers=headers) from None
    login = log_in(session, response, settings, user)
    return {"user": user.name, "role": user.role, "csrf_token": login.csrf_token,
            "expires_at": login.expires_at.isoformat()}


@router.delete("/session", summary="Log out", operation_id="logout", responses=errors(400, 401, 403, 413))
def api_logout(request: Request, response: Response, session: Store,
               login: Annotated[Login, Depends(with_csrf)]) -> dict[str, Any]:
    log_out(session, request, response)
    return {"logged_out": login.user.name}


@router.get("/me", summary="Who is logged in", operation_id="whoAmI", responses=errors(401))
def me(login: Annotated[Login | None, Depends(optional_login)]) -> dict[str, Any]:
    if login is None:
        raise LoginRequired()
    return {"user": login.user.name, "role": login.role.value, "csrf_token": login.csrf_token}


# --- campaigns and suggestions ---------------------------------------------------------

@router.get("/campaigns", summary="Campaigns with their open suggestions", operation_id="listCampaigns",
            responses=errors(401))
def campaigns(session: Store, login: Reader) -> list[dict[str, Any]]:
    return [{"campaign": r.campaign.to_dict(), "rounds": r.rounds, "open_suggestions": r.open_suggestions,
             "in_the_lab": r.pending} for r in services.campaign_rows(session)]


@router.get("/campaigns/{name}", summary="Dashboard: rounds, metrics, retrain trigger, report",
            operation_id="getCampaign", responses=errors(*READ, 404))
def campaign(name: str, session: Store, login: Reader) -> dict[str, Any]:
    return services.dashboard(session, name).to_dict()


@router.get("/campaigns/{name}/suggestions", summary="The suggestion queue", operation_id="listSuggestions",
            responses=errors(*READ, 404))
def suggestions(name: str, session: Store, login: Reader, all: bool = False) -> list[dict[str, Any]]:
    return [v.suggestion.to_dict() | {"campaign": v.campaign, "round": v.round_index,
                                      "next_statuses": v.next_statuses, "labellable": v.labellable}
            for v in services.queue(session, name, show_all=all)]


@router.get("/suggestions/{suggestion_id}", summary="A suggestion and its status history",
            operation_id="getSuggestion", responses=errors(*READ, 404))
def suggestion(suggestion_id: Id, session: Store, login: Reader) -> dict[str, Any]:
    view = services.suggestion_view(session, suggestion_id)
    return view.suggestion.to_dict() | {
        "campaign": view.campaign, "round": view.round_index, "next_statuses": view.next_statuses,
        "history": [e.to_dict() for e in services.status_history(session, suggestion_id)]}


@router.post("/suggestions/{suggestion_id}/status", summary="Change a suggestion's status",
             operation_id="setSuggestionStatus",
             responses=errors(*WRITE, 404, 409, why={
                 409: "Here: a move the lifecycle does not allow from the suggestion's status.",
                 422: "Besides the schema: a move to failed needs a note saying why."}))
def suggestion_status(suggestion_id: Id, body: StatusIn, session: Store, login: Writer) -> dict[str, Any]:
    record = services.change_status(session, login, suggestion_id, body.status.value,
                                     clean_text("note", body.note, 2000))
    return record.to_dict()


@router.post("/suggestions/{suggestion_id}/label", status_code=201, operation_id="labelSuggestion",
             summary="Enter the label of a suggestion (it becomes labelled)",
             responses=errors(*WRITE, 404, 409, why={
                 409: "Here: the suggestion is labelled already, or no longer open (abandoned, stale).",
                 422: LABEL_RULES}) | {201: {"links": {
                     "GetLabel": {"operationId": "getLabel", "parameters": {"label_id": "$response.body#/label/id"}},
                     "CorrectLabel": {"operationId": "correctLabel",
                                      "parameters": {"label_id": "$response.body#/label/id"}}}}})
def suggestion_label(suggestion_id: Id, body: SuggestionLabelIn, session: Store, settings: Settings,
                     login: Writer) -> dict[str, Any]:
    view = services.suggestion_view(session, suggestion_id)
    fields = services.checked_label(body.model_dump(mode="json"), settings, composition=view.suggestion.alloy_key)
    label, record = services.enter_label(session, login, settings, fields, suggestion_id=suggestion_id)
    assert record is not None
    return {"label": _label_out(label), "suggestion": record.to_dict()}


# --- labels ----------------------------------------------------------------------------

_LABEL_LINKS = {
    "GetLabel": {"operationId": "getLabel", "parameters": {"label_id": "$response.body#/id"}},
    "CorrectLabel": {"operationId": "correctLabel", "parameters": {"label_id": "$response.body#/id"}},
}


@router.post("/labels", status_code=201, summary="Enter a label for any composition", operation_id="addLabel",
             responses=errors(*WRITE, 409, why={409: "Here: the same label is stored already.", 422: LABEL_RULES})
             | {201: {"links": _LABEL_LINKS}})
def add_label(body: LabelIn, session: Store, settings: Settings, login: Writer) -> dict[str, Any]:
    fields = services.checked_label(body.model_dump(mode="json"), settings)
    label, _ = services.enter_label(session, login, settings, fields)
    return _label_out(label)


@router.get("/labels", summary="A composition's label history, or the newest labels", operation_id="listLabels",
            responses=errors(*READ, why={422: "Besides the schema: a composition the store cannot read."}))
def list_labels(session: Store, login: Reader, composition: Annotated[str | None, Query(max_length=200)] = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    text = clean_text("composition", composition)
    return [_label_out(lb) for lb in label_views.labels(session, text, limit=limit)]


@router.get("/labels/{label_id}", summary="One label", operation_id="getLabel", responses=errors(*READ, 404))
def label(label_id: Id, session: Store, login: Reader) -> dict[str, Any]:
    return _label_out(label_views.label(session, label_id))


@router.post("/labels/{label_id}/supersede", status_code=201, operation_id="correctLabel",
             summary="Correct a label (the old one is kept, marked superseded)",
             responses=errors(*WRITE, 404, 409, why={
                 409: "Here: the label was corrected already (correct its newest version).",
                 422: LABEL_RULES}) | {201: {"links": {
                     "GetCorrection": {"operationId": "getLabel",
                                       "parameters": {"label_id": "$response.body#/label/id"}},
                     "GetOriginal": {"operationId": "getLabel",
                                     "parameters": {"label_id": "$response.body#/superseded"}}}}})
def supersede(label_id: Id, body: CorrectionIn, session: Store, settings: Settings,
              login: Writer) -> dict[str, Any]:
    fields = services.checked_label(body.model_dump(mode="json"), settings, correction=True)
    new = services.correct_label(session, login, settings, label_id, fields)
    return {"superseded": label_id, "label": _label_out(new)}


@router.post("/evidence", status_code=201, summary="Upload an evidence file; use its evidence_uri in a label",
             operation_id="uploadEvidence", responses=errors(*WRITE, 415))
def upload_evidence(settings: Settings, login: Writer, file: UploadFile = File(...)) -> dict[str, Any]:
    if not file.filename:
        raise InvalidValue("file", None, fix="send the file with its name (multipart field 'file')")
    stored = save_upload(file, settings.evidence_dir, EVIDENCE_TYPES, settings.max_upload_bytes)
    return {"evidence_uri": stored.uri, "sha256": stored.sha256, "size": stored.size,
            "download": f"/evidence/{stored.path.name}"}


# --- CSV import ------------------------------------------------------------------------

def _import_out(run: services.ImportRun) -> dict[str, Any]:
    report = run.report
    return {"file": run.original_name, "token": run.token, "rows": report.rows, "ok": report.ok,
            "stored": report.stored, "new": report.new, "skipped_duplicates": report.skipped,
            "problems": run.problems(),
            "preview": [vars(r) for r in report.preview]}


@router.post("/imports", summary="Upload a label CSV: per-row problems or a preview (nothing stored)",
             operation_id="previewImport", responses=errors(*WRITE, 415))
def import_preview(session: Store, settings: Settings, login: Writer,
                   file: UploadFile = File(...)) -> dict[str, Any]:
    return _import_out(services.preview_import(session, login, settings, file))


IMPORT_REFUSED = {"description": "Nothing stored: 422 when rows are not valid, 409 when the file was imported "
                  "before; the body is the import report (``ok`` false, ``problems`` per row).",
                  "content": {"application/json": {"schema": {"type": "object"}}}}


@router.post("/imports/{token}/commit", summary="Import a previewed CSV: every row or none",
             operation_id="commitImport",
             responses=errors(*WRITE) | {409: IMPORT_REFUSED, 422: IMPORT_REFUSED})
def import_commit(token: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")], response: Response,
                  session: Store, settings: Settings, login: Writer) -> dict[str, Any]:
    run = services.commit_import(session, login, settings, token)
    if not run.report.ok:
        response.status_code = refused_import_status(run.report)
    return _import_out(run)


# --- audit -----------------------------------------------------------------------------

@router.get("/audit", summary="The audit log, newest first", operation_id="listAudit", responses=errors(*READ))
def audit(session: Store, login: Reader,
          target_type: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")] = None,
          target_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    return [e.to_dict() for e in label_views.audit_log(session, target_type=target_type, target_id=target_id,
                                                       limit=limit)]
