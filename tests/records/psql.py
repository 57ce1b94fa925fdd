"""What psql would do: connect as a person's own PostgreSQL role and run SQL, bypassing the store."""

from __future__ import annotations

import sqlalchemy as sa

from tests.records.accounts import password_of
from workbench.records.access.pg_roles import login_role


def psql(store, name, password=None):
    """A plain SQLAlchemy engine logged in as the person's database role (what psql would be)."""
    url = sa.make_url(store.url)
    return sa.create_engine(url.set(username=login_role(url.database, name), password=password or password_of(name)))


def try_sql(engine, sql):
    """Run one statement; return None if it worked, else the database's error text."""
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
    except sa.exc.DBAPIError as err:
        return str(err.orig).splitlines()[0]
    return None


def sql_rows(engine, sql):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]
