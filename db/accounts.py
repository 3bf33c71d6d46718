"""Accounts of the lab web app and their login sessions.

The store keeps password *hashes* only (hashing lives in :mod:`alloyloop.web.passwords`) and, for
each login, the SHA-256 of the random token in the browser's cookie, so that a copy of the
database lets nobody log in. Every change to an account is written to the audit log in
the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alloyloop.db.audit import AuditAction, record_entry
from alloyloop.db.errors import AlreadyExists, InvalidValue, NotFound
from alloyloop.db.models import LoginSession, User
from alloyloop.db.records import UserRecord
from alloyloop.db.roles import Role, parse_role
from alloyloop.db.tx import run_write
from alloyloop.db.types import utcnow

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,119}$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def check_user_name(name: object) -> str:
    """A user name: 1-120 letters, digits, '.', '_', '@' or '-', starting with a letter or digit."""
    text = name.strip() if isinstance(name, str) else ""
    if not NAME_PATTERN.match(text):
        raise InvalidValue("user name", name,
                           fix="use 1 to 120 letters, digits, '.', '_', '@' or '-', starting with a "
                           "letter or digit (e.g. alice or a.smith)")
    return text


def _user(session: Session, name: str, *, lock: bool = False) -> User:
    stmt = select(User).where(User.name == name)
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no user named {name!r}: list them with `alloyloop user list`")
    return row


def create_user(session: Session, name: str, password_hash: str, role: Role | str, *,
                actor: str) -> UserRecord:
    """Create an account.

    Raises:
        InvalidValue: bad name or role.
        AlreadyExists: the name is taken.
    """
    clean, target = check_user_name(name), parse_role(role)

    def work() -> UserRecord:
        if session.execute(select(User.id).where(User.name == clean)).first() is not None:
            raise AlreadyExists(f"a user named {clean!r} exists: pick another name, or change "
                                f"theirs with `alloyloop user passwd {clean}` / `user role`")
        row = User(name=clean, password_hash=password_hash, role=target.value)
        session.add(row)
        session.flush()
        record_entry(session, actor=actor, action=AuditAction.USER_ADD, target_type="user",
                     target_id=row.id, after={"name": clean, "role": target.value})
        return UserRecord.from_row(row)

    return run_write(session, work)


def get_user(session: Session, name: str) -> UserRecord:
    return UserRecord.from_row(_user(session, name))


def list_users(session: Session) -> list[UserRecord]:
    return [UserRecord.from_row(r) for r in session.execute(select(User).order_by(User.name)).scalars()]


def credentials(session: Session, name: str) -> tuple[UserRecord, str] | None:
    """An active account and its password hash, or None (unknown or disabled)."""
    row = session.execute(select(User).where(User.name == name, User.active.is_(True))).scalar_one_or_none()
    return None if row is None else (UserRecord.from_row(row), row.password_hash)


def _change(session: Session, name: str, actor: str, what: str, apply) -> UserRecord:  # noqa: ANN001
    def work() -> UserRecord:
        row = _user(session, name, lock=True)
        before = {"role": row.role, "active": row.active}
        apply(row)
        session.flush()
        if not row.active:  # a disabled account is logged out everywhere at once
            session.execute(update(LoginSession).where(LoginSession.user_id == row.id,
                                                       LoginSession.ended_at.is_(None))
                            .values(ended_at=utcnow()))
        record_entry(session, actor=actor, action=AuditAction.USER_CHANGE, target_type="user",
                     target_id=row.id, before=before, after={"role": row.role, "active": row.active},
                     note=what)
        return UserRecord.from_row(row)

    return run_write(session, work)


def set_password_hash(session: Session, name: str, password_hash: str, *, actor: str) -> UserRecord:
    """Replace an account's password hash (its sessions stay valid)."""
    return _change(session, name, actor, "password changed",
                   lambda row: setattr(row, "password_hash", password_hash))


def rehash_password(session: Session, user_id: int, password_hash: str) -> None:
    """Store a stronger hash of the same password (after a login; not an account change)."""
    run_write(session, lambda: session.execute(
        update(User).where(User.id == user_id).values(password_hash=password_hash)))


def set_role(session: Session, name: str, role: Role | str, *, actor: str) -> UserRecord:
    target = parse_role(role)
    return _change(session, name, actor, f"role set to {target.value}",
                   lambda row: setattr(row, "role", target.value))


def set_active(session: Session, name: str, active: bool, *, actor: str) -> UserRecord:
    """Enable or disable an account; disabling ends its sessions."""
    return _change(session, name, actor, "enabled" if active else "disabled",
                   lambda row: setattr(row, "active", bool(active)))


# --- login sessions --------------------------------------------------------------------

@dataclass(frozen=True)
class Login:
    """A live login: who, and the CSRF token their forms must carry."""

    session_id: int
    user: UserRecord
    csrf_token: str
    expires_at: datetime

    @property
    def role(self) -> Role:
        return Role(self.user.role)


def start_login(session: Session, user_id: int, token_hash: str, csrf_token: str,
                lifetime: timedelta) -> Login:
    """Record a login whose cookie token hashes to ``token_hash``."""
    if not _SHA256_HEX.match(token_hash):
        raise InvalidValue("token_hash", token_hash, fix="store the 64 hex digits of the token's SHA-256")

    def work() -> Login:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise NotFound(f"no active user with id {user_id}")
        now = utcnow()
        row = LoginSession(user_id=user_id, token_hash=token_hash, csrf_token=csrf_token,
                           created_at=now, expires_at=now + lifetime)
        session.add(row)
        session.flush()
        return Login(row.id, UserRecord.from_row(user), csrf_token, row.expires_at)

    return run_write(session, work)


def find_login(session: Session, token_hash: str) -> Login | None:
    """The live login of a token hash: not ended, not expired, its account active."""
    if not _SHA256_HEX.match(token_hash):
        return None
    found = session.execute(
        select(LoginSession, User).join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == token_hash, LoginSession.ended_at.is_(None),
               LoginSession.expires_at > utcnow(), User.active.is_(True))).first()
    if found is None:
        return None
    row, user = found
    return Login(row.id, UserRecord.from_row(user), row.csrf_token, row.expires_at)


def end_login(session: Session, token_hash: str) -> bool:
    """Log out: end the login of a token hash. True if a live login was ended."""
    if not _SHA256_HEX.match(token_hash):
        return False

    def work() -> bool:
        done = session.execute(update(LoginSession).where(LoginSession.token_hash == token_hash,
                                                          LoginSession.ended_at.is_(None))
                               .values(ended_at=utcnow()))
        return bool(done.rowcount)

    return run_write(session, work)
