"""The MCP server's streamable HTTP endpoint in the web app: ``/mcp``, bearer tokens.

Each request's ``Authorization: Bearer TOKEN`` is looked up in the store
(:mod:`alloyloop.db.api_tokens`, SHA-256 only) before the SDK sees the request; the
account is left in the ASGI scope, where the tools read it (:mod:`alloyloop.web.mcp_server`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import anyio.to_thread
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from alloyloop.db.api_tokens import token_user
from alloyloop.db.engine import open_session
from alloyloop.db.records import UserRecord
from alloyloop.db.session import Engine
from alloyloop.web.mcp_server import SCOPE_USER, build_server
from alloyloop.web.sessions import MAX_TOKEN, token_hash

PATH = "/mcp"


class BearerAccount:
    """ASGI endpoint: the request's account from its bearer token (else 401), then the
    SDK's streamable HTTP handler (``app``, set while the app's lifespan runs)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.app: ASGIApp | None = None

    def _lookup(self, token: str) -> UserRecord | None:
        with open_session(self.engine) as session:
            return token_user(session, token_hash(token))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        token = token.strip()
        user = None
        if scheme.lower() == "bearer" and 0 < len(token) <= MAX_TOKEN:
            user = await anyio.to_thread.run_sync(self._lookup, token)
        if user is None:
            refused = JSONResponse(
                {"detail": "no valid access token: send Authorization: Bearer TOKEN, the token "
                           "`alloyloop user token NAME` printed (a new one revokes the old)"},
                status_code=401, headers={"WWW-Authenticate": 'Bearer realm="alloyloop"'})
            await refused(scope, receive, send)
            return
        if self.app is None:
            await JSONResponse({"detail": "the MCP endpoint is not running: start the app with its "
                                          "lifespan (alloyloop serve)"}, status_code=503)(scope, receive, send)
            return
        scope[SCOPE_USER] = user
        await self.app(scope, receive, send)


def http_route(engine: Engine, evidence_dir: Path) -> tuple[Route, Callable[[], AbstractAsyncContextManager[None]]]:
    """The ``/mcp`` route for the web app, and the context manager its lifespan must run.

    Each lifespan gets a session manager of its own (the SDK runs one only once; a test
    client may start an app's lifespan several times). Stateless JSON responses: each
    request stands alone, authenticated by its own token. The SDK's DNS-rebinding guard is
    off: it protects unauthenticated local servers from web pages, and a web page cannot
    send our bearer token."""
    mcp = build_server(engine, evidence_dir)
    endpoint = BearerAccount(engine)

    @asynccontextmanager
    async def running() -> AsyncIterator[None]:
        starlette_app = mcp.streamable_http_app(
            streamable_http_path=PATH, stateless_http=True, json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
        endpoint.app = next(r for r in starlette_app.routes if isinstance(r, Route) and r.path == PATH).endpoint
        try:
            async with mcp.session_manager.run():
                yield
        finally:
            endpoint.app = None

    return Route(PATH, endpoint=endpoint), running
