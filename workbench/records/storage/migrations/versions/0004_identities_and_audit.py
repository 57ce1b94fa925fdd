"""identities (passwords, access log, account sites) and the keyed audit chain (issue 11)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Upgrading re-keys an existing trail: the plain SHA-256 chain is checked first
(a broken chain is refused, never laundered into a valid keyed one), then
every entry's hash is recomputed as HMAC-SHA-256 under the workspace's audit
key. Downgrading puts the plain chain back.
"""

import hashlib
import hmac

from alembic import context, op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

HASHED = ("seq", "ts", "user_name", "role", "action", "entity", "entity_id", "field", "old_value",
          "new_value", "reason", "prev_hash")
GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table('user_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_id', sa.String(length=200), nullable=True))
    op.create_table('credentials',
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('changed_at', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['user_name'], ['user_accounts.id'], name=op.f('fk_credentials_user_name')),
    sa.PrimaryKeyConstraint('user_name', name=op.f('pk_credentials'))
    )
    op.create_table('auth_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ts', sa.String(length=40), nullable=False),
    sa.Column('user_name', sa.String(length=80), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_events'))
    )
    op.create_table('db_logins',
    sa.Column('role_name', sa.String(length=63), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_name'], ['user_accounts.id'], name=op.f('fk_db_logins_user_name')),
    sa.PrimaryKeyConstraint('role_name', name=op.f('pk_db_logins')),
    sa.UniqueConstraint('user_name')
    )
    op.create_table('db_change_log',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('changed_at', sa.String(length=40), nullable=False),
    sa.Column('db_user', sa.String(length=63), nullable=False),
    sa.Column('txid', sa.BigInteger(), nullable=False),
    sa.Column('table_name', sa.String(length=63), nullable=False),
    sa.Column('row_id', sa.String(length=64), nullable=False),
    sa.Column('operation', sa.String(length=10), nullable=False),
    sa.Column('row_data', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_db_change_log'))
    )
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        # Group roles and SECURITY DEFINER functions; the GRANTs, policies and triggers per table
        # are (re)applied after every upgrade by workbench.records.access.pg_roles.apply_privileges.
        from workbench.records.access.pg_roles import create_groups

        create_groups(conn)
    if conn.exec_driver_sql("SELECT COUNT(*) FROM audit_log").scalar_one():
        key = context.config.attributes["audit_key"]()
        _rechain(conn, _plain, lambda prev, payload: hmac.new(key, (prev + payload).encode("utf-8"),
                                                              hashlib.sha256).hexdigest())


def downgrade() -> None:
    conn = op.get_bind()
    if conn.exec_driver_sql("SELECT COUNT(*) FROM audit_log").scalar_one():
        key = context.config.attributes["audit_key"]()
        _rechain(conn, lambda prev, payload: hmac.new(key, (prev + payload).encode("utf-8"),
                                                      hashlib.sha256).hexdigest(), _plain)
    if conn.dialect.name == "postgresql":
        from workbench.records.access.pg_roles import drop_groups

        for name in conn.exec_driver_sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").scalars():
            conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS wb_record_change ON "{name}"')
            conn.exec_driver_sql(f'DROP POLICY IF EXISTS wb_site ON "{name}"')
            conn.exec_driver_sql(f'ALTER TABLE "{name}" DISABLE ROW LEVEL SECURITY')
        drop_groups(conn)
    op.drop_table('db_change_log')
    op.drop_table('db_logins')
    op.drop_table('auth_events')
    op.drop_table('credentials')
    with op.batch_alter_table('user_accounts', schema=None) as batch_op:
        batch_op.drop_column('site_id')


def _plain(prev: str, payload: str) -> str:
    return hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()


def _canonical(values: dict) -> str:
    import json

    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _rechain(conn, old_hash, new_hash) -> None:
    """Check every entry under ``old_hash``, then rewrite the chain under ``new_hash``."""
    cols = ", ".join(HASHED + ("hash",))
    rows = [dict(r) for r in conn.exec_driver_sql(f"SELECT {cols} FROM audit_log ORDER BY seq").mappings()]
    prev = GENESIS
    for row in rows:
        payload = _canonical({k: row[k] for k in HASHED})
        if row["prev_hash"] != prev or old_hash(prev, payload) != row["hash"]:
            raise RuntimeError(f"audit entry #{row['seq']} does not match its hash: the trail was altered before "
                               "this upgrade; it is not re-keyed (that would hide the alteration). "
                               "Investigate with the previous workbench version's `workbench audit verify`.")
        prev = row["hash"]
    _guard(conn, off=True)  # the append-only guard of 0001, lifted for this one rewrite
    prev = GENESIS
    audit_log = sa.table("audit_log", sa.column("seq"), sa.column("prev_hash"), sa.column("hash"))
    for row in rows:
        row["prev_hash"] = prev
        payload = _canonical({k: row[k] for k in HASHED})
        prev = new_hash(prev, payload)
        conn.execute(audit_log.update().where(audit_log.c.seq == row["seq"]).values(prev_hash=row["prev_hash"],
                                                                                     hash=prev))
    conn.execute(sa.text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": prev})
    _guard(conn, off=False)


def _guard(conn, *, off: bool) -> None:
    if conn.dialect.name == "sqlite":
        if off:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        else:
            conn.exec_driver_sql("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                                 "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        conn.exec_driver_sql(f"ALTER TABLE audit_log {'DISABLE' if off else 'ENABLE'} TRIGGER audit_log_append_only")
