"""run metrics: the amplifier's and the workbench's shares of the command latency (issue 18, item 3)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22

The stored command latency (last sample -> command push) mixes two owners:
the amplifier and the network (sample time stamp -> chunk arrival at the
inlet) and the workbench itself (arrival -> command pushed). Keeping both
percentiles lets a site tell a slow amplifier from a slow workstation.
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

COLUMNS = ('amplifier_share_p50_ms', 'amplifier_share_p99_ms', 'workbench_share_p50_ms', 'workbench_share_p99_ms')


def upgrade() -> None:
    with op.batch_alter_table('run_metrics', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Float(precision=53), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('run_metrics', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
