"""logins and old defaults (issue 11): refused PostgreSQL logins logged, SCRAM-only passwords, 0005 defaults audited

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22

PostgreSQL only (SQLite checks passwords in the workbench and logs refusals
itself): the SECURITY DEFINER function ``wb_log_refused_login`` that the
minimal role ``wb_login_log@<tag>`` may execute (the role and its password
file are made after the upgrade, see ``pg_logins.ensure_log_role``), and
``wb_create_login`` taking only a SCRAM-SHA-256 verifier.

Both backends: rows written before 0005 got default values from it
(``usade``/``imminent_risk`` False, ungraded deviations ``major`` with a
corrective action asking for review) without audit entries, so ``audit
verify`` flagged them. One entry per filled field is appended now, by
"schema-migration-0005", but only where the trail has no entry for that field
and the value is still the one 0005 set: anything else is left for verify
to report (never laundered).
"""

from types import SimpleNamespace

from alembic import context, op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


#: What 0005 filled in on rows that existed before it (its UNGRADED text, copied: 0005 is fixed).
FILLED_BY_0005 = {
    "adverse_events": {"usade": False, "imminent_risk": False},
    "device_deficiencies": {"imminent_risk": False},
    "protocol_deviations": {"grade": "major", "corrective_action": "to be reviewed: graded major by schema "
                            "migration 0005 (recorded before deviations were graded)"},
}
REASON = "schema migration 0005 set this default on a record made before the field existed (entry added by 0008)"


def upgrade() -> None:
    conn = op.get_bind()
    _audit_0005_defaults(conn)
    if conn.dialect.name != "postgresql":
        return
    from workbench.records.access.pg_roles import create_login_function
    from workbench.records.access.pg_logins import create_log_function

    create_log_function(conn)
    create_login_function(conn, scram_only=True)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    from workbench.records.access.pg_roles import create_login_function
    from workbench.records.access.pg_logins import drop_log_function

    drop_log_function(conn)
    create_login_function(conn, scram_only=False)


def _audit_0005_defaults(conn) -> None:
    from workbench.records.types.base import User
    from workbench.records.trail.audit import AuditWriter
    from workbench.records.storage.tables import audit_log

    fields = {f for filled in FILLED_BY_0005.values() for f in filled}
    entered = {tuple(r) for r in conn.execute(
        sa.select(audit_log.c.entity, audit_log.c.entity_id, audit_log.c.field)
        .where(audit_log.c.entity.in_(FILLED_BY_0005), audit_log.c.field.in_(fields)).distinct())}
    missing = []
    for table, filled in FILLED_BY_0005.items():
        cols = ", ".join(filled)
        for row in conn.exec_driver_sql(f"SELECT id, {cols} FROM {table} ORDER BY id").mappings():
            new = {f: v for f, v in filled.items() if (table, row["id"], f) not in entered and _same(row[f], v)}
            if new:
                missing.append((table, row["id"], new))
    if not missing:
        return
    writer = AuditWriter(conn, User("schema-migration-0005", "data_manager"), context.config.attributes["audit_key"]())
    for table, rid, new in missing:
        # The writer needs only the table and the id of the row it describes.
        writer.updated(SimpleNamespace(TABLE=table, id=rid), {}, new, REASON)
    writer.flush()


def _same(stored, default) -> bool:
    if isinstance(default, bool):  # SQLite returns booleans as 0/1
        return stored is not None and bool(stored) is default
    return stored == default
