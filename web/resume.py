"""A label form submitted after the login expired: nothing typed is lost.

The submit is not stored (its CSRF token belonged to the old login). Instead the login page
is shown (401) with a ``next=`` back to the form and the typed values as hidden fields;
after logging in, the form opens again filled with them, to be checked and stored with the
new login. Uploaded files cannot travel this way: the page says to attach them again.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from alloyloop.web.inputs import LABEL_FIELDS
from alloyloop.web.sessions import login_form_token, set_login_form_cookie
from alloyloop.web.templating import render, safe_next

FORM_PAGES = re.compile(r"^/(?:labels/new|suggestions/[0-9]{1,10}/label|labels/[0-9]{1,10}/correct)$")
"""The label forms that can be opened again filled in."""
KEEP = "keep."
"""Prefix of the hidden login-form fields that carry the typed values."""
EXPIRED = ("your login expired before the form was stored, so nothing was stored: log in again and "
           "the form opens again with what you typed (attach files again)")


def form_page(path: str) -> str | None:
    """The form page a submit to ``path`` came from (``POST /labels`` → ``/labels/new``)."""
    page = "/labels/new" if path == "/labels" else path
    return page if FORM_PAGES.match(page) else None


def kept_values(form: FormData, prefix: str = "") -> list[tuple[str, str]]:
    """The typed label values of a form (file fields and empty ones left out)."""
    return [(key[len(prefix):], value) for key, value in form.multi_items()
            if key.startswith(prefix) and key[len(prefix):] in LABEL_FIELDS and isinstance(value, str) and value]


def as_values(kept: list[tuple[str, str]]) -> dict[str, Any]:
    """Kept values as the label form shows them (the phases as a list)."""
    values: dict[str, Any] = {"phases": []}
    for key, value in kept:
        if key == "phases":
            values["phases"].append(value)
        else:
            values[key] = value
    return values


async def expired_page(request: Request) -> Response:
    """The login page for a page submit without a live login: back to the form, values kept."""
    target = form_page(request.url.path)
    kept: list[tuple[str, str]] = []
    if target is not None:
        try:
            kept = kept_values(await request.form(max_files=1, max_fields=60))
        except Exception:  # noqa: BLE001 - an unreadable form: nothing to keep, still log in
            kept = []
    else:
        referer = urlparse(request.headers.get("referer", ""))
        target = safe_next(referer.path) if referer.netloc in ("", request.url.netloc) else "/"
    token = login_form_token(request)
    page = render(request, "login.html", {"next": target, "kept": kept, "login_token": token,
                                          "error": EXPIRED if kept else "log in first (your login may have expired)"},
                  status_code=401)
    set_login_form_cookie(page, request.app.state.settings, token)
    return page
