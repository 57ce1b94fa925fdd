"""Schema migrations, run through alembic's API from any working directory.

The migration scripts live inside the package (``migrations/``), so ``workbench
db upgrade`` needs no ``alembic.ini`` and works wherever it is started.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection: sa.Connection, workspace=None):
    from alembic.config import Config

    from .keys import load_audit_key

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    # 0004 re-keys an existing trail: it asks for the key only when there is one to re-key.
    cfg.attributes["audit_key"] = lambda: load_audit_key(workspace)
    return cfg


def _revision_of(conn: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def upgrade_database(engine: sa.Engine, revision: str = "head", *, workspace=None) -> str | None:
    """Bring the database to ``revision``; return the revision it is at afterwards.

    ``"head"`` is the newest schema; ``"base"`` or an older revision downgrades
    (revision ids are zero-padded numbers, so they sort in order). ``workspace``
    locates the audit key when an existing trail must be re-keyed (0004).
    """
    from alembic import command

    with engine.connect() as conn:
        current = _revision_of(conn)
        older = revision == "base" or (current is not None and revision != "head" and revision < current)
        (command.downgrade if older else command.upgrade)(_config(conn, workspace), revision)
        if conn.dialect.name == "postgresql" and (_revision_of(conn) or "") >= "0004":
            # Every table of the schema now there gets its GRANTs, site policy and change trigger.
            from .pg import apply_privileges

            apply_privileges(conn)
            if (_revision_of(conn) or "") >= "0008":  # the role that logs refused logins, its password in keys/
                from .pg_logins import ensure_log_role

                ensure_log_role(conn, workspace)
        conn.commit()
    return current_revision(engine)


def current_revision(engine: sa.Engine) -> str | None:
    """The alembic revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return _revision_of(conn)


def head_revision() -> str:
    """The newest revision shipped with this version of the workbench."""
    from alembic.script import ScriptDirectory

    with sa.create_engine("sqlite://").connect() as conn:
        return ScriptDirectory.from_config(_config(conn)).get_current_head()
