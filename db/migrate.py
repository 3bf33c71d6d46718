"""Schema migrations through Alembic's API (no alembic.ini, no working-directory magic).

The migration scripts ship inside the package (``db/migrations``), so ``alloyloop db
upgrade`` works from a wheel as well as from a checkout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from alloyloop.db.errors import SchemaNotReady
from alloyloop.db.models import metadata

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, f"no migration scripts in {MIGRATIONS_DIR}"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database to ``revision`` (default: the newest), in one transaction.

    Returns:
        The revisions before and after.
    """
    before = current_revision(engine)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return before, current_revision(engine)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate back to ``revision`` (``base`` removes every table of the store)."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def schema_diff(engine: Engine) -> list[object]:
    """Differences between the database and the models, as Alembic's autogenerate sees
    them (empty when the migrated schema equals the models)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str
    has_tables: bool

    @property
    def ready(self) -> bool:
        return self.current == self.head

    @property
    def fresh(self) -> bool:
        """A database with none of our tables and no revision: safe to create."""
        return self.current is None and not self.has_tables


def schema_state(engine: Engine) -> SchemaState:
    names = set(inspect(engine).get_table_names())
    return SchemaState(current_revision(engine), head_revision(), bool(names & set(metadata.tables)))


def ensure_schema(engine: Engine) -> SchemaState:
    """Create the schema in a fresh database; refuse to touch an outdated one.

    Raises:
        SchemaNotReady: the database is at an older revision (or has tables but no
            revision): upgrading it is a deliberate step, ``alloyloop db upgrade``.
    """
    state = schema_state(engine)
    if state.ready:
        return state
    if state.fresh:
        upgrade(engine)
        return schema_state(engine)
    raise SchemaNotReady(
        f"the database is at schema revision {state.current or 'none (unversioned tables)'} "
        f"but this alloyloop needs {state.head}: back it up, then run `alloyloop db upgrade`"
    )
