"""closed loop: safety events, run metrics, trial command and gate fields

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:04:28.211397
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('run_metrics',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('decoder_version', sa.String(length=200), nullable=True),
    sa.Column('n_trials', sa.Integer(), nullable=False),
    sa.Column('n_classes', sa.Integer(), nullable=False),
    sa.Column('accuracy', sa.Float(precision=53), nullable=True),
    sa.Column('chance_level', sa.Float(precision=53), nullable=True),
    sa.Column('kappa', sa.Float(precision=53), nullable=True),
    sa.Column('itr_bits_per_min', sa.Float(precision=53), nullable=True),
    sa.Column('trial_duration_s', sa.Float(precision=53), nullable=True),
    sa.Column('latency_p50_ms', sa.Float(precision=53), nullable=True),
    sa.Column('latency_p95_ms', sa.Float(precision=53), nullable=True),
    sa.Column('latency_p99_ms', sa.Float(precision=53), nullable=True),
    sa.Column('latency_max_ms', sa.Float(precision=53), nullable=True),
    sa.Column('n_blocked', sa.Integer(), nullable=False),
    sa.Column('n_safe_states', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_run_metrics_run_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_run_metrics'))
    )
    with op.batch_alter_table('run_metrics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_run_metrics_run_id'), ['run_id'], unique=False)

    op.create_table('safety_events',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lsl_time', sa.Float(precision=53), nullable=True),
    sa.Column('decision', sa.String(length=200), nullable=False),
    sa.Column('rule', sa.String(length=200), nullable=False),
    sa.Column('command', sa.String(length=200), nullable=True),
    sa.Column('time_to_safe_ms', sa.Float(precision=53), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_safety_events_run_id')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_safety_events_session_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_events'))
    )
    with op.batch_alter_table('safety_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_events_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_events_session_id'), ['session_id'], unique=False)

    with op.batch_alter_table('trials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decoder_version', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('command', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('command_latency_ms', sa.Float(precision=53), nullable=True))
        batch_op.add_column(sa.Column('gate_decision', sa.String(length=200), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('trials', schema=None) as batch_op:
        batch_op.drop_column('gate_decision')
        batch_op.drop_column('command_latency_ms')
        batch_op.drop_column('command')
        batch_op.drop_column('decoder_version')

    with op.batch_alter_table('safety_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_events_session_id'))
        batch_op.drop_index(batch_op.f('ix_safety_events_run_id'))

    op.drop_table('safety_events')
    with op.batch_alter_table('run_metrics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_run_metrics_run_id'))

    op.drop_table('run_metrics')
