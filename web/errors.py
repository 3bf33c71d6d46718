"""Errors of the web app and how each becomes a response (never a bare 500).

API requests (``/api/…``) get JSON ``{"detail": message, "problems": [...]}``; pages get
the error page. Every message names the offending value and the fix, as the store's own
errors do (:mod:`alloyloop.db.errors`), which are mapped here: invalid values 422, unknown records
404, clashes (an existing name, a superseded label, an illegal status move, a duplicate label) 409, an
outdated schema 503.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

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


def _validation_problems(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
        out.append({"field": ".".join(loc) or "body", "value": _short(err.get("input")),
                    "fix": _fix_text(err)})
    return out


def _fix_text(err: dict[str, Any]) -> str:
    kind, msg = err.get("type", ""), err.get("msg", "invalid")
    if kind == "missing":
        return "this field is required: add it"
    if kind == "json_invalid":
        return f"the body is not valid JSON ({err.get('ctx', {}).get('error', 'syntax error')}): send a JSON object"
    if kind in ("finite_number",):
        return "give a finite number (not NaN or infinity)"
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


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, LoginRequired) and not wants_json(request) and request.method == "GET":
        from alloyloop.web.templating import safe_next

        return RedirectResponse(f"/login?next={safe_next(request.url.path)}", status_code=303)
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    response = _render(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
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
