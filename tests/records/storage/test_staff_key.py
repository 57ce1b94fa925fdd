"""The study's staff code key (migration 0015): made once per database, read by every role, changed by nobody.

Staff codes in exports and reports are an HMAC of the user name under this key
(types/identifiers.py), so the key must never leave the database (it is no
record type: never exported, never in the trail or the change log) and must
never change (every code would change with it). On SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.records import factories as f
from tests.records.accounts import as_user, first_investigator, login
from workbench.records.export import export_study
from workbench.records.storage.engine import create_engine
from workbench.records.storage.migrate import head_revision, upgrade_database
from workbench.records.storage.staff_key import stored_staff_key
from workbench.records.storage.tables import BY_TABLE, TABLES, staff_code_key
from workbench.records.types.identifiers import staff_code


def _owner_key(url: str) -> bytes | None:
    engine = create_engine(url)  # the owner's connection, as `workbench db upgrade` uses
    try:
        with engine.connect() as conn:
            return stored_staff_key(conn)
    finally:
        engine.dispose()


def test_every_database_gets_its_own_key_from_the_migration(db_url, tmp_path):
    engine = create_engine(db_url)
    try:
        upgrade_database(engine, "0014")
        with engine.connect() as conn:
            assert stored_staff_key(conn) is None  # below 0015: no key (exports refuse, see below)
        upgrade_database(engine)
        with engine.connect() as conn:
            (row,) = conn.execute(sa.select(staff_code_key)).mappings().all()
    finally:
        engine.dispose()
    assert row["id"] == 1 and len(bytes.fromhex(row["secret"])) == 32
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    made = create_engine(other)
    try:
        upgrade_database(made)
    finally:
        made.dispose()
    assert _owner_key(other) != _owner_key(db_url) == bytes.fromhex(row["secret"])
    # Not a record type: exports (which enumerate the record types), the trail and the change log never see it.
    assert staff_code_key.name not in BY_TABLE and staff_code_key.name not in TABLES


def test_nobody_changes_the_key_not_even_the_owner(store):
    key = store.staff_key
    engine = create_engine(store.url)
    try:
        for sql in ("UPDATE staff_code_key SET secret = 'ab'", "DELETE FROM staff_code_key"):
            with pytest.raises(sa.exc.DBAPIError, match="never changed"):
                with engine.begin() as conn:
                    conn.exec_driver_sql(sql)
    finally:
        engine.dispose()
    assert _owner_key(store.url) == key


def test_the_key_never_enters_the_trail_or_the_change_log(store):
    f.seeded(store)
    store.add(f.visit())
    secret = store.staff_key.hex()
    trail = store.audit_trail()
    assert staff_code_key.name not in set(trail.entity)
    assert not trail.astype(str).apply(lambda col: col.str.contains(secret)).any().any()
    if store.postgres:  # the database's own record of row changes copies whole rows: not this one
        engine = create_engine(store.url)
        try:
            with engine.connect() as conn:
                logged = conn.exec_driver_sql("SELECT table_name, row_data FROM db_change_log").all()
        finally:
            engine.dispose()
        assert logged and not [t for t, data in logged if t == staff_code_key.name or secret in (data or "")]


def test_an_older_database_gets_a_key_on_upgrade_and_still_verifies(store, tmp_path):
    f.seeded(store)
    store.add(f.assessment())
    old_code = "staff-" + hashlib.sha256(b"workbench staff:dr.inv").hexdigest()[:10]  # before 0015
    store.close()
    engine = create_engine(store.url)
    try:
        assert upgrade_database(engine, "0014") == "0014"
        assert staff_code_key.name not in sa.inspect(engine).get_table_names()
        assert upgrade_database(engine) == head_revision()
    finally:
        engine.dispose()
    again = login(store.url, "dr.inv")
    try:
        report = again.verify_audit()  # what `workbench audit verify` runs
        assert report.ok, report.summary()
        assert again.staff_key == _owner_key(store.url)
        out = export_study(again, tmp_path / "csv", "csv")
        users = set(pd.read_csv(out / "audit_trail.csv", dtype=str).user_name)
        assessors = set(pd.read_csv(out / "outcome_assessments.csv", dtype=str).assessor)
        assert users == {again.staff_code("dr.inv")} and old_code not in users
        assert assessors == {staff_code(f.ASSESSOR, again.staff_key)}
    finally:
        again.close()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("role", ["monitor", "investigator"])
def test_on_postgresql_every_role_reads_the_key_and_none_changes_it(store, role):
    f.seeded(store)
    other = as_user(store, "other.user", role)
    try:
        assert other.staff_key == store.staff_key  # one study, one key: the same codes in everyone's exports
        assert other.staff_code("eng.b") == store.staff_code("eng.b")
        for sql in ("UPDATE staff_code_key SET secret = 'ab'", "DELETE FROM staff_code_key",
                    "INSERT INTO staff_code_key (id, secret, made_at) VALUES (2, 'ab', 'now')"):
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                with other.engine.begin() as conn:
                    conn.exec_driver_sql(sql)
    finally:
        other.close()
    assert _owner_key(store.url) == store.staff_key
