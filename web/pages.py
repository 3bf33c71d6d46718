"""The server-rendered pages: login, campaigns and their dashboards, the suggestion
queue, label entry and correction, label history, CSV import and the audit log.

Every handler is a thin layer over :mod:`alloyloop.web.services` (writes and the campaign pages)
and :mod:`alloyloop.web.label_views` (label reads): read the form, call the service,
then redirect (303, so a reload does not post again) or show the form again with every
problem and the values typed so far. Writes depend on :func:`alloyloop.web.access.writer` (login,
lab role, CSRF token).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from alloyloop.db.accounts import Login
from alloyloop.db.errors import InvalidValue, InvalidValues, NotFound, StoreError
from alloyloop.db.roles import Role
from alloyloop.db.session import Session
from alloyloop.db.vocab import Method, Outcome, Phase, ProcessingKind, Source
from alloyloop.web import label_views, services
from alloyloop.web.access import client_address, form_data, login_throttle, optional_login, require_login, require_role, settings_of, store, with_csrf, writer
from alloyloop.web.auth import LoginRefused, attempt_login
from alloyloop.web.errors import PayloadTooLarge, UnsupportedUpload, problems_of, refused_import_status, store_status
from alloyloop.web.inputs import LABEL_FIELDS, clean_text, parse_number
from alloyloop.web.resume import FORM_PAGES, KEEP, as_values, kept_values
from alloyloop.web.sessions import log_in, log_out, login_form_token, login_form_token_ok, set_login_form_cookie
from alloyloop.web.settings import WebSettings
from alloyloop.web.templating import render, safe_next
from alloyloop.web.uploads import EVIDENCE_TYPES, stored_path
from alloyloop.web.weighing import DEFAULT_MASS_G, MAX_MASS_G, MIN_MASS_G, SheetRow, sheet_csv

router = APIRouter(include_in_schema=False)

MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Reader = Annotated[Login, Depends(require_login)]
LabRole = Annotated[Login, Depends(require_role(Role.LAB))]
Writer = Annotated[Login, Depends(writer)]
Store = Annotated[Session, Depends(store)]
Settings = Annotated[WebSettings, Depends(settings_of)]
Form = Annotated[FormData, Depends(form_data)]

DONE = {
    "label": 'Stored <a href="/labels/{id}" id="done-link">label #{id}</a>.',
    "correct": 'Stored the correction as <a href="/labels/{id}" id="done-link">label #{id}</a>; the old label '
               "is kept, marked superseded.",
    "status": 'Suggestion <a href="#suggestion-{id}" id="done-link">#{id}</a>: status changed.',
}
"""Messages after a successful write, chosen by a key in the redirect (no text from the URL is
shown: the id is an int), each linking to what was written."""


def _done(kind: str | None, ident: int | None) -> Markup | None:
    return Markup(DONE[kind]).format(id=int(ident)) if kind in DONE and ident is not None else None


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _raw_label(form: FormData) -> dict[str, Any]:
    """The label fields of a form as typed (phases from their checkboxes)."""
    raw: dict[str, Any] = {k: form.get(k) for k in LABEL_FIELDS}
    raw["phases"] = [p for p in form.getlist("phases")]
    return raw


# --- login -----------------------------------------------------------------------------

@router.get("/")
def home(login: Login | None = Depends(optional_login)) -> RedirectResponse:
    return _see_other("/campaigns" if login is not None else "/login")


@router.get("/login")
def login_page(request: Request, settings: Settings, next: str = "/",
               login: Login | None = Depends(optional_login)) -> Response:
    if login is not None:
        return _see_other(safe_next(next))
    token = login_form_token(request)
    page = render(request, "login.html", {"next": safe_next(next), "login_token": token})
    set_login_form_cookie(page, settings, token)
    return page


@router.post("/login")
def login_submit(request: Request, session: Store, settings: Settings, form: Form) -> Response:
    name, password, target = form.get("name"), form.get("password"), safe_next(form.get("next"))
    if not login_form_token_ok(request, form.get("csrf_token")):
        raise HTTPException(403, "the login form expired or did not come from this site: open the "
                            "login page again")
    kept = kept_values(form, KEEP)
    try:
        user = attempt_login(session, login_throttle(request), name, password, client_address(request))
    except LoginRefused as refused:
        page = render(request, "login.html", {
            "next": target, "name": name if isinstance(name, str) else "", "kept": kept,
            "login_token": form.get("csrf_token"), "error": refused.message}, status_code=refused.status)
        if refused.retry_after is not None:
            page.headers["Retry-After"] = str(max(1, round(refused.retry_after)))
        return page
    cookie = Response()
    login = log_in(session, cookie, settings, user)
    request.state.login = login
    response = (_resumed_form(request, session, target, as_values(kept)) if kept and FORM_PAGES.match(target)
                and login.role.allows(Role.LAB) else None) or _see_other(target)
    response.raw_headers.extend(h for h in cookie.raw_headers if h[0] == b"set-cookie")
    return response


RESUMED = "Logged in again: check the values you typed and store them (attach files again)."


def _resumed_form(request: Request, session: Session, target: str, values: dict[str, Any]) -> Response | None:
    """The label form ``target`` filled with the values typed before the login expired."""
    parts = target.strip("/").split("/")
    try:
        if target == "/labels/new":
            return _label_page(request, heading="Enter a label", action="/labels", submit="Store label",
                               values=values, notice=RESUMED)
        if parts[0] == "suggestions":
            sid = int(parts[1])
            return _label_page(request, heading=f"Label for suggestion #{sid}", action=target,
                               submit="Store label", values=values, view=services.suggestion_view(session, sid),
                               ask_composition=False, notice=RESUMED)
        old = label_views.label(session, int(parts[1]))
        return _label_page(request, heading=f"Correct label #{old.id}", action=target, submit="Store correction",
                           values=values, old=old, notice=RESUMED)
    except (NotFound, ValueError, IndexError):
        return None  # the record is gone: the plain redirect shows why


@router.post("/logout")
def logout(request: Request, session: Store, login: Annotated[Login, Depends(with_csrf)]) -> Response:
    response = _see_other("/login")
    log_out(session, request, response)
    return response


# --- campaigns -------------------------------------------------------------------------

@router.get("/campaigns")
def campaigns(request: Request, session: Store, login: Reader) -> Response:
    return render(request, "campaigns.html", {"rows": services.campaign_rows(session)})


@router.get("/campaigns/{name}")
def campaign_dashboard(request: Request, name: str, session: Store, login: Reader) -> Response:
    return render(request, "dashboard.html", {"d": services.dashboard(session, name),
                                              "plots": services.discovery_plots(session, name)})


@router.get("/campaigns/{name}/suggestions")
def suggestion_queue(request: Request, name: str, session: Store, login: Reader,
                     all: bool = False, done: str | None = None,
                     id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Response:
    return _queue_page(request, session, name, show_all=all, done=_done(done, id))


def _queue_page(request: Request, session: Session, name: str, *, show_all: bool = False,
                done: str | None = None, error: str | None = None, status_code: int = 200) -> Response:
    views = services.queue(session, name, show_all=show_all)
    return render(request, "suggestions.html", {
        "campaign": name, "views": views, "show_all": show_all, "done": done, "error": error,
        "drivers": services.suggestion_drivers(session, name), "target": services.campaign_target(session, name),
        "default_mass": DEFAULT_MASS_G},
        status_code=status_code)


def _sheet_request(request: Request, session: Session, name: str) -> tuple[list[SheetRow], float]:
    ids: list[int] = []
    for value in request.query_params.getlist("id"):
        if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
            raise InvalidValue("id", value, fix="choose the suggestions on the suggestion page")
        ids.append(int(value))
    mass = parse_number("ingot mass", request.query_params.get("mass") or str(DEFAULT_MASS_G),
                        (MIN_MASS_G, MAX_MASS_G), "grams")
    assert mass is not None
    return services.weighing_sheet(session, name, ids, mass), mass


@router.get("/campaigns/{name}/weighing")
def weighing_page(request: Request, name: str, session: Store, login: Reader) -> Response:
    """The weighing sheet of the chosen suggestions (``?id=…&id=…&mass=20``), printable."""
    services.campaign(session, name)
    rows, mass = _sheet_request(request, session, name)
    return render(request, "weighing.html", {"campaign": name, "rows": rows, "mass": mass,
                                             "csv_query": request.url.query})


@router.get("/campaigns/{name}/weighing.csv")
def weighing_csv(request: Request, name: str, session: Store, login: Reader) -> Response:
    services.campaign(session, name)
    rows, mass = _sheet_request(request, session, name)
    return Response(sheet_csv(rows, mass), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="weighing-{_q(name)}.csv"'})


@router.get("/campaigns/{name}/rounds/{index}/report/{filename}")
def report_file(name: str, index: Annotated[int, Path(ge=0, le=MAX_ID)], filename: str,
                session: Store, login: Reader) -> Response:
    path = services.report_file(session, name, index, filename)
    response = FileResponse(path)
    # the report is our own static HTML: no scripts, framed only by our dashboard
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'")
    return response


@router.post("/suggestions/{suggestion_id}/status")
def suggestion_status(request: Request, suggestion_id: Id, session: Store, form: Form,
                      login: Writer) -> Response:
    view = services.suggestion_view(session, suggestion_id)
    try:
        note = clean_text("note", form.get("note"), 2000)
        status = clean_text("status", form.get("status"))
        services.change_status(session, login, suggestion_id, status, note)
    except StoreError as exc:
        if isinstance(exc, NotFound):
            raise
        return _queue_page(request, session, view.campaign, error=str(exc), status_code=store_status(exc))
    return _see_other(f"/campaigns/{_q(view.campaign)}/suggestions?done=status&id={suggestion_id}")


def _q(text: str) -> str:
    return quote(text, safe="")


# --- label entry -----------------------------------------------------------------------

def _label_page(request: Request, *, heading: str, action: str, submit: str, values: dict[str, Any],
                view: services.SuggestionView | None = None, old: Any = None,
                errors: list[dict[str, Any]] | None = None, ask_composition: bool = True,
                status_code: int = 200, notice: str | None = None) -> Response:
    values = {"phases": []} | {k: v for k, v in values.items() if isinstance(v, str | list)}
    return render(request, "label_form.html", {
        "heading": heading, "action": action, "submit": submit, "values": values, "view": view, "notice": notice,
        "old": old, "errors": errors or [], "ask_composition": ask_composition,
        "outcomes": [o.value for o in Outcome], "phases": [p.value for p in Phase],
        "sources": [s.value for s in Source], "methods": [m.value for m in Method],
        "processing_kinds": [k.value for k in ProcessingKind],
        "evidence_accept": ",".join(f".{e}" for e in EVIDENCE_TYPES),
    }, status_code=status_code)


FORM_LABELS = {
    "composition": "Composition", "outcome": "Outcome", "phases": "Phases seen", "phase": "Phases seen",
    "source": "Source", "method": "Method", "processing": "Processing",
    "anneal_temperature_c": "Anneal temperature (°C)", "anneal_time_h": "Anneal time (h)",
    "evidence_uri": "Evidence URI", "evidence": "Evidence", "note": "Note", "label": "Label",
    "entered_by": "Entered by", "repeat": "Repeat measurement", "correction": "Correction",
}
"""Store and input field names as the label form's own labels, for its problem list."""


def _problems(exc: Exception) -> tuple[list[dict[str, Any]], int]:
    """A refused write as form problems and its status code."""
    if isinstance(exc, StoreError):
        found = problems_of(exc) or [{"field": "label", "value": None, "fix": str(exc)}]
        return [p | {"field": FORM_LABELS.get(p["field"], p["field"])} for p in found], store_status(exc)
    assert isinstance(exc, HTTPException)
    return [{"field": "Evidence file", "value": None, "fix": exc.detail}], exc.status_code


@router.get("/suggestions/{suggestion_id}/label")
def suggestion_label_form(request: Request, suggestion_id: Id, session: Store, login: LabRole) -> Response:
    view = services.suggestion_view(session, suggestion_id)
    return _label_page(request, heading=f"Label for suggestion #{suggestion_id}",
                       action=f"/suggestions/{suggestion_id}/label", submit="Store label",
                       values={"source": "experiment"}, view=view, ask_composition=False)


@router.post("/suggestions/{suggestion_id}/label")
def suggestion_label_submit(request: Request, suggestion_id: Id, session: Store, settings: Settings,
                            form: Form, login: Writer) -> Response:
    view = services.suggestion_view(session, suggestion_id)
    raw = _raw_label(form)
    try:
        fields = services.checked_label(raw, settings, composition=view.suggestion.alloy_key)
        label, _ = services.enter_label(session, login, settings, fields, suggestion_id=suggestion_id,
                                        evidence=form.get("evidence"))
    except (StoreError, UnsupportedUpload, PayloadTooLarge) as exc:
        if isinstance(exc, NotFound):
            raise
        problems, status = _problems(exc)
        return _label_page(request, heading=f"Label for suggestion #{suggestion_id}",
                           action=f"/suggestions/{suggestion_id}/label", submit="Store label", values=raw,
                           view=services.suggestion_view(session, suggestion_id), errors=problems,
                           ask_composition=False, status_code=status)
    return _see_other(f"/campaigns/{_q(view.campaign)}/suggestions?done=label&id={label.id}")


@router.get("/labels/new")
def label_form(request: Request, login: LabRole, composition: str | None = None) -> Response:
    return _label_page(request, heading="Enter a label", action="/labels", submit="Store label",
                       values={"source": "experiment", "composition": composition or ""})


@router.post("/labels")
def label_submit(request: Request, session: Store, settings: Settings, form: Form, login: Writer) -> Response:
    raw = _raw_label(form)
    try:
        fields = services.checked_label(raw, settings)
        label, _ = services.enter_label(session, login, settings, fields, evidence=form.get("evidence"))
    except (StoreError, UnsupportedUpload, PayloadTooLarge) as exc:
        problems, status = _problems(exc)
        return _label_page(request, heading="Enter a label", action="/labels", submit="Store label",
                           values=raw, errors=problems, status_code=status)
    return _see_other(f"/labels?composition={_q(label.alloy_key)}&done=label&id={label.id}")


@router.get("/labels/conflicts")
def conflicts_page(request: Request, session: Store, login: Reader) -> Response:
    """The alloys whose current labels disagree, each as a comparison grouped by outcome."""
    total, shown = label_views.conflict_list(session)
    return render(request, "conflicts.html", {"total": total, "conflicts": shown})


@router.get("/labels/{label_id}")
def label_page(label_id: Id, session: Store, login: Reader) -> Response:
    label = label_views.label(session, label_id)
    return _see_other(f"/labels?composition={_q(label.alloy_key)}#label-{label_id}")


@router.get("/labels/{label_id}/correct")
def correct_form(request: Request, label_id: Id, session: Store, login: LabRole) -> Response:
    old = label_views.label(session, label_id)
    return _label_page(request, heading=f"Correct label #{label_id}", action=f"/labels/{label_id}/correct",
                       submit="Store correction", values={"phases": list(old.phases)}, old=old)


@router.post("/labels/{label_id}/correct")
def correct_submit(request: Request, label_id: Id, session: Store, settings: Settings, form: Form,
                   login: Writer) -> Response:
    old = label_views.label(session, label_id)
    raw = _raw_label(form)
    try:
        fields = services.checked_label(raw, settings, correction=True)
        label = services.correct_label(session, login, settings, label_id, fields, evidence=form.get("evidence"))
    except (StoreError, UnsupportedUpload, PayloadTooLarge) as exc:
        if isinstance(exc, NotFound):
            raise
        problems, status = _problems(exc)
        return _label_page(request, heading=f"Correct label #{label_id}", action=f"/labels/{label_id}/correct",
                           submit="Store correction", values=raw, old=old, errors=problems, status_code=status)
    return _see_other(f"/labels?composition={_q(label.alloy_key)}&done=correct&id={label.id}")


@router.get("/labels")
def labels(request: Request, session: Store, login: Reader, composition: str | None = None,
           done: str | None = None, id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Response:
    """An alloy's label history (``?composition=``), else the filtered, sorted, paged list."""
    context: dict[str, Any] = {"query": composition, "done": _done(done, id),
                               "filters": label_views.filter_choices(session)}
    try:
        text = clean_text("composition", composition)
        if text is None:
            raw = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
            context["listing"] = label_views.label_listing(session, raw)
            context["labels"] = context["listing"].labels
        else:
            found = label_views.label_history(session, text)
            context |= {"key": found.key, "labels": found.labels}
            if found.labels:
                context |= {"resolution": found.resolution, "audit": found.audit,
                            "comparison": label_views.comparison(found.labels)}
    except (InvalidValue, InvalidValues) as exc:
        context["error"] = str(exc)
        return render(request, "labels.html", context | {"listing": None}, status_code=422)
    return render(request, "labels.html", context)


@router.get("/evidence/{filename}")
def evidence(filename: str, settings: Settings, login: Reader) -> Response:
    path = stored_path(settings.evidence_dir, filename, EVIDENCE_TYPES)
    if path is None:
        raise NotFound(f"no evidence file {filename!r}: open it from a label's history")
    inline = path.suffix in (".png", ".jpg", ".jpeg", ".pdf")
    media = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".pdf": "application/pdf",
             ".tif": "image/tiff", ".tiff": "image/tiff"}.get(path.suffix, "text/plain; charset=utf-8")
    response = FileResponse(path, media_type=media, filename=path.name,
                            content_disposition_type="inline" if inline else "attachment")
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


# --- CSV import ------------------------------------------------------------------------

@router.get("/import")
def import_form(request: Request, login: LabRole) -> Response:
    return render(request, "import.html", {})


@router.post("/import")
def import_preview(request: Request, session: Store, settings: Settings, form: Form, login: Writer) -> Response:
    try:
        run = services.preview_import(session, login, settings, form.get("file"))
    except (StoreError, UnsupportedUpload, PayloadTooLarge) as exc:
        status = store_status(exc) if isinstance(exc, StoreError) else exc.status_code
        message = str(exc) if isinstance(exc, StoreError) else exc.detail
        return render(request, "import.html", {"error": message}, status_code=status)
    return render(request, "import_result.html", {"run": run}, status_code=200 if run.report.ok else 422)


@router.post("/import/commit")
def import_commit(request: Request, session: Store, settings: Settings, form: Form, login: Writer) -> Response:
    name = form.get("name")
    try:
        run = services.commit_import(session, login, settings, form.get("token"),
                                     clean_text("file name", name) if isinstance(name, str) else None)
    except StoreError as exc:
        return render(request, "import.html", {"error": str(exc)}, status_code=store_status(exc))
    if not run.report.ok:
        return render(request, "import_result.html", {"run": run}, status_code=refused_import_status(run.report))
    # post/redirect/get: a reload shows the result again instead of importing twice
    skipped = f"&skipped={run.report.skipped}" if run.report.skipped else ""
    return _see_other(f"/import/{run.token}?name={_q(run.original_name)}{skipped}")


@router.get("/import/{token}")
def import_done(request: Request, token: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")], session: Store,
                login: Reader, name: Annotated[str | None, Query(max_length=200)] = None,
                skipped: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> Response:
    labels = services.imported_labels(session, token)
    if not labels:
        raise NotFound("no labels were imported from this file: upload it on the import page")
    shown = clean_text("file name", name) or "the file"
    return render(request, "import_done.html", {"labels": labels, "name": shown, "skipped": skipped})


# --- audit -----------------------------------------------------------------------------

@router.get("/audit")
def audit(request: Request, session: Store, login: Reader) -> Response:
    return render(request, "audit.html", {"audit": label_views.audit_log(session, limit=300)})
