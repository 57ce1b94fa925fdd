"""protocol deviations get a status: open / closed, with the date closed and the resolution (issue 10)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

Written by hand in the shape alembic autogenerate gives (checked by
tests/records/test_migrate.py against tables.py). Deviations recorded before
this revision are open: nobody has documented their closing yet. That value
goes into the audit trail like every change (one entry per row, by the
migration), so the trail still replays to what the table holds.
"""

from alembic import context, op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

REASON = "schema migration 0007: deviations recorded before they had a status are open"


def upgrade() -> None:
    with op.batch_alter_table('protocol_deviations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=200), nullable=False, server_default='open'))
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('resolution', sa.Text(), nullable=True))
    with op.batch_alter_table('protocol_deviations', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=200), server_default=None)
    _audit_existing(op.get_bind())


def _audit_existing(conn) -> None:
    """One 'status: open' entry per existing deviation, chained and keyed like the store's own."""
    ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM protocol_deviations ORDER BY id"))]
    if not ids:
        return
    from types import SimpleNamespace

    from workbench.records.types.base import User
    from workbench.records.trail.audit import AuditWriter

    key = context.config.attributes["audit_key"]()
    writer = AuditWriter(conn, User("schema-migration-0007", "data_manager"), key)
    for rid in ids:
        # The writer needs only the table and the id of the row it describes.
        writer.updated(SimpleNamespace(TABLE="protocol_deviations", id=rid), {}, {"status": "open"}, REASON)
    writer.flush()


def downgrade() -> None:
    with op.batch_alter_table('protocol_deviations', schema=None) as batch_op:
        batch_op.drop_column('resolution')
        batch_op.drop_column('closed_on')
        batch_op.drop_column('status')
