"""Who may do what: FastAPI dependencies for the store, the login, roles and CSRF.

- Reading any page or API resource needs a login (any role).
- Every write needs role ``lab`` or ``admin`` *and* the login's CSRF token (form field
  ``csrf_token`` or header ``X-CSRF-Token``), checked in that order: no login → 401,
  too weak a role → 403, missing or wrong token → 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from alloyloop.db.accounts import Login
from alloyloop.db.engine import open_session
from alloyloop.db.roles import Role
from alloyloop.db.session import Session
from alloyloop.web.errors import CsrfRejected, Forbidden, LoginRequired
from alloyloop.web.sessions import CSRF_FIELD, CSRF_HEADER, current_login, tokens_match
from alloyloop.web.settings import WebSettings
from alloyloop.web.throttle import LoginThrottle

MAX_FORM_FIELDS = 60
MAX_FORM_FILES = 1
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def store(request: Request) -> Iterator[Session]:
    """A session on the app's store for one request."""
    with open_session(request.app.state.engine) as session:
        yield session


def settings_of(request: Request) -> WebSettings:
    return request.app.state.settings


def login_throttle(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle


def client_address(request: Request) -> str:
    """The peer's address (behind a reverse proxy, run uvicorn with --proxy-headers so
    that this is the client's, not the proxy's)."""
    return request.client.host if request.client is not None else "unknown"


def is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() in _FORM_TYPES


async def form_data(request: Request) -> FormData:
    """The submitted form (parsed once per request; empty for other bodies).

    Raises:
        HTTPException: 400 when the body is not a readable form.
    """
    if not is_form(request):
        return FormData()
    try:
        return await request.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)
    except HTTPException:
        raise
    except Exception as exc:  # malformed multipart, bad encodings …: the client's fault
        raise HTTPException(400, f"the form could not be read ({type(exc).__name__}): "
                            "submit it from the page again") from None


def optional_login(request: Request, session: Session = Depends(store)) -> Login | None:
    """The request's login, if any (also kept on ``request.state`` for the templates)."""
    if not hasattr(request.state, "login"):
        request.state.login = current_login(session, request)
    return request.state.login


def require_login(login: Login | None = Depends(optional_login)) -> Login:
    if login is None:
        raise LoginRequired()
    return login


def require_role(role: Role) -> Callable[..., Login]:
    """A dependency: a login whose role includes ``role`` (no CSRF check: for reads)."""

    def dependency(login: Login = Depends(require_login)) -> Login:
        if not login.role.allows(role):
            raise Forbidden(f"user {login.user.name!r} has role {login.role.value!r}; this needs "
                            f"{role.value!r} or higher: ask an admin (alloyloop user role)")
        return login

    return dependency


def _check_csrf(request: Request, login: Login, form: FormData) -> Login:
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        token = form.get(CSRF_FIELD)
    if not tokens_match(token, login.csrf_token):
        raise CsrfRejected()
    return login


async def with_csrf(
    request: Request,
    login: Login = Depends(require_login),
    form: FormData = Depends(form_data),
) -> Login:
    """A login (any role) that sent its CSRF token: for logging out."""
    return _check_csrf(request, login, form)


async def writer(
    request: Request,
    login: Login = Depends(require_role(Role.LAB)),
    form: FormData = Depends(form_data),
) -> Login:
    """A login allowed to write (lab or admin) that sent its CSRF token."""
    return _check_csrf(request, login, form)
