"""access log chain: SQLite's auth_events keyed like the trail, and append-only (issue 24, item 3)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-25

``auth_events.hash`` is each event's HMAC-SHA-256 under the audit key over the
previous event's hash and its own canonical JSON (workbench.records.trail.access_chain);
``audit_head`` keeps the chain's end (``auth_seq``, ``auth_hash``) so events cut
from the end are named, and ``auth_from``, the first event that must be chained:
events already logged when this migration runs are legacy, like the trail's
unsigned entries before 0011. On SQLite the log also becomes append-only
(triggers, as for audit_log); on PostgreSQL only the owner's definer function
writes it (0012) and nobody may change it, so its events stay unchained.
"""

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    # Plain ADD COLUMN, not batch mode: a batch rebuild on SQLite would drop the tables' triggers.
    op.add_column('auth_events', sa.Column('hash', sa.String(64), nullable=True))
    op.add_column('audit_head', sa.Column('auth_from', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('audit_head', sa.Column('auth_seq', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('audit_head', sa.Column('auth_hash', sa.String(64), nullable=False, server_default=GENESIS))
    op.execute("UPDATE audit_head SET auth_from = (SELECT COALESCE(MAX(id), 0) + 1 FROM auth_events)")
    if op.get_bind().dialect.name == "sqlite":
        for what in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER auth_events_no_{what.lower()} BEFORE {what} ON auth_events "
                       "BEGIN SELECT RAISE(ABORT, 'auth_events is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for what in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS auth_events_no_{what}")
    for name in ('auth_hash', 'auth_seq', 'auth_from'):
        op.execute(f"ALTER TABLE audit_head DROP COLUMN {name}")
    op.execute("ALTER TABLE auth_events DROP COLUMN hash")
