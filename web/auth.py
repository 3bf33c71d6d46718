"""Passwords and accounts: argon2id hashing (argon2-cffi) and checking a login.

:func:`attempt_login` is the one way the pages and the API log someone in: the back-off
of :mod:`alloyloop.web.throttle` first, then the password, and every attempt in the audit
log (``user.login`` / ``user.login_failed``, with the client's address).

Passwords are hashed with argon2-cffi's defaults (argon2id, RFC 9106 low-memory profile);
hashes made with weaker parameters are upgraded at the next successful login.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from alloyloop.db.accounts import create_user, credentials, rehash_password, set_password_hash
from alloyloop.db.audit import log_login
from alloyloop.db.errors import InvalidValue
from alloyloop.db.records import UserRecord
from alloyloop.db.roles import Role
from alloyloop.db.session import Session
from alloyloop.web.throttle import LoginThrottle, too_many

WRONG_LOGIN = "wrong user name or password (or the account is disabled)"

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
"""Longer inputs are refused before hashing (argon2 would hash them, slowly)."""

hasher = PasswordHasher()
"""The hasher in use (tests swap in a cheaper profile)."""

_DUMMY_HASH: list[str] = []


def check_password(password: object) -> str:
    """A new password: 10 to 1024 characters, not blank."""
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD or not password.strip():
        raise InvalidValue("password", "(hidden)",
                           fix=f"choose a password of {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string) of a new password, checked first."""
    return hasher.hash(check_password(password))


def _verify(stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, name: object, password: object) -> UserRecord | None:
    """The active account whose password this is, else None.

    An unknown name costs as much time as a wrong password (a dummy hash is checked), so
    timing does not reveal which names exist.
    """
    if not isinstance(name, str) or not isinstance(password, str) or len(password) > MAX_PASSWORD:
        return None
    found = credentials(session, name.strip()) if 0 < len(name) <= 120 else None
    if found is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hasher.hash("not a password of anyone"))
        _verify(_DUMMY_HASH[0], password)
        return None
    user, stored = found
    if not _verify(stored, password):
        return None
    if hasher.check_needs_rehash(stored):
        rehash_password(session, user.id, hasher.hash(password))
    return user


class LoginRefused(Exception):
    """A login that did not succeed: wrong credentials (401) or the back-off (429)."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


def _shown_name(name: object) -> str:
    return name.strip()[:120] if isinstance(name, str) else ""


def attempt_login(session: Session, throttle: LoginThrottle, name: object, password: object,
                  address: str) -> UserRecord:
    """The account of a login attempt, or :class:`LoginRefused` (audited either way)."""
    shown = _shown_name(name)
    wait = throttle.wait(shown, address)
    if wait > 0:
        log_login(session, name=shown, user_id=None, ok=False, note=f"from {address}: refused by the back-off")
        raise LoginRefused(429, too_many(wait), wait)
    user = authenticate(session, name, password)
    if user is None:
        throttle.failed(shown, address)
        log_login(session, name=shown, user_id=None, ok=False, note=f"from {address}: wrong name or password")
        raise LoginRefused(401, WRONG_LOGIN)
    throttle.succeeded(shown, address)
    log_login(session, name=user.name, user_id=user.id, ok=True, note=f"from {address}")
    return user


def add_account(session: Session, name: str, password: str, role: Role | str, *, actor: str) -> UserRecord:
    """Create an account with a new password (``alloyloop user add``)."""
    return create_user(session, name, hash_password(password), role, actor=actor)


def change_password(session: Session, name: str, password: str, *, actor: str) -> UserRecord:
    """Set a new password for an account (``alloyloop user passwd``)."""
    return set_password_hash(session, name, hash_password(password), actor=actor)
