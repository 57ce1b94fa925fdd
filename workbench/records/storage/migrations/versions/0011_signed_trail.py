"""signed trail: each transaction's entries carry their author's Ed25519 signature (issue 24, item 1)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22

``audit_log.signature`` holds the signature of the entry's author over its
chain hash, on the last entry of each transaction (workbench.records.trail.signing).
``audit_head.signed_from`` is the first entry that must be signed: every entry
already in the trail when this migration runs was written before personal keys
existed and is reported by ``audit verify`` as unsigned legacy (still checked
by the keyed chain and the replay), not as a forgery. A signed entry at or
below that number means the boundary was moved, and verify says so.
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, not batch mode: a batch rebuild of audit_log on SQLite would drop
    # its append-only triggers (0001/0004).
    op.add_column('audit_log', sa.Column('signature', sa.String(128), nullable=True))
    op.add_column('audit_head', sa.Column('signed_from', sa.Integer(), nullable=False, server_default='1'))
    op.execute("UPDATE audit_head SET signed_from = seq + 1")


def downgrade() -> None:
    op.execute("ALTER TABLE audit_head DROP COLUMN signed_from")
    op.execute("ALTER TABLE audit_log DROP COLUMN signature")
