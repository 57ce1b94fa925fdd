"""Fixtures of the records tests: one fresh database per test, on SQLite and PostgreSQL.

PostgreSQL runs need ``WORKBENCH_TEST_PG_URL`` (``make test`` starts a server
and sets it); each test gets its own database, dropped afterwards.
"""

from __future__ import annotations

import os
import time
import uuid
import warnings

import pytest
import sqlalchemy as sa

PG_VAR = "WORKBENCH_TEST_PG_URL"


def _pg_database(base_url: str):
    name = f"wb_rec_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    return admin, name, url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A SQLAlchemy URL of an empty database of the parametrized backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'study.sqlite'}"
        return
    base = os.environ.get(PG_VAR)
    if not base:
        pytest.skip(f"{PG_VAR} is not set: no PostgreSQL server to test against (make test starts one)")
    admin, name, url = _pg_database(base)
    try:
        yield url
    finally:
        _drop_database(admin, name)
        admin.dispose()


def _drop_roles(conn, database: str) -> None:
    """The login and group roles the workbench made for that database (roles outlive databases)."""
    from workbench.records.access.pg_roles import db_tag

    names = conn.exec_driver_sql(f"SELECT rolname FROM pg_roles WHERE rolname LIKE '%%@{db_tag(database)}'").scalars()
    for role in sorted(names, key=lambda n: n.startswith("wb_")):  # logins before their groups
        conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')


def _drop_database(admin: sa.Engine, name: str, attempts: int = 50) -> None:
    """Drop a test database, waiting (bounded) for an autovacuum worker to leave it.

    ``WITH (FORCE)`` ends our own sessions but may not end the superuser's
    autovacuum worker, which a test's deletes can start.
    """
    for _ in range(attempts):
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                _drop_roles(conn, name)
            return
        except sa.exc.DBAPIError:
            time.sleep(0.1)
    warnings.warn(f"could not drop test database {name} (left on the throwaway server)")


@pytest.fixture(autouse=True)
def audit_key_file(tmp_path, monkeypatch):
    """Each test's audit key in its own folder (never the repository's ./workspace)."""
    path = tmp_path / "keys" / "audit.key"
    monkeypatch.setenv("WORKBENCH_AUDIT_KEY_FILE", str(path))
    return path


@pytest.fixture
def store(db_url):
    """A coordinating investigator's store (the first account, all sites) on an upgraded, empty database."""
    from tests.records.accounts import first_investigator

    s = first_investigator(db_url)
    yield s
    s.close()


@pytest.fixture
def pg_superuser(db_url):
    """An engine connected as the server's superuser, for what only it may read (``pg_authid``).

    Through the server's Unix socket (``scripts/pg-server.sh`` trusts local connections), found
    by its port in the temporary folder the server was started in; skipped when not found.
    """
    import glob
    import tempfile

    url = sa.make_url(db_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only")
    sockets = glob.glob(f"{tempfile.gettempdir()}/*/.s.PGSQL.{url.port}")
    if not sockets:
        pytest.skip(f"no Unix socket of the test server (port {url.port}) under {tempfile.gettempdir()}")
    engine = sa.create_engine(sa.URL.create("postgresql+psycopg", username="postgres", database=url.database,
                                            port=url.port, query={"host": os.path.dirname(sockets[0])}))
    yield engine
    engine.dispose()
