"""PostgreSQL's access log, chained by the server: edits with psql, even the owner's, are named (issue 24, item 3).

No workbench role may write ``auth_events`` but through the logging functions
(test_pg_definer.py); these attacks are the owner's (or a superuser's), who
can: plain SQL on a real server, as psql would send it.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.budget import examples
from tests.records import factories as f
from tests.records.accounts import as_user, login
from workbench.records import AuthenticationError, Store
from workbench.records.storage.engine import create_engine
from workbench.records.storage.migrate import current_revision, upgrade_database
from workbench.records.trail.access_chain import GENESIS
from workbench.records.trail.pg_access_chain import check_server_access_log, server_event_hash

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(store):
    if not store.postgres:
        pytest.skip("PostgreSQL only: SQLite's log is chained under the audit key (test_access_chain.py)")
    f.seeded(store)
    as_user(store, "e.zh", "engineer", "ZH").close()
    as_user(store, "inv.zh", "investigator", "ZH").close()
    with pytest.raises(AuthenticationError):  # logged by the refused-login function, as its own role
        Store(store.url, user="e.zh", password="not the password at all")
    login(store.url, "e.zh").close()  # the refusal is not the last event
    return store


def _problems(conn) -> str:
    findings, _ = check_server_access_log(conn)
    return "\n".join(str(x) for x in findings)


def _owner_edit(store, *statements):
    """What the owner sees ``audit verify`` say after ``statements``; rolled back, so each attack starts clean."""
    engine = sa.create_engine(store.url)
    try:
        with engine.connect() as conn, conn.begin() as txn:
            for s in statements:
                conn.exec_driver_sql(s)
            text = _problems(conn)
            txn.rollback()
        return text
    finally:
        engine.dispose()


def test_every_event_the_workbench_logs_is_chained_by_the_server_and_verifies(pg_store):
    store = pg_store
    with login(store.url, "inv.zh") as inv:
        inv.unlock_account("e.zh", reason="typed the old password")
    log = store.access_log()
    chained = log[log.hash.notna()]
    assert {"login", "login_refused", "account_unlocked"} <= set(chained.event)
    report = store.verify_audit()
    assert report.ok, report.summary()
    assert report.n_access_events == len(chained) > 0
    assert f"access log intact: {len(chained)} events chained" in report.summary()


@pytest.mark.parametrize("attack, named", [
    ("UPDATE auth_events SET event = 'login', detail = 'engineer' WHERE id = "
     "(SELECT max(id) FROM auth_events WHERE event = 'login_refused')", "does not match the access log's chain"),
    ("DELETE FROM auth_events WHERE id = (SELECT max(id) FROM auth_events WHERE event = 'login_refused')",
     "does not match the access log's chain"),
    ("INSERT INTO auth_events (ts, user_name, event, detail) VALUES ('2026-01-01T00:00:00+00:00', 'dr.inv', "
     "'login', 'investigator')", "is not chained (inserted with SQL, not by the server's logging function)"),
    ("DELETE FROM auth_events WHERE id = (SELECT max(id) FROM auth_events)", "events were removed from its end"),
    ("UPDATE audit_head SET auth_seq = 1", "its head says #1"),
    # Hiding the whole chain as legacy, with a head to match: the chained events below the start are named.
    (f"UPDATE audit_head SET auth_from = 100000, auth_seq = 0, auth_hash = '{GENESIS}'",
     "the access log's boundary was moved"),
])
def test_an_owners_edit_with_psql_is_named(pg_store, attack, named):
    assert named in _owner_edit(pg_store, attack)


def test_a_fake_login_with_a_recomputed_hash_is_named_by_the_head(pg_store):
    """Who recomputes the hash but leaves the head: the chain's end no longer matches the head."""
    engine = sa.create_engine(pg_store.url)
    try:
        with engine.connect() as conn:
            prev = conn.exec_driver_sql("SELECT auth_hash FROM audit_head WHERE id = 1").scalar_one()
            new_id = conn.exec_driver_sql("SELECT max(id) + 1 FROM auth_events").scalar_one()
    finally:
        engine.dispose()
    row = {"id": new_id, "ts": "2026-01-01T00:00:00+00:00", "user_name": "dr.inv", "event": "login",
           "detail": "investigator"}
    forged = server_event_hash(prev, row)
    text = _owner_edit(pg_store, f"INSERT INTO auth_events (id, ts, user_name, event, detail, hash) VALUES "
                                 f"({new_id}, '{row['ts']}', 'dr.inv', 'login', 'investigator', '{forged}')")
    assert f"chain ends at event #{new_id}" in text


def test_every_study_wide_role_that_verifies_checks_the_access_log(pg_store):
    """verify takes a study-wide account (Store.verify_audit); each reads and checks the whole log."""
    for name, role in [("m.on", "monitor"), ("s.pon", "sponsor"), ("d.m", "data_manager")]:
        as_user(pg_store, name, role).close()
        with login(pg_store.url, name) as store:
            report = store.verify_audit()
        assert report.ok, report.summary()
        assert report.n_access_events == len(pg_store.access_log().dropna(subset=["hash"]))


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=_TEXT, detail=st.none() | _TEXT)
def test_the_server_and_verify_hash_any_event_alike(pg_store, user, detail):
    """Any user name and detail (colons, semicolons, digits, accents, emoji, NULL): the server's hash
    is the one verify computes, so nothing the workbench logs is ever named by mistake."""
    engine = sa.create_engine(pg_store.url)  # the owner may log any name (migrations, the first account)
    try:
        with engine.connect() as conn, conn.begin() as txn:
            conn.execute(sa.text("SELECT wb_log_auth_event(:u, 'write_refused', :d)"), {"u": user, "d": detail})
            assert _problems(conn) == ""
            txn.rollback()
    finally:
        engine.dispose()


def test_an_older_database_keeps_its_log_as_legacy_and_the_server_chains_from_then_on(pg_store):
    store = pg_store
    engine = create_engine(store.url)
    try:
        assert upgrade_database(engine, "0017") == "0017"
        store.engine.dispose()
        with engine.begin() as conn:  # logged by 0012's function, a plain insert: unchained
            conn.exec_driver_sql("SELECT wb_log_auth_event('e.zh', 'login', 'engineer')")
        assert upgrade_database(engine) == current_revision(engine)
        with engine.connect() as conn:
            head = conn.exec_driver_sql("SELECT auth_from, auth_seq, auth_hash FROM audit_head").one()
            newest = conn.exec_driver_sql("SELECT max(id) FROM auth_events").scalar_one()
        assert head == (newest + 1, 0, GENESIS)
    finally:
        engine.dispose()
    store.engine.dispose()
    login(store.url, "e.zh").close()
    report = store.verify_audit()
    assert report.ok, report.summary()
    assert report.n_access_events == 1


def test_a_log_rewritten_with_its_chain_recomputed_is_caught_by_an_earlier_anchor(pg_store, tmp_path):
    """The chain has no key the owner lacks: an owner who edits the log and recomputes every hash and
    the head passes the chain check; the anchor filed before the edit holds the old hash."""
    from workbench.records.trail.access_chain import CHAINED
    from workbench.records.trail.anchors import read_anchor, write_anchor

    store = pg_store
    anchor = write_anchor(store.anchor(), tmp_path / "anchor.json")
    assert read_anchor(anchor).access_seq > 0
    engine = sa.create_engine(store.url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE auth_events SET event = 'login', detail = 'engineer' WHERE id = "
                                 "(SELECT max(id) FROM auth_events WHERE event = 'login_refused')")
            start = conn.exec_driver_sql("SELECT auth_from FROM audit_head").scalar_one()
            rows = conn.execute(sa.text(f"SELECT {', '.join(CHAINED)} FROM auth_events WHERE id >= :s ORDER BY id"),
                                {"s": start}).mappings().all()
            prev = GENESIS
            for row in rows:
                prev = server_event_hash(prev, row)
                conn.execute(sa.text("UPDATE auth_events SET hash = :h WHERE id = :i"), {"h": prev, "i": row["id"]})
            conn.execute(sa.text("UPDATE audit_head SET auth_hash = :h WHERE id = 1"), {"h": prev})
    finally:
        engine.dispose()
    assert store.verify_audit().ok  # what a keyless chain cannot see by itself
    report = store.verify_audit([anchor])
    assert not report.ok
    assert any("access log was rewritten" in x.message and "anchor.json" in x.message
               for x in report.findings)
