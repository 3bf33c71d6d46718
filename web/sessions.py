"""Login sessions and CSRF tokens, on the HTTP side.

- The session cookie (``alloyloop_session``) holds a random 256-bit token; the store keeps
  only its SHA-256 (:mod:`alloyloop.db.accounts`). The cookie is HttpOnly (no script can read it),
  SameSite=Lax (not sent with cross-site POSTs) and Secure when the app runs behind HTTPS.
- Every login has its own CSRF token. Forms carry it in a hidden ``csrf_token`` field, API
  writes in an ``X-CSRF-Token`` header; a write without the right token is refused even
  with a valid cookie.
- The login form, used before any session exists, is protected by a double-submit token:
  a random value in a short-lived cookie that the form must repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from alloyloop.db.accounts import Login, end_login, find_login, start_login
from alloyloop.db.records import UserRecord
from alloyloop.db.session import Session
from alloyloop.web.settings import WebSettings

SESSION_COOKIE = "alloyloop_session"
LOGIN_CSRF_COOKIE = "alloyloop_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
MAX_TOKEN = 128
"""Longer cookie or token values are not ours: ignored without hashing them."""


def new_token() -> str:
    """A random URL-safe token (256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def tokens_match(given: object, expected: str) -> bool:
    """Constant-time comparison of a submitted token with the expected one."""
    if not isinstance(given, str) or not given or len(given) > MAX_TOKEN:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def _set_cookie(response: Response, settings: WebSettings, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=settings.secure_cookies)


def log_in(session: Session, response: Response, settings: WebSettings, user: UserRecord) -> Login:
    """Start a login for ``user`` and put its cookie on ``response``."""
    token = new_token()
    login = start_login(session, user.id, token_hash(token), new_token(), settings.session_lifetime)
    _set_cookie(response, settings, SESSION_COOKIE, token, int(settings.session_lifetime.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return login


def current_login(session: Session, request: Request) -> Login | None:
    """The live login of the request's cookie, if any."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > MAX_TOKEN:
        return None
    return find_login(session, token_hash(token))


def log_out(session: Session, request: Request, response: Response) -> None:
    """End the request's login and clear its cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token and len(token) <= MAX_TOKEN:
        end_login(session, token_hash(token))
    response.delete_cookie(SESSION_COOKIE, path="/")


def login_form_token(request: Request) -> str:
    """The double-submit token of the login form: the cookie's, or a new one."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE)
    return token if token and len(token) <= MAX_TOKEN else new_token()


def set_login_form_cookie(response: Response, settings: WebSettings, token: str) -> None:
    """Put the login form's token in its cookie (valid for an hour)."""
    _set_cookie(response, settings, LOGIN_CSRF_COOKIE, token, 3600)


def login_form_token_ok(request: Request, submitted: object) -> bool:
    """The login form repeated the token of its cookie."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    return bool(cookie) and tokens_match(submitted, cookie)
