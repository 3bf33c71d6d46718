"""``alloyloop serve`` (the lab web app) and ``alloyloop user …`` (its accounts).

Heavy imports (FastAPI, uvicorn, argon2) happen inside the commands, so that
``alloyloop --help`` stays fast.
"""

from __future__ import annotations

import getpass
import ipaddress
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from alloyloop.cli.commands.db import URL_HELP, store_errors
from alloyloop.cli.commands.tables import Column, Listing
from alloyloop.db.actors import local_actor

user_app = typer.Typer(help="Accounts of the lab web app: add, list, change role or password, disable.",
                       no_args_is_help=True)
console = Console()


def _actor() -> str:
    """Who runs the command, for the audit log (``cli:LOGIN``)."""
    return local_actor()


def read_password(password_file: Path | None, *, confirm: bool = True) -> str:
    """The new password: from ``--password-file`` (``-`` = standard input, first line), else
    typed twice at a hidden prompt, else one line of piped standard input. Never echoed."""
    if password_file is not None:
        try:
            text = sys.stdin.read() if str(password_file) == "-" else password_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            console.print(f"[red]error:[/red] cannot read the password file {escape(str(password_file))}: {exc}")
            raise typer.Exit(code=1) from None
        return text.splitlines()[0] if text.splitlines() else ""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if confirm and getpass.getpass("again: ") != first:
        console.print("[red]error:[/red] the two passwords differ: run the command again")
        raise typer.Exit(code=1)
    return first


@user_app.command("add")
def add(
    name: str = typer.Argument(..., help="Login name: letters, digits, '.', '_', '@', '-'."),
    role: str = typer.Option("viewer", "--role", "-r", help="viewer (read), lab (enter labels), admin."),
    password_file: Path = typer.Option(None, "--password-file", help="Read the password from this file's "
                                       "first line ('-' = standard input) instead of prompting."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Create an account (the password is prompted for, never echoed)."""
    from alloyloop.db.roles import parse_role
    from alloyloop.db.session import store_session
    from alloyloop.web.auth import add_account, check_password

    with store_errors():
        target = parse_role(role)  # before asking for a password
        password = check_password(read_password(password_file))
        with store_session(url) as session:
            user = add_account(session, name, password, target, actor=_actor())
    console.print(f"created user [bold]{escape(user.name)}[/bold] with role {user.role}")


@user_app.command("list")
def list_users(url: str = typer.Option(None, "--url", help=URL_HELP)) -> None:
    """The accounts with their roles."""
    from alloyloop.db.accounts import list_users as all_users
    from alloyloop.db.session import store_session

    with store_errors(), store_session(url) as session:
        users = all_users(session)
    if not users:
        console.print("no accounts yet: alloyloop user add NAME --role admin")
        return
    table = Listing(f"{len(users)} account(s)", [Column("name"), Column("role"), Column("active"), Column("created")])
    for u in users:
        table.add_row(u.name, u.role, "yes" if u.active else "no", u.created_at.strftime("%Y-%m-%d %H:%M"))
    console.print(table)


@user_app.command("passwd")
def passwd(
    name: str = typer.Argument(..., help="The account."),
    password_file: Path = typer.Option(None, "--password-file", help="As for `user add`."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Set a new password."""
    from alloyloop.db.session import store_session
    from alloyloop.web.auth import change_password, check_password

    with store_errors():
        password = check_password(read_password(password_file))
        with store_session(url) as session:
            change_password(session, name, password, actor=_actor())
    console.print(f"password of {escape(name)} changed")


@user_app.command("role")
def role(
    name: str = typer.Argument(..., help="The account."),
    new_role: str = typer.Argument(..., metavar="ROLE", help="viewer, lab or admin."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Change an account's role (takes effect at its next request)."""
    from alloyloop.db.accounts import set_role
    from alloyloop.db.session import store_session

    with store_errors(), store_session(url) as session:
        user = set_role(session, name, new_role, actor=_actor())
    console.print(f"{escape(user.name)} now has role {user.role}")


@user_app.command("disable")
def disable(
    name: str = typer.Argument(..., help="The account."),
    enable: bool = typer.Option(False, "--enable", help="Enable it again instead."),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Disable an account (it is logged out everywhere) or, with --enable, enable it."""
    from alloyloop.db.accounts import set_active
    from alloyloop.db.session import store_session

    with store_errors(), store_session(url) as session:
        user = set_active(session, name, enable, actor=_actor())
    console.print(f"{escape(user.name)} is {'enabled' if user.active else 'disabled'}")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (default: this machine only)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    url: str = typer.Option(None, "--url", help=URL_HELP),
    data_dir: Path = typer.Option(None, "--data-dir", help="Folder for uploaded evidence and CSV files "
                                  "(default: $ALLOYLOOP_HOME, else the user data directory)."),
    max_upload_mb: float = typer.Option(10.0, "--max-upload-mb", min=0.001, help="Largest upload (MiB)."),
    session_hours: float = typer.Option(12.0, "--session-hours", min=0.01, help="Logins end after this long."),
    secure_cookies: bool = typer.Option(False, "--secure-cookies", help="Send cookies over HTTPS only "
                                        "(set it when a reverse proxy serves the app over HTTPS)."),
) -> None:
    """Serve the lab web app: review suggestions and enter labels in a browser."""
    from datetime import timedelta

    import uvicorn

    from alloyloop.db.accounts import list_users as all_users
    from alloyloop.db.engine import display_url, make_engine, open_session
    from alloyloop.web.app import create_app
    from alloyloop.web.settings import WebSettings

    kwargs = {"data_dir": data_dir} if data_dir is not None else {}
    settings = WebSettings(database_url=url, max_upload_bytes=int(max_upload_mb * 1024 * 1024),
                           session_lifetime=timedelta(hours=session_hours), secure_cookies=secure_cookies,
                           **kwargs)
    with store_errors():
        app = create_app(settings)
    engine = make_engine(url)
    try:
        with open_session(engine) as session:
            users = all_users(session)
    finally:
        engine.dispose()
    console.print(f"store {escape(display_url(engine.url))}; uploads in {escape(str(settings.data_dir))}")
    if not users:
        console.print("[yellow]no accounts yet[/yellow]: create one with `alloyloop user add NAME --role admin`")
    if not _loopback(host) and not secure_cookies:
        console.print("[yellow]warning:[/yellow] listening beyond this machine over plain HTTP: passwords and "
                      "cookies cross the network unencrypted; put an HTTPS proxy in front and use --secure-cookies")
    console.print(f"open http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/  (Ctrl+C stops)")
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)
