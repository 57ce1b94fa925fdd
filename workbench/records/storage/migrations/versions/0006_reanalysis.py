"""reanalysis results with provenance (issue 13): reanalyses, reanalysis_trials

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 09:09:15.963056
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reanalyses',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('unit_key', sa.String(length=200), nullable=False),
    sa.Column('result_version', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=64), nullable=True),
    sa.Column('participant_id', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('recording_sha256', sa.String(length=200), nullable=True),
    sa.Column('decoder_sha256', sa.String(length=200), nullable=True),
    sa.Column('software_version', sa.String(length=200), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=200), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('n_trials', sa.Integer(), nullable=True),
    sa.Column('n_classes', sa.Integer(), nullable=True),
    sa.Column('accuracy', sa.Float(precision=53), nullable=True),
    sa.Column('kappa', sa.Float(precision=53), nullable=True),
    sa.Column('itr_bits_per_min', sa.Float(precision=53), nullable=True),
    sa.Column('trial_duration_s', sa.Float(precision=53), nullable=True),
    sa.Column('erd_percent', sa.JSON(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_reanalyses_participant_id')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_reanalyses_session_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reanalyses')),
    sa.UniqueConstraint('unit_key', 'result_version', name='uq_reanalyses_unit_key_result_version')
    )
    with op.batch_alter_table('reanalyses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reanalyses_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reanalyses_session_id'), ['session_id'], unique=False)

    op.create_table('reanalysis_trials',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('reanalysis_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('cue', sa.String(length=200), nullable=False),
    sa.Column('onset_s', sa.Float(precision=53), nullable=False),
    sa.Column('decoded', sa.String(length=200), nullable=True),
    sa.Column('correct', sa.Boolean(), nullable=True),
    sa.Column('latency_s', sa.Float(precision=53), nullable=True),
    sa.Column('n_windows', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reanalysis_id'], ['reanalyses.id'], name=op.f('fk_reanalysis_trials_reanalysis_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reanalysis_trials'))
    )
    with op.batch_alter_table('reanalysis_trials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reanalysis_trials_reanalysis_id'), ['reanalysis_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reanalysis_trials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reanalysis_trials_reanalysis_id'))

    op.drop_table('reanalysis_trials')
    with op.batch_alter_table('reanalyses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reanalyses_session_id'))
        batch_op.drop_index(batch_op.f('ix_reanalyses_participant_id'))

    op.drop_table('reanalyses')
