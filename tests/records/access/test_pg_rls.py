"""PostgreSQL row-level security by site on the trail, the change log and the accounts (issue 24, item 4):
an engineer at one site with psql read 112 trail entries of another site's participant."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from tests.records import factories as f
from tests.records.accounts import as_user, login
from tests.records.psql import psql, sql_rows, try_sql
from workbench.records import Participant, Site

pytestmark = pytest.mark.postgres


@pytest.fixture
def two_sites(store):
    if not store.postgres:
        pytest.skip("PostgreSQL only: SQLite has no database roles")
    f.seeded(store)  # SCI-001 at ZH
    store.add(Site(id="BE", study_id="BCI-SCI-01", name="Spinal cord unit B", country="CH"))
    store.add(f.participant("SCI-002", site_id="BE"), f.consent("SCI-002"))
    store.add(f.visit("SCI-002"))
    for name, role, site in [("e.zh", "engineer", "ZH"), ("e.be", "engineer", "BE"), ("a.zh", "assessor", "ZH"),
                             ("inv.zh", "investigator", "ZH"), ("m.on", "monitor", None)]:
        as_user(store, name, role, site).close()
    return store


def _owner_rows(store, sql):
    engine = sa.create_engine(store.url)
    try:
        return sql_rows(engine, sql)
    finally:
        engine.dispose()


B_ENTRIES = ("SELECT count(*) FROM audit_log WHERE entity_id IN ('SCI-002', 'C-SCI-002') "
             "OR entity_id IN (SELECT id FROM visits WHERE participant_id = 'SCI-002') "
             "OR new_value LIKE '%%SCI-002%%'")


def test_site_staff_read_only_their_sites_trail_and_changes(two_sites):
    store = two_sites
    (b_entries,) = _owner_rows(store, B_ENTRIES)[0]
    (b_changes,) = _owner_rows(store, "SELECT count(*) FROM db_change_log WHERE row_data LIKE '%%SCI-002%%'")[0]
    assert b_entries > 0 and b_changes > 0
    for name in ("e.zh", "a.zh", "inv.zh"):
        zh = psql(store, name)
        try:
            assert sql_rows(zh, B_ENTRIES) == [(0,)], name
            assert sql_rows(zh, "SELECT DISTINCT entity_id FROM audit_log WHERE entity = 'participants'") == [("SCI-001",)]
            if name != "a.zh":  # the assessor reads no change log at all (blinding)
                assert sql_rows(zh, "SELECT count(*) FROM db_change_log WHERE row_data LIKE '%%SCI-002%%'") == [(0,)]
                assert sql_rows(zh, "SELECT count(*) FROM db_change_log WHERE row_id = 'SCI-001'") != [(0,)]
            # Study-level records are everyone's, and so are their entries: the other site's record too.
            assert sql_rows(zh, "SELECT count(*) FROM audit_log WHERE entity = 'sites' AND entity_id = 'BE'") != [(0,)]
            # Accounts: their site's and the study-wide ones, never another site's.
            assert sql_rows(zh, "SELECT id FROM user_accounts ORDER BY id") == [
                ("a.zh",), ("dr.inv",), ("e.zh",), ("inv.zh",), ("m.on",)], name
            assert sql_rows(zh, "SELECT count(*) FROM audit_log WHERE entity_id = 'e.be'") == [(0,)]
        finally:
            zh.dispose()
    monitor = psql(store, "m.on")  # study-wide roles read everything
    try:
        assert sql_rows(monitor, B_ENTRIES) == [(b_entries,)]
        assert sql_rows(monitor, "SELECT count(*) FROM user_accounts") == [(6,)]
    finally:
        monitor.dispose()


def test_a_site_investigator_writes_accounts_of_their_site_only(two_sites):
    store = two_sites
    inv = psql(store, "inv.zh")
    try:
        assert try_sql(inv, "UPDATE user_accounts SET active = false WHERE id = 'e.be'") is None  # sees no such row
        assert "row-level security" in try_sql(
            inv, "INSERT INTO user_accounts (id, role, site_id, active, version) VALUES ('x.be', 'engineer', 'BE', "
                 "true, 1)")
    finally:
        inv.dispose()
    assert _owner_rows(store, "SELECT active FROM user_accounts WHERE id = 'e.be'") == [(True,)]


def test_site_staff_still_log_in_write_and_the_trail_verifies(two_sites):
    store = two_sites
    with login(store.url, "inv.zh") as site_inv:
        p = site_inv.get(Participant, "SCI-001")
        site_inv.update(dataclasses.replace(p, age_years=p.age_years + 1), reason="typo")
        assert set(site_inv.audit_trail()["entity_id"]) >= {"SCI-001"}
    with login(store.url, "e.be") as be:  # the other site's staff: their own key entry is readable
        assert be.user.site_id == "BE"
    report = store.verify_audit()
    assert report.ok, report.summary()


def test_a_changed_key_stops_a_site_engineers_write_even_when_the_head_is_another_sites(two_sites, audit_key_file):
    from workbench.errors import WorkbenchError

    store = two_sites
    store.add(f.visit("SCI-002", name="baseline"))  # the head: an entry site ZH may not read
    audit_key_file.write_text("11" * 32 + "\n")
    with login(store.url, "inv.zh") as site_inv:
        p = site_inv.get(Participant, "SCI-001")
        with pytest.raises(WorkbenchError, match="not the key this trail was written with"):
            site_inv.update(dataclasses.replace(p, age_years=50), reason="typo")
