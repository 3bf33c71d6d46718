"""Errors of the web app and how each becomes a response (never a bare 500).

API requests (``/api/…``) get JSON ``{"detail": message, "problems": [...]}``; pages get
the error page. Every message names the offending value and the fix, as the store's own
errors do (:mod:`alloyloop.db.errors`), which are mapped here: invalid values 422, unknown records
404, clashes (an existing name, a superseded label, an illegal status move, a duplicate label) 409, an
outdated schema 503.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.routing import Match

from alloyloop.campaigns.errors import SpecError
from alloyloop.db.errors import (
    AlreadyExists,
    AlreadySuperseded,
    DuplicateLabel,
    IllegalTransition,
    InvalidValue,
    InvalidValues,
    NotFound,
    SchemaNotReady,
    StoreError,
)

log = logging.getLogger("alloyloop.web")


class LoginRequired(HTTPException):
    def __init__(self) -> None:
        super().__init__(401, "log in first (POST /api/v1/session, or the login page)")


class Forbidden(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(403, detail)


class CsrfRejected(HTTPException):
    def __init__(self) -> None:
        super().__init__(403, "missing or wrong CSRF token: reload the page and submit again "
                         "(API: send the csrf_token of your login in the X-CSRF-Token header)")


class PayloadTooLarge(HTTPException):
    def __init__(self, limit: int, what: str = "the request") -> None:
        super().__init__(413, f"{what} is larger than the limit of {limit:,} bytes: send a smaller file")


class UnsupportedUpload(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(415, detail)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def problems_of(exc: StoreError) -> list[dict[str, Any]]:
    """Field, value and fix of each invalid value (empty for other errors)."""
    errors = exc.errors if isinstance(exc, InvalidValues) else (exc,) if isinstance(exc, InvalidValue) else ()
    return [{"field": e.field, "value": _short(e.value), "fix": e.fix} for e in errors]


def printable(text: str) -> str:
    """``text`` with anything UTF-8 cannot carry (lone surrogates) escaped: error messages
    quote what the client sent, which may be exactly that."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _short(value: object, limit: int = 200) -> str | None:
    if value is None:
        return None
    text = printable(value if isinstance(value, str) else repr(value))
    return text if len(text) <= limit else text[:limit] + "…"


def store_status(exc: StoreError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, AlreadyExists | AlreadySuperseded | IllegalTransition | DuplicateLabel):
        return 409
    if isinstance(exc, SchemaNotReady):
        return 503
    return 422


def refused_import_status(report: Any) -> int:
    """The status of a CSV import that stored nothing: 409 when the file was imported before
    (a file-level clash, reported as row 0), 422 when rows are not valid."""
    return 409 if all(p.row == 0 for p in report.problems) else 422


def _validation_problems(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        kind = err.get("type", "")
        # pydantic's location names the body's parts (``body``, a list index, the member of a
        # union it tried): keep the field names only
        loc = [p for p in err.get("loc", ()) if isinstance(p, str) and p not in ("body", "query", "path", "form")
               and not _UNION_MEMBER.match(p)]
        field = "body" if kind == "json_invalid" else ".".join(loc[:1]) or "body"
        value = None if kind in ("missing", "json_invalid") else _short(_shown_input(err.get("input")))
        fix = _fix_text(err) + (f" {ENUM_HINTS[field]}" if kind == "enum" and field in ENUM_HINTS else "")
        out.append({"field": field, "value": value, "fix": fix})
    return _one_per_field(out)


_UNION_MEMBER = re.compile(r"^(list\[|str$|int$|float$|bool$|function-|constrained-|enum\[|literal\[)")


def _shown_input(value: object) -> object:
    """What the client sent, as the client would recognise it (a file part, not its Python class)."""
    if isinstance(value, UploadFile):
        return value.filename or "(a file)"
    return value


def _one_per_field(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first problem of each field (a value tried against every member of a union fails
    each of them: one fix is enough)."""
    seen: dict[str, dict[str, Any]] = {}
    for p in problems:
        seen.setdefault(p["field"], p)
    return list(seen.values())


ENUM_HINTS = {"status": "('labelled' comes with a label: enter one; 'stale' is set by the loop)"}
FIXES = {
    "missing": "this field is required: add it",
    "finite_number": "give a finite number (not NaN or infinity)",
    "float_type": "give a number (not text or true/false)",
    "string_type": "give text",
    "list_type": "give a list",
    "dict_type": "give a JSON object",
    "model_type": "give a JSON object",
    "model_attributes_type": "send a JSON object with the fields of this operation",
    "extra_forbidden": "this field is not part of the request: remove it or check its spelling",
    "int_parsing": "give a whole number",
    "bool_parsing": "give true or false",
}


def _fix_text(err: dict[str, Any]) -> str:
    kind, msg = err.get("type", ""), err.get("msg", "invalid")
    if kind == "json_invalid":
        return f"the body is not valid JSON ({err.get('ctx', {}).get('error', 'syntax error')}): send a JSON object"
    if kind == "value_error" and "UploadFile" in msg:
        return "send a file in the multipart field 'file' (a text value is not a file)"
    if kind == "enum":
        expected = str(err.get("ctx", {}).get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"use one of: {expected}"
    if kind in FIXES:
        return FIXES[kind]
    return f"{msg[0].lower()}{msg[1:]}" if msg else "invalid"


def _render(request: Request, status: int, message: str, problems: list[dict[str, Any]] | None = None) -> Response:
    message = printable(message)
    if wants_json(request):
        body: dict[str, Any] = {"detail": message}
        if problems:
            body["problems"] = problems
        return JSONResponse(body, status_code=status)
    from alloyloop.web.templating import render

    return render(request, "error.html", {"status": status, "message": message, "problems": problems or []},
                  status_code=status)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """The ``Allow`` header of a 405: every method some route takes at this path (Starlette
    names only those of the first route it tried)."""
    found = [m for m in METHODS
             if any(route.matches(request.scope | {"method": m})[0] == Match.FULL for route in request.app.routes)]
    return ", ".join(sorted(found))


FASTAPI_UNREADABLE = "There was an error parsing the body"
UNREADABLE = ("the body could not be read (not UTF-8 JSON, or a broken form): send a JSON object as UTF-8 "
              "with Content-Type: application/json (uploads: multipart/form-data)")


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, LoginRequired) and not wants_json(request):
        if request.method == "GET":
            from alloyloop.web.templating import safe_next

            return RedirectResponse(f"/login?next={safe_next(request.url.path)}", status_code=303)
        from alloyloop.web.resume import expired_page

        return await expired_page(request)  # a form sent after the login expired: keep what was typed
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 400 and message == FASTAPI_UNREADABLE:
        message = UNREADABLE
    if exc.status_code == 405:
        message = f"{request.method} is not allowed here: use {allowed_methods(request) or 'another path'}"
    response = _render(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    if exc.status_code == 405:
        response.headers["Allow"] = allowed_methods(request)
    return response


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    problems = _validation_problems(exc)
    summary = "; ".join(f"{p['field']}: {p['fix']}" for p in problems)
    return _render(request, 422, f"the request is not valid: {summary}", problems)


async def _store_error(request: Request, exc: StoreError) -> Response:
    return _render(request, store_status(exc), str(exc), problems_of(exc))


async def _spec_error(request: Request, exc: SpecError) -> Response:
    return _render(request, 409, f"the stored campaign spec is not valid any more: {exc}")


async def _unexpected(request: Request, exc: Exception) -> Response:
    # a bug, not bad input: log it with its traceback, show no internals
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _render(request, 500, "internal error: the server log has the details")


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StoreError, _store_error)  # type: ignore[arg-type]
    app.add_exception_handler(SpecError, _spec_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
