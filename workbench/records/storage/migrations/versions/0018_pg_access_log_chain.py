"""PostgreSQL's access log chained by the server (issue 24, item 3)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26

PostgreSQL: ``wb_append_auth_event`` (owned by the schema owner, EXECUTE for
nobody) hashes each access-log event onto the chain kept in ``audit_head``
(``auth_seq``, ``auth_hash``), and the two logging functions append through
it (workbench.records.trail.pg_access_chain), so an event edited, inserted or
deleted with psql, even by the owner, is named by ``audit verify``. Events
logged before this migration are legacy: the chain starts after them
(``auth_from``). SQLite: nothing (0017 chains its log under the audit key).
"""

from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    from workbench.records.trail.pg_access_chain import install

    install(conn)
    _rewrite_loggers(conn, chained=True)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    from workbench.records.trail.pg_access_chain import uninstall

    _rewrite_loggers(conn, chained=False)
    uninstall(conn)


def _rewrite_loggers(conn, *, chained: bool) -> None:
    # CREATE OR REPLACE keeps the functions' owners and EXECUTE grants (the login-log role's among them).
    from workbench.records.access.pg_logins import locking_log_sql
    from workbench.records.storage.engine import run_ddl
    from workbench.records.trail.pg_definer import CHAINED_APPEND, PLAIN_INSERT, log_auth_event_sql

    append = CHAINED_APPEND if chained else PLAIN_INSERT
    run_ddl(conn, log_auth_event_sql("CREATE OR REPLACE", append))
    run_ddl(conn, locking_log_sql("CREATE OR REPLACE", append))
