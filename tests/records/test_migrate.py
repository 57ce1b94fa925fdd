"""Migrations: the schema they build is the schema the code maps, and they run both ways."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from workbench.records.engine import create_engine
from workbench.records.migrate import current_revision, head_revision, upgrade_database
from workbench.records.tables import metadata


def test_migrations_match_the_tables_and_downgrade(db_url):
    engine = create_engine(db_url)
    try:
        assert current_revision(engine) is None
        head = head_revision()
        assert upgrade_database(engine) == head and int(head) >= 3
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == [], f"tables.py and the migrations disagree: {diff}"
        assert upgrade_database(engine, "base") is None  # downgrade drops everything
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        assert upgrade_database(engine, "0001") == "0001"  # one step at a time, too
        assert upgrade_database(engine) == head
        with engine.connect() as conn:
            chain = conn.exec_driver_sql("SELECT seq, hash FROM audit_head").one()
            fks = conn.exec_driver_sql("PRAGMA foreign_keys").scalar() if engine.dialect.name == "sqlite" else 1
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar() if engine.dialect.name == "sqlite" else "wal"
        assert tuple(chain) == (0, "0" * 64) and fks == 1 and mode == "wal"
    finally:
        engine.dispose()
