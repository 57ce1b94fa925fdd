"""trail and access log written through definer functions only; trail transactions paired with the
database's change record (issue 24, items 1 and 3)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23

PostgreSQL: the SECURITY DEFINER functions ``wb_trail_head``,
``wb_append_trail`` and ``wb_log_auth_event`` (workbench.records.trail.pg_definer).
The privileges are applied after every upgrade and downgrade by
``access.pg_roles.apply_privileges``: with these functions present no workbench role keeps
INSERT on ``audit_log`` or ``auth_events`` or UPDATE on ``audit_head``, only
EXECUTE on the functions; after a downgrade the 0011 grants (INSERT bound by
the ``wb_append`` policy) come back.

Both back ends (empty on SQLite): ``trail_txids``, the database transaction
and role behind each run of trail entries (written by ``wb_append_trail``),
and ``audit_head.changes_from``, the first ``db_change_log`` row that
``audit verify`` pairs with them: changes made before this migration had no
transaction recorded and are left out of that cross-check (the replay still
compares every table with the trail). Existing trails are untouched.
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'trail_txids',
        sa.Column('txid', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('db_user', sa.String(63), nullable=False),
        sa.Column('first_seq', sa.Integer(), nullable=False),
        sa.Column('last_seq', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('txid'),
    )
    # Plain ADD COLUMN, not batch mode: a batch rebuild on SQLite would drop 0001's triggers.
    op.add_column('audit_head', sa.Column('changes_from', sa.BigInteger(), nullable=False, server_default='1'))
    op.execute("UPDATE audit_head SET changes_from = (SELECT coalesce(max(id), 0) + 1 FROM db_change_log)")
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    from workbench.records.trail.pg_definer import create_functions
    from workbench.records.access.pg_logins import create_locking_log_function

    create_functions(conn)
    create_locking_log_function(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        from workbench.records.trail.pg_definer import drop_functions
        from workbench.records.access.pg_logins import drop_locking_log_function

        from workbench.records.access.pg_roles import drop_site_policies

        drop_functions(conn)
        drop_locking_log_function(conn)
        drop_site_policies(conn)
    op.execute("ALTER TABLE audit_head DROP COLUMN changes_from")
    op.drop_table('trail_txids')
