"""run metrics: samples lost and gaps in the signal of the run (issue 18, item 2)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24

A reader that falls behind loses samples and the run goes on with a gap: the
loss was a SafetyEvent (signal_gap) and a line of the printed summary only.
Stored with the run's metrics, a monitor can count it across sessions without
reading the events. Older runs read 0: nothing was lost without a trace before
this column either (every overrun then ended the run, or left its SafetyEvent).
"""

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

COLUMNS = ('samples_lost', 'n_gaps')


def upgrade() -> None:
    with op.batch_alter_table('run_metrics', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('run_metrics', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
