"""How the audit log names the person behind a local command (the CLI, the stdio MCP
server): ``cli:LOGIN``. Web users appear by account name."""

from __future__ import annotations

import getpass


def login_name() -> str | None:
    """The login name of the person running a local command (None in some containers)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        return None


def local_actor() -> str:
    """``cli:LOGIN``, or ``cli:unknown`` where the container has no login name."""
    return f"cli:{login_name() or 'unknown'}"
