"""Database engines: SQLite with WAL and foreign keys, or PostgreSQL by URL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event

#: How long a writer waits for another writer's lock before giving up.
BUSY_TIMEOUT_S = 30


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url`` with the workbench's connection settings.

    SQLite gets WAL (readers do not block the writer), ``foreign_keys=ON``
    (off by default in SQLite) and a busy timeout. pysqlite's own transaction
    handling is switched off so that a write transaction can start with
    ``BEGIN IMMEDIATE`` (taking the write lock before reading the audit chain
    head) -- the recipe in SQLAlchemy's pysqlite documentation.
    """
    url_obj = sa.make_url(url)
    if url_obj.get_backend_name() != "sqlite":
        return sa.create_engine(url_obj, pool_pre_ping=True)
    engine = sa.create_engine(url_obj, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get("workbench_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


def run_ddl(conn: sa.Connection, sql: str) -> None:
    """Run PostgreSQL DDL holding plpgsql ``%`` placeholders (the driver would read them as its own)."""
    conn.exec_driver_sql(sql.replace("%", "%%"))
