"""Schema migrations, run through alembic's API from any working directory.

The migration scripts live inside the package (``migrations/``), so ``workbench
db upgrade`` needs no ``alembic.ini`` and works wherever it is started.

This module only drives alembic. What a schema change needs from the layers
above storage (the audit key to re-key a trail, PostgreSQL's GRANTs and
policies after every change) is the migration environment's business
(``migrations/env.py``): alembic loads the scripts by path, so they may use
every layer without storage importing any of them.
"""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection: sa.Connection, workspace=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    cfg.attributes["workspace"] = workspace  # where env.py finds the audit key and the keys/ folder
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
        # env.py also gives every table of the schema now there its PostgreSQL GRANTs and policies.
        (command.downgrade if older else command.upgrade)(_config(conn, workspace), revision)
        conn.commit()
    return current_revision(engine)


def current_revision(engine: sa.Engine) -> str | None:
    """The alembic revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return _revision_of(conn)


@functools.cache  # the scripts ship with the package; every store open asks (reading them cost 40-380 ms)
def head_revision() -> str:
    """The newest revision shipped with this version of the workbench."""
    from alembic.script import ScriptDirectory

    with sa.create_engine("sqlite://").connect() as conn:
        return ScriptDirectory.from_config(_config(conn)).get_current_head()
