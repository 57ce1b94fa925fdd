"""Alembic environment: runs on the connection the workbench passes in."""

from __future__ import annotations

from alembic import context

from workbench.records.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise RuntimeError("run migrations with `workbench db upgrade` (workbench.records.migrate.upgrade_database)")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
