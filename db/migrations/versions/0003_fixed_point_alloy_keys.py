"""Alloy keys become fixed points of parsing (featurize.composition.canonical_key).

A few keys written by the old rounding moved by 1e-4 when parsed again (Al0.3334Co0.0833...
sums to 0.9998; normalising moves Al to 0.3335), so a label entered under such a key went
to a new alloy. This rewrites those keys to the new canonical form. A key whose new form
already belongs to another alloy row is left as it is and reported: joining two rows'
labels is a curator's decision, not a migration's.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 21:05:00
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | None = None
depends_on: str | None = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    # The key function is the package's own: keys must match what today's parser makes.
    from alloyloop.featurize.composition import parse_composition

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, key FROM alloy")).all()
    taken = {key for _, key in rows}
    for alloy_id, key in rows:
        new = parse_composition(key).key
        if new == key:
            continue
        if new in taken:
            log.warning("alloy %s keeps key %s: its canonical form %s is another alloy's key",
                        alloy_id, key, new)
            continue
        conn.execute(sa.text("UPDATE alloy SET key = :new WHERE id = :id"), {"new": new, "id": alloy_id})
        taken.add(new)


def downgrade() -> None:
    # The rewritten keys are valid compositions for the old code too; nothing to undo.
    pass
