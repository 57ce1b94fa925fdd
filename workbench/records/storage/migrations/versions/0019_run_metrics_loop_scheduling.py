"""run metrics: the live loop's scheduling and the CPUs' wake-up latency held (issue 18, item 3)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27

A run's latencies depend on how its loop was scheduled: at real-time
priority (SCHED_FIFO) where the account may, at ordinary priority where it
may not, with the CPUs' idle states held or left alone. That was a line of the
printed summary only; stored with the metrics, a monitor comparing latency
across sites or sessions sees which runs were measured under which setting.
Older runs read NULL: not recorded.
"""

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

COLUMNS = ('loop_rt_priority', 'cpu_latency_us')


def upgrade() -> None:
    with op.batch_alter_table('run_metrics', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('run_metrics', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
