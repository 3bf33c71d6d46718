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
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from alloyloop.db.accounts import Login
from alloyloop.db.audit import audit_entries
from alloyloop.db.errors import InvalidValue
from alloyloop.db.labels import get_label, labels_for, recent_labels
from alloyloop.db.lifecycle import history
from alloyloop.db.records import LabelRecord
from alloyloop.web import services
from alloyloop.web.access import client_address, login_throttle, optional_login, require_login, settings_of, store, with_csrf, writer
from alloyloop.web.auth import LoginRefused, attempt_login
from alloyloop.web.errors import LoginRequired
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
Text40 = Annotated[str, Field(max_length=40)]
Number = Annotated[Any, Field(json_schema_extra={"anyOf": [{"type": "number"}, {"type": "string", "maxLength": 40},
                                                           {"type": "null"}]})]
"""A JSON number, or its text with a decimal point or comma (the store reads ``"1100,5"``);
:mod:`alloyloop.web.inputs` refuses any other JSON type (``true`` is not 1)."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored


class LoginIn(_Body):
    name: str = Field(max_length=120)
    password: str = Field(max_length=1024)


class _LabelValues(_Body):
    outcome: Text40 | None = Field(None, description="single or multi", examples=["single"])
    phases: Annotated[list[Text40], Field(max_length=20)] | Annotated[str, Field(max_length=200)] | None = Field(
        None, description="e.g. [\"FCC\"] or \"FCC+BCC\"")
    source: Text40 | None = Field(None, description="experiment (default), calphad or literature")
    method: Text40 | None = Field(None, description="XRD, SEM, EBSD, TEM, EDS, APT, ND, DSC, other …")
    processing: str | None = Field(None,
                                   description="as-cast, annealed, wrought, powder, additive, thin-film, other; "
                                   "or the whole text, e.g. 'annealed 1100C 24h'")
    anneal_temperature_c: Number | None = Field(None, description="°C, annealed samples only; above -273.15, "
                                                "at most 5000 (kept to 0.01 °C)")
    anneal_time_h: Number | None = Field(None, description="hours, annealed samples only; above 0 once kept "
                                         "to 1e-6 h, at most 100000")
    evidence_uri: str | None = Field(None,
                                     description="https://…, doi:…, or the URI returned by POST /evidence")
    note: str | None = Field(None, description="free text, at most 4000 characters (the store's rule, "
                             "after trimming)")


class SuggestionLabelIn(_LabelValues):
    outcome: Text40 = Field(description="single or multi", examples=["single"])
    repeat: Annotated[bool, Field(strict=True)] = Field(
        False, description="a repeat measurement: store it even if the alloy has an identical current "
        "label (otherwise 409)")


class LabelIn(SuggestionLabelIn):
    composition: str = Field(examples=["Al0.5CoCrFeNi"], description="any notation, at most 200 characters")


class CorrectionIn(_LabelValues):
    composition: str | None = Field(None, max_length=200, description="only if the label named the wrong alloy")


class StatusIn(_Body):
    status: Text40 = Field(description="queued, synthesized, failed or abandoned")
    note: str | None = Field(None, max_length=2000)


def _label_out(label: LabelRecord) -> dict[str, Any]:
    return label.to_dict() | {"active": label.active}


# --- session ---------------------------------------------------------------------------

@router.post("/session", summary="Log in")
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


@router.delete("/session", summary="Log out")
def api_logout(request: Request, response: Response, session: Store,
               login: Annotated[Login, Depends(with_csrf)]) -> dict[str, Any]:
    log_out(session, request, response)
    return {"logged_out": login.user.name}


@router.get("/me", summary="Who is logged in")
def me(login: Annotated[Login | None, Depends(optional_login)]) -> dict[str, Any]:
    if login is None:
        raise LoginRequired()
    return {"user": login.user.name, "role": login.role.value, "csrf_token": login.csrf_token}


# --- campaigns and suggestions ---------------------------------------------------------

@router.get("/campaigns", summary="Campaigns with their open suggestions")
def campaigns(session: Store, login: Reader) -> list[dict[str, Any]]:
    return [{"campaign": r.campaign.to_dict(), "rounds": r.rounds, "open_suggestions": r.open_suggestions,
             "in_the_lab": r.pending} for r in services.campaign_rows(session)]


@router.get("/campaigns/{name}", summary="Dashboard: rounds, metrics, retrain trigger, report")
def campaign(name: str, session: Store, login: Reader) -> dict[str, Any]:
    return services.dashboard(session, name).to_dict()


@router.get("/campaigns/{name}/suggestions", summary="The suggestion queue")
def suggestions(name: str, session: Store, login: Reader, all: bool = False) -> list[dict[str, Any]]:
    return [v.suggestion.to_dict() | {"campaign": v.campaign, "round": v.round_index,
                                      "next_statuses": v.next_statuses, "labellable": v.labellable}
            for v in services.queue(session, name, show_all=all)]


@router.get("/suggestions/{suggestion_id}", summary="A suggestion and its status history")
def suggestion(suggestion_id: Id, session: Store, login: Reader) -> dict[str, Any]:
    view = services.suggestion_view(session, suggestion_id)
    return view.suggestion.to_dict() | {
        "campaign": view.campaign, "round": view.round_index, "next_statuses": view.next_statuses,
        "history": [e.to_dict() for e in history(session, suggestion_id)]}


@router.post("/suggestions/{suggestion_id}/status", summary="Change a suggestion's status")
def suggestion_status(suggestion_id: Id, body: StatusIn, session: Store, login: Writer) -> dict[str, Any]:
    record = services.change_status(session, login, suggestion_id, clean_text("status", body.status),
                                     clean_text("note", body.note, 2000))
    return record.to_dict()


@router.post("/suggestions/{suggestion_id}/label", status_code=201,
             summary="Enter the label of a suggestion (it becomes labelled)")
def suggestion_label(suggestion_id: Id, body: SuggestionLabelIn, session: Store, settings: Settings,
                     login: Writer) -> dict[str, Any]:
    view = services.suggestion_view(session, suggestion_id)
    fields = services.checked_label(body.model_dump(), settings, composition=view.suggestion.alloy_key)
    label, record = services.enter_label(session, login, settings, fields, suggestion_id=suggestion_id)
    assert record is not None
    return {"label": _label_out(label), "suggestion": record.to_dict()}


# --- labels ----------------------------------------------------------------------------

@router.post("/labels", status_code=201, summary="Enter a label for any composition")
def add_label(body: LabelIn, session: Store, settings: Settings, login: Writer) -> dict[str, Any]:
    label, _ = services.enter_label(session, login, settings, services.checked_label(body.model_dump(), settings))
    return _label_out(label)


@router.get("/labels", summary="A composition's label history, or the newest labels")
def list_labels(session: Store, login: Reader, composition: Annotated[str | None, Query(max_length=200)] = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    text = clean_text("composition", composition)
    found = recent_labels(session, limit=limit) if text is None else labels_for(session, text)
    return [_label_out(lb) for lb in found]


@router.get("/labels/{label_id}", summary="One label")
def label(label_id: Id, session: Store, login: Reader) -> dict[str, Any]:
    return _label_out(get_label(session, label_id))


@router.post("/labels/{label_id}/supersede", status_code=201,
             summary="Correct a label (the old one is kept, marked superseded)")
def supersede(label_id: Id, body: CorrectionIn, session: Store, settings: Settings,
              login: Writer) -> dict[str, Any]:
    new = services.correct_label(session, login, settings, label_id,
                                 services.checked_label(body.model_dump(), settings, correction=True))
    return {"superseded": label_id, "label": _label_out(new)}


@router.post("/evidence", status_code=201, summary="Upload an evidence file; use its evidence_uri in a label")
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


@router.post("/imports", summary="Upload a label CSV: per-row problems or a preview (nothing stored)")
def import_preview(session: Store, settings: Settings, login: Writer,
                   file: UploadFile = File(...)) -> dict[str, Any]:
    return _import_out(services.preview_import(session, login, settings, file))


@router.post("/imports/{token}/commit", summary="Import a previewed CSV: every row or none")
def import_commit(token: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")], response: Response,
                  session: Store, settings: Settings, login: Writer) -> dict[str, Any]:
    run = services.commit_import(session, login, settings, token)
    if not run.report.ok:
        response.status_code = 409
    return _import_out(run)


# --- audit -----------------------------------------------------------------------------

@router.get("/audit", summary="The audit log, newest first")
def audit(session: Store, login: Reader,
          target_type: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")] = None,
          target_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    ids = None if target_id is None else [target_id]
    return [e.to_dict() for e in audit_entries(session, target_type=target_type, target_ids=ids, limit=limit)]
