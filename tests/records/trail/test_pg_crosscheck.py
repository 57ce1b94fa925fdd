"""audit verify always pairs PostgreSQL's own record of every row change with the trail (issue 24, item 1):
a change made with psql and put back, and entries under another person's name in a transaction made by
another database role, are named even though every table matches the trail."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.records import factories as f
from tests.records.psql import psql, try_sql
from workbench.records.trail.audit import HASHED, AuditEntry
from workbench.records.trail.signing import derive_key, new_salt, sign
from workbench.records.types.fields import canonical_json

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(store):
    if not store.postgres:
        pytest.skip("PostgreSQL only: SQLite has no database change record")
    f.seeded(store)
    return store


def test_a_psql_change_put_back_is_still_named(pg_store):
    store = pg_store
    assert store.verify_audit().ok
    inv = psql(store, "dr.inv")
    try:
        for age in (70, 34):  # changed and put back: the table matches the trail again
            assert try_sql(inv, f"UPDATE participants SET age_years = {age} WHERE id = 'SCI-001'") is None
    finally:
        inv.dispose()
    report = store.verify_audit()
    outside = [x for x in report.findings if "has no trail entry in its transaction" in x.message]
    assert len(outside) == 2, report.summary()
    assert all("participants/SCI-001: UPDATE by database role dr.inv@" in x.message and "(dr.inv)" in x.message
               for x in outside)
    assert not any("is 70 in the table" in x.message for x in report.findings)  # the replay alone saw nothing


def test_entries_under_a_name_the_changing_role_is_not_are_named(pg_store, audit_key_file):
    """The database owner (who may call the append function with any name) writes as the investigator:
    the change log has the owner's role, the entries say dr.inv, and verify says so."""
    store = pg_store
    key = bytes.fromhex(audit_key_file.read_text().strip())
    owner = sa.create_engine(store.url)
    try:
        with owner.begin() as conn:
            head = conn.exec_driver_sql("SELECT seq, hash FROM wb_trail_head()").one()
            e = AuditEntry(seq=head.seq + 1, ts="2026-11-23T10:00:00.000000+00:00", user_name="dr.inv",
                           role="investigator", action="update", entity="participants", entity_id="SCI-001",
                           field="age_years", old_value=canonical_json(34), new_value=canonical_json(71),
                           reason="correction", prev_hash=head.hash)
            row = {k: getattr(e, k) for k in HASHED}
            row["hash"] = e.compute_hash(key)
            row["signature"] = sign(derive_key("a guess", new_salt()), row["hash"])
            conn.execute(sa.text("SELECT wb_append_trail(CAST(:e AS json))"), {"e": json.dumps([row])})
            conn.exec_driver_sql("UPDATE participants SET age_years = 71 WHERE id = 'SCI-001'")
    finally:
        owner.dispose()
    report = store.verify_audit()
    (named,) = [x for x in report.findings if x.seq == head.seq + 1 and "database recorded" in x.message]
    assert "names dr.inv" in named.message and "UPDATE of participants/SCI-001" in named.message
    assert "dr.inv@" not in named.message.split("by database role")[1]  # the owner's role, not dr.inv's


def test_the_workbench_own_writes_cross_check_clean(pg_store):
    from tests.records.accounts import as_user
    import dataclasses
    from workbench.records import Participant

    store = pg_store
    with as_user(store, "inv.zh", "investigator", "ZH") as site_inv:
        p = site_inv.get(Participant, "SCI-001")
        site_inv.update(dataclasses.replace(p, age_years=35), reason="typo")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM trail_txids").scalar() >= 3
    report = store.verify_audit()
    assert report.ok, report.summary()
