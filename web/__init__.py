"""The lab web app: review suggestions and enter phase labels in a browser.

An interface beside :mod:`agent` onto the store (:mod:`db`) and the campaign services
(:mod:`agent.campaign_ops`); nothing in ``db``, ``models`` or ``featurize`` imports it.
Modules, one idea each:

- :mod:`web.app`        the app factory (routers, error handlers, limits, security headers)
- :mod:`web.settings`   where the store and uploads live, upload and session limits
- :mod:`web.auth`       argon2id password hashing, checking a login, creating accounts
- :mod:`web.sessions`   the session cookie and CSRF tokens
- :mod:`web.access`     FastAPI dependencies: store session, login, roles, CSRF on writes
- :mod:`web.inputs`     raw form / JSON values made safe for the store's validators
- :mod:`web.uploads`    upload size and type checks, content-addressed storage, body limit
- :mod:`web.services`   the actions and views both the pages and the API call
- :mod:`web.api`        the JSON REST API (``/api/v1``, OpenAPI at ``/api/docs``)
- :mod:`web.pages`      the server-rendered pages (Jinja2 templates in ``web/templates``)
- :mod:`web.templating` the Jinja2 environment and its helpers
- :mod:`web.errors`     errors → 4xx responses that name the value and the fix

``alloyloop serve`` runs it (uvicorn); ``alloyloop user add`` makes accounts. See
``docs/web.md``.
"""
