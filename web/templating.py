"""Server-rendered pages: the Jinja2 environment (autoescaping on) and its helpers."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from alloyloop.db.roles import Role
from alloyloop.web.alloy_display import alloy_text, alloy_tokens
from alloyloop.web.audit_view import audit_changes
from alloyloop.web.cells import num
from alloyloop.agent.discovery import hit_word
from alloyloop.web.plot_svg import colour, hits_svg, latent_svg, reliability_svg, star_points
from alloyloop.web.uploads import stored_evidence

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATE_DIR))

_NEXT = re.compile(r"^/[A-Za-z0-9/_.~%-]*$")


def safe_next(path: object) -> str:
    """A local path to return to after login (anything else, e.g. ``//evil``, becomes ``/``)."""
    text = path if isinstance(path, str) else ""
    return text if _NEXT.match(text) and not text.startswith("//") else "/"


def when(value: datetime | None) -> str:
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def evidence_href(uri: str | None, evidence_dir: Path) -> str | None:
    """Where a label's evidence can be opened: our download route for uploaded files, the
    URL itself for http(s), doi.org for DOIs; None for anything else (shown as text)."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme in ("http", "https"):
        return uri
    if parsed.scheme == "doi":
        return "https://doi.org/" + quote(uri[4:], safe="/:.;()-_")
    found = stored_evidence(uri, evidence_dir)
    return None if found is None else f"/evidence/{quote(found[0].name)}"


def evidence_text(uri: str | None, evidence_dir: Path) -> str:
    """What a page shows for an evidence URI: an uploaded file's original name (never the
    server's path), any other URI as it is."""
    if not uri:
        return ""
    found = stored_evidence(uri, evidence_dir)
    if found is not None:
        return found[1]
    return "uploaded file (gone)" if urlparse(uri).scheme == "file" else uri


templates.env.globals["alloy_text"] = alloy_text
templates.env.globals["alloy_tokens"] = alloy_tokens
templates.env.globals.update(hits_svg=hits_svg, reliability_svg=reliability_svg, latent_svg=latent_svg,
                              plot_colour=colour, hit_word=hit_word, star_points=star_points,
                              audit_changes=audit_changes)
templates.env.filters["num"] = num
templates.env.filters["when"] = when


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page with the login (if any), its CSRF token and the roles in its context."""
    login = getattr(request.state, "login", None)
    settings = request.app.state.settings
    base = {
        "login": login,
        "csrf_token": login.csrf_token if login is not None else "",
        "can_write": login is not None and login.role.allows(Role.LAB),
        "is_admin": login is not None and login.role.allows(Role.ADMIN),
        "evidence_href": lambda uri: evidence_href(uri, settings.evidence_dir),
        "evidence_text": lambda uri: evidence_text(uri, settings.evidence_dir),
        "max_upload_mib": settings.max_upload_bytes / (1024 * 1024),
    }
    html = templates.get_template(name).render(base | context | {"request": request})
    # values typed by the client are shown again in forms: escape what UTF-8 cannot carry
    return HTMLResponse(html.encode("utf-8", "backslashreplace"), status_code=status_code)
