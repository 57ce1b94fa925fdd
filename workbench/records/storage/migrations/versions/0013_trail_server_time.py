"""trail entries stamped with the server's clock on PostgreSQL (issue 24)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23

PostgreSQL: ``wb_append_trail`` records the server's transaction time
(``transaction_timestamp()``) as each entry's ``ts``, whatever the client
sent; the client reads that time with the head (``pg_definer.lock_head``) and
hashes and signs its entries with it. Why the transaction's start and not
``clock_timestamp()``: see ``workbench.records.trail.pg_definer``. Entries
already written keep the time they were hashed with, so ``audit verify``
replays old trails unchanged. Same function signature: the EXECUTE grants
stay. SQLite: nothing (one process on one workstation, whose clock is the
store's).
"""

from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    from workbench.records.trail.pg_definer import stamp_server_time

    stamp_server_time(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    from workbench.records.trail.pg_definer import stamp_client_time

    stamp_client_time(conn)
