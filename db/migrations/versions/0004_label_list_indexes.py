"""Indexes for the web app's label list: filters on source, outcome, method, who and date.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:50:00

Paging 100k labels with a filter (``/labels?source=…&since=…``) otherwise scans the
whole label table twice per page (rows and count); see benchmarks/label_page.py.
"""

from __future__ import annotations

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = ("source", "outcome", "method", "entered_by", "created_at")


def upgrade() -> None:
    for column in COLUMNS:
        op.create_index(op.f(f"ix_label_{column}"), "label", [column], unique=False)


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.drop_index(op.f(f"ix_label_{column}"), table_name="label")
