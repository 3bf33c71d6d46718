"""Initial schema: alloys, labels, campaigns, rounds, model versions, suggestions
(with their status history) and reports.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21 12:47:15.775020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table('alloy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fractions', sa.JSON(), nullable=False),
    sa.Column('elements', sa.String(length=255), nullable=False),
    sa.Column('n_elements', sa.Integer(), nullable=False),
    sa.Column('has_conflict', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alloy')),
    sa.UniqueConstraint('key', name=op.f('uq_alloy_key'))
    )
    op.create_index(op.f('ix_alloy_elements'), 'alloy', ['elements'], unique=False)

    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'paused', 'finished')", name=op.f('ck_campaign_status_allowed')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign')),
    sa.UniqueConstraint('name', name=op.f('uq_campaign_name'))
    )
    op.create_table('model_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('checkpoint_path', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_model_version_sha256_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_version'))
    )
    op.create_index(op.f('ix_model_version_sha256'), 'model_version', ['sha256'], unique=False)

    op.create_table('campaign_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('data_hash', sa.String(length=64), nullable=True),
    sa.Column('seed', sa.Integer(), nullable=True),
    sa.Column('model_version_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('running', 'completed', 'failed')", name=op.f('ck_campaign_round_status_allowed')),
    sa.CheckConstraint('"index" >= 0', name=op.f('ck_campaign_round_index_nonnegative')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_round_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_version.id'], name=op.f('fk_campaign_round_model_version_id_model_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_round')),
    sa.UniqueConstraint('campaign_id', 'index', name=op.f('uq_campaign_round_campaign_id_index'))
    )
    op.create_index(op.f('ix_campaign_round_campaign_id'), 'campaign_round', ['campaign_id'], unique=False)

    op.create_table('label',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alloy_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('phases', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('processing', sa.String(length=16), nullable=True),
    sa.Column('anneal_temperature_c', sa.Float(), nullable=True),
    sa.Column('anneal_time_h', sa.Float(), nullable=True),
    sa.Column('entered_by', sa.String(length=120), nullable=True),
    sa.Column('evidence_uri', sa.Text(), nullable=True),
    sa.Column('provenance', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('external_id', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('superseded_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("method IN ('XRD', 'SEM', 'EBSD', 'TEM', 'EDS', 'APT', 'ND', 'DSC', 'CALPHAD', 'DFT', 'unreported', 'other')", name=op.f('ck_label_method_allowed')),
    sa.CheckConstraint("outcome IN ('single', 'multi')", name=op.f('ck_label_outcome_allowed')),
    sa.CheckConstraint("processing = 'annealed' OR (anneal_temperature_c IS NULL AND anneal_time_h IS NULL)", name=op.f('ck_label_anneal_only')),
    sa.CheckConstraint("processing IN ('as-cast', 'annealed', 'wrought', 'powder', 'additive', 'thin-film', 'other')", name=op.f('ck_label_processing_allowed')),
    sa.CheckConstraint("source IN ('experiment', 'calphad', 'literature')", name=op.f('ck_label_source_allowed')),
    sa.CheckConstraint('superseded_by IS NULL OR superseded_by <> id', name=op.f('ck_label_not_self')),
    sa.ForeignKeyConstraint(['alloy_id'], ['alloy.id'], name=op.f('fk_label_alloy_id_alloy')),
    sa.ForeignKeyConstraint(['superseded_by'], ['label.id'], name=op.f('fk_label_superseded_by_label')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label')),
    sa.UniqueConstraint('external_id', name=op.f('uq_label_external_id'))
    )
    op.create_index(op.f('ix_label_alloy_id'), 'label', ['alloy_id'], unique=False)
    op.create_index(op.f('ix_label_superseded_by'), 'label', ['superseded_by'], unique=False)

    op.create_table('report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['campaign_round.id'], name=op.f('fk_report_round_id_campaign_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report'))
    )
    op.create_index(op.f('ix_report_round_id'), 'report', ['round_id'], unique=False)

    op.create_table('suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('alloy_id', sa.Integer(), nullable=False),
    sa.Column('strategy', sa.String(length=60), nullable=False),
    sa.Column('p_single', sa.Float(), nullable=True),
    sa.Column('interval_low', sa.Float(), nullable=True),
    sa.Column('interval_high', sa.Float(), nullable=True),
    sa.Column('prediction_set', sa.JSON(), nullable=True),
    sa.Column('in_domain', sa.Boolean(), nullable=True),
    sa.Column('acquisition', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('suggested', 'queued', 'synthesized', 'labelled', 'failed', 'abandoned', 'stale')", name=op.f('ck_suggestion_status_allowed')),
    sa.CheckConstraint('p_single IS NULL OR (p_single >= 0 AND p_single <= 1)', name=op.f('ck_suggestion_p_single_probability')),
    sa.ForeignKeyConstraint(['alloy_id'], ['alloy.id'], name=op.f('fk_suggestion_alloy_id_alloy')),
    sa.ForeignKeyConstraint(['label_id'], ['label.id'], name=op.f('fk_suggestion_label_id_label')),
    sa.ForeignKeyConstraint(['round_id'], ['campaign_round.id'], name=op.f('fk_suggestion_round_id_campaign_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion')),
    sa.UniqueConstraint('round_id', 'alloy_id', name=op.f('uq_suggestion_round_id_alloy_id'))
    )
    op.create_index(op.f('ix_suggestion_alloy_id'), 'suggestion', ['alloy_id'], unique=False)
    op.create_index(op.f('ix_suggestion_round_id'), 'suggestion', ['round_id'], unique=False)
    op.create_index(op.f('ix_suggestion_status'), 'suggestion', ['status'], unique=False)

    op.create_table('suggestion_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("from_status IN ('suggested', 'queued', 'synthesized', 'labelled', 'failed', 'abandoned', 'stale')", name=op.f('ck_suggestion_event_from_status_allowed')),
    sa.CheckConstraint("to_status IN ('suggested', 'queued', 'synthesized', 'labelled', 'failed', 'abandoned', 'stale')", name=op.f('ck_suggestion_event_to_status_allowed')),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], name=op.f('fk_suggestion_event_suggestion_id_suggestion')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_event'))
    )
    op.create_index(op.f('ix_suggestion_event_suggestion_id'), 'suggestion_event', ['suggestion_id'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_suggestion_event_suggestion_id'), table_name='suggestion_event')
    op.drop_table('suggestion_event')
    op.drop_index(op.f('ix_suggestion_status'), table_name='suggestion')
    op.drop_index(op.f('ix_suggestion_round_id'), table_name='suggestion')
    op.drop_index(op.f('ix_suggestion_alloy_id'), table_name='suggestion')
    op.drop_table('suggestion')
    op.drop_index(op.f('ix_report_round_id'), table_name='report')
    op.drop_table('report')
    op.drop_index(op.f('ix_label_superseded_by'), table_name='label')
    op.drop_index(op.f('ix_label_alloy_id'), table_name='label')
    op.drop_table('label')
    op.drop_index(op.f('ix_campaign_round_campaign_id'), table_name='campaign_round')
    op.drop_table('campaign_round')
    op.drop_index(op.f('ix_model_version_sha256'), table_name='model_version')
    op.drop_table('model_version')
    op.drop_table('campaign')
    op.drop_index(op.f('ix_alloy_elements'), table_name='alloy')
    op.drop_table('alloy')
