"""Alembic environment of the campaign store.

Run it through :mod:`alloyloop.db.migrate` (``alloyloop db upgrade``), which hands over either an
open connection (``config.attributes["connection"]``) or a URL
(``config.attributes["url"]``); no alembic.ini is needed, so this works from an
installed package too.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel.sql.sqltypes import AutoString

from alloyloop.db.engine import make_engine
from alloyloop.db.models import metadata
from alloyloop.db.types import UTCDateTime

config = context.config


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render our column types as plain SQLAlchemy ones, so revisions import only sqlalchemy."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, AutoString):
        return "sa.String()" if obj.length is None else f"sa.String(length={obj.length})"
    return False


OPTIONS: dict[str, Any] = {
    "target_metadata": metadata,
    "compare_type": True,
    "render_as_batch": True,  # SQLite cannot ALTER most things; batch mode copies the table
    "render_item": render_item,
}


def run_offline() -> None:
    context.configure(url=config.attributes["url"], literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.attributes.get("url"))
    try:
        with engine.connect() as conn:
            context.configure(connection=conn, **OPTIONS)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
