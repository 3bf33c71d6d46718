"""The lab web app: review suggestions and enter phase labels in a browser.

An interface beside :mod:`agent` onto the store (:mod:`db`) and the campaign services
(:mod:`alloyloop.agent.campaign_ops`); nothing in ``db``, ``models`` or ``featurize`` imports it.
Modules, one idea each:

- :mod:`alloyloop.web.app`        the app factory (routers, error handlers, limits, security headers)
- :mod:`alloyloop.web.settings`   where the store and uploads live, upload and session limits
- :mod:`alloyloop.web.auth`       argon2id password hashing, checking a login, creating accounts
- :mod:`alloyloop.web.sessions`   the session cookie and CSRF tokens
- :mod:`alloyloop.web.access`     FastAPI dependencies: store session, login, roles, CSRF on writes
- :mod:`alloyloop.web.inputs`     raw form / JSON values made safe for the store's validators
- :mod:`alloyloop.web.uploads`    upload size and type checks, content-addressed storage, body limit
- :mod:`alloyloop.web.services`   the actions and views both the pages and the API call
- :mod:`alloyloop.web.api`        the JSON REST API (``/api/v1``, OpenAPI at ``/api/docs``)
- :mod:`alloyloop.web.pages`      the server-rendered pages (Jinja2 templates in ``web/templates``)
- :mod:`alloyloop.web.templating` the Jinja2 environment and its helpers
- :mod:`alloyloop.web.errors`     errors → 4xx responses that name the value and the fix

``alloyloop serve`` runs it (uvicorn); ``alloyloop user add`` makes accounts. See
``docs/web.md``.
"""
