"""The app factory: one FastAPI app serving the pages, the JSON API and the static files.

``create_app`` opens the store (creating a fresh one; an outdated schema is refused with
the fix, ``alloyloop db upgrade``), wires the routers, the error handlers, the request
size limit and the security headers. ``alloyloop serve`` runs it with uvicorn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from alloyloop.db.engine import make_engine
from alloyloop.db.migrate import ensure_schema
from alloyloop.web import api, api_docs, errors, mcp_http, pages, xrd_pages
from alloyloop.web.settings import WebSettings
from alloyloop.web.throttle import LoginThrottle
from alloyloop.web.uploads import BodyLimit

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
"""Pages load nothing from elsewhere and run no inline script; they may not be framed."""
DOCS_PATHS = ("/api/docs", "/api/redoc")
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; "
            "base-uri 'none'")
"""The documentation pages run an inline script of FastAPI's; like the pages they load
nothing from elsewhere (ReDoc's bundle would fetch its logo from a CDN)."""


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """The lab web app on the store of ``settings.database_url`` (see :class:`WebSettings`)."""
    settings = settings or WebSettings()
    engine = make_engine(settings.database_url)
    try:
        ensure_schema(engine)
    except BaseException:
        engine.dispose()
        raise

    mcp_route, mcp_running = mcp_http.http_route(engine, settings.evidence_dir)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with mcp_running():  # the MCP endpoint's session manager (web/mcp_http.py)
            yield
        engine.dispose()

    app = FastAPI(title="alloyloop lab", version="1", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  description=api.__doc__)
    app.state.settings = settings
    app.state.engine = engine
    app.state.login_throttle = LoginThrottle()
    errors.install(app)
    app.include_router(api.router)
    app.router.routes.append(mcp_route)  # /mcp: MCP over streamable HTTP, bearer tokens
    app.include_router(xrd_pages.router)
    app.include_router(pages.router)
    api_docs.install(app)  # before /static: its assets live under /static/api-docs
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Content-Security-Policy", DOCS_CSP if request.url.path in DOCS_PATHS else PAGE_CSP)
        if not request.url.path.startswith("/static/"):
            headers.setdefault("Cache-Control", "no-store")  # lab PCs are shared: no pages left in caches
        return response

    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    return app
