"""Roles of the people who use the lab web app, and what each may do.

``viewer`` reads; ``lab`` also writes (labels, suggestion status, CSV imports); ``admin``
also manages accounts. A role includes everything below it.
"""

from __future__ import annotations

from enum import StrEnum

from alloyloop.db.errors import InvalidValue


class Role(StrEnum):
    VIEWER = "viewer"
    LAB = "lab"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Position in viewer < lab < admin."""
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what ``needed`` may."""
        return self.rank >= needed.rank


_RANK = {Role.VIEWER: 0, Role.LAB: 1, Role.ADMIN: 2}


def parse_role(value: object) -> Role:
    """A role from its name (any case)."""
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        raise InvalidValue("role", value, allowed=[r.value for r in Role]) from None
