"""Alembic environment: runs on the connection the workbench passes in.

Alembic loads this file and the scripts in ``versions/`` by path when
``storage.migrate.upgrade_database`` runs; nothing imports them. They are the
one place in the records package that may use every layer (a schema step may
re-key the trail or create PostgreSQL roles), so the layout test
(tests/records/test_layout.py) places them above the facade.
"""

from __future__ import annotations

from alembic import context
from alembic.runtime.migration import MigrationContext

from workbench.records.access.pg_logins import ensure_log_role
from workbench.records.access.pg_roles import apply_privileges
from workbench.records.storage.tables import metadata
from workbench.records.trail.keys import load_audit_key

attributes = context.config.attributes
connection = attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise RuntimeError("run migrations with `workbench db upgrade` (workbench.records.storage.migrate.upgrade_database)")
workspace = attributes.get("workspace")
# 0004 re-keys an existing trail: it asks for the key only when there is one to re-key.
attributes.setdefault("audit_key", lambda: load_audit_key(workspace))

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

revision = MigrationContext.configure(connection).get_current_revision() or ""
if connection.dialect.name == "postgresql" and revision >= "0004":
    # Every table of the schema now there gets its GRANTs, site policy and change trigger.
    apply_privileges(connection)
    if revision >= "0008":  # the role that logs refused logins, its password in keys/
        ensure_log_role(connection, workspace)
