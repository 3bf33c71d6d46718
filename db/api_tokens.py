"""Personal access tokens: how a tool (an MCP client) acts as an account without a browser.

The store keeps the SHA-256 of each token only (as for login sessions), so a copy of the
database lets nobody in. One live token per account: issuing a new one revokes the old,
and a disabled account's token stops working with the account (the lookup checks it).
The role is read from the account at every request, so a role change applies at once.
Issuing and revoking are audited (``user.change``) in the same transaction.
"""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alloyloop.db.accounts import check_user_name
from alloyloop.db.audit import AuditAction, record_entry
from alloyloop.db.errors import InvalidValue, NotFound
from alloyloop.db.models import ApiToken, User
from alloyloop.db.records import UserRecord
from alloyloop.db.tx import run_write
from alloyloop.db.types import utcnow

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def _account(session: Session, name: str) -> User:
    row = session.execute(select(User).where(User.name == check_user_name(name)).with_for_update()
                          ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no user named {name!r}: list them with `alloyloop user list`")
    return row


def _revoke_all(session: Session, user_id: int) -> int:
    done = session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
    return int(done.rowcount or 0)


def issue_token(session: Session, name: str, token_hash: str, *, actor: str) -> UserRecord:
    """Record the token that hashes to ``token_hash`` as ``name``'s one live token.

    Raises:
        NotFound: no such account.
        InvalidValue: not a SHA-256 hex digest, or the account is disabled.
    """
    if not _SHA256_HEX.match(token_hash):
        raise InvalidValue("token_hash", token_hash, fix="store the 64 hex digits of the token's SHA-256")

    def work() -> UserRecord:
        user = _account(session, name)
        if not user.active:
            raise InvalidValue("user", name, fix=f"enable the account first: alloyloop user disable {name} --enable")
        revoked = _revoke_all(session, user.id)
        session.add(ApiToken(user_id=user.id, token_hash=token_hash))
        session.flush()
        record_entry(session, actor=actor, action=AuditAction.USER_CHANGE, target_type="user",
                     target_id=user.id, note=f"access token issued ({revoked} earlier revoked)")
        return UserRecord.from_row(user)

    return run_write(session, work)


def revoke_tokens(session: Session, name: str, *, actor: str) -> int:
    """Revoke the account's tokens; returns how many were live."""

    def work() -> int:
        user = _account(session, name)
        revoked = _revoke_all(session, user.id)
        record_entry(session, actor=actor, action=AuditAction.USER_CHANGE, target_type="user",
                     target_id=user.id, note=f"access token revoked ({revoked} live)")
        return revoked

    return run_write(session, work)


def token_user(session: Session, token_hash: str) -> UserRecord | None:
    """The active account of a live token hash, else None."""
    if not _SHA256_HEX.match(token_hash):
        return None
    row = session.execute(
        select(User).join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None), User.active.is_(True))
    ).scalar_one_or_none()
    return None if row is None else UserRecord.from_row(row)
