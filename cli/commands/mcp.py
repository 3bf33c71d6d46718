"""``alloyloop mcp`` (the MCP server over stdio) and ``alloyloop user token`` (the personal
token its HTTP transport, ``/mcp`` of ``alloyloop serve``, authenticates with).

Heavy imports (the MCP SDK, the store) happen inside the commands, so that
``alloyloop --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from alloyloop.cli.commands.db import URL_HELP, store_errors
from alloyloop.cli.commands.web import _actor

console = Console(stderr=True)
"""Messages go to standard error: standard output is the MCP channel (stdio) or the token."""


def mcp(
    url: str = typer.Option(None, "--url", help=URL_HELP),
    data_dir: Path = typer.Option(None, "--data-dir", help="The web app's data folder, where evidence "
                                  "files live (default: $ALLOYLOOP_HOME, else the user data directory)."),
) -> None:
    """Serve alloyloop's tools to an MCP client over standard input and output, acting as
    the local user as the CLI does (the client starts this command; see docs/mcp.md)."""
    from alloyloop.agent.paths import alloyloop_home
    from alloyloop.db.session import store_engine
    from alloyloop.web.mcp_server import build_server, local_actor

    folder = Path(data_dir) if data_dir is not None else alloyloop_home()
    with store_errors(), store_engine(url) as engine:
        build_server(engine, folder / "evidence", local=local_actor()).run("stdio")


def token(
    name: str = typer.Argument(..., help="The account the token acts as (its role applies)."),
    revoke: bool = typer.Option(False, "--revoke", help="Revoke the account's token instead."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Issue the account's personal access token for the MCP endpoint (/mcp of `alloyloop
    serve`), printed once on standard output; a new one revokes the old."""
    from alloyloop.db.api_tokens import issue_token, revoke_tokens
    from alloyloop.db.session import store_session
    from alloyloop.web.sessions import new_token, token_hash

    with store_errors(), store_session(url) as session:
        if revoke:
            count = revoke_tokens(session, name, actor=_actor())
            console.print(f"revoked {count} token(s) of {escape(name)}")
            return
        secret = new_token()
        user = issue_token(session, name, token_hash(secret), actor=_actor())
    console.print(f"access token of [bold]{escape(user.name)}[/bold] (role {user.role}); the store keeps only "
                  "its hash, so copy it now (Authorization: Bearer TOKEN):")
    sys.stdout.write(secret + "\n")
