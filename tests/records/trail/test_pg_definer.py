"""PostgreSQL: only the store's own SECURITY DEFINER functions write the trail, move its head and
append to the access log (issue 24, items 1 and 3). Each attack is plain SQL as the person's own
database role, as psql would send it."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from tests.records import factories as f
from tests.records.accounts import as_user, login, password_of
from tests.records.psql import psql, sql_rows, try_sql
from workbench.records import Participant
from workbench.records.trail import audit
from workbench.records.storage.engine import create_engine
from workbench.records.storage.migrate import current_revision, upgrade_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(store):
    if not store.postgres:
        pytest.skip("PostgreSQL only: SQLite has no database roles")
    f.seeded(store)
    for name, role, site in [("e.zh", "engineer", "ZH"), ("s.pon", "sponsor", None), ("m.on", "monitor", None),
                             ("inv.zh", "investigator", "ZH")]:
        as_user(store, name, role, site).close()
    return store


def _events(store, user):
    with sa.create_engine(store.url).connect() as conn:  # the owner reads the whole log
        return [tuple(r) for r in conn.execute(sa.text("SELECT event, detail FROM auth_events WHERE user_name = :u "
                                                       "ORDER BY id"), {"u": user})]


def test_the_sponsor_cannot_log_a_fake_login_for_someone_else(pg_store):
    store = pg_store
    before = _events(store, "dr.inv")
    sponsor = psql(store, "s.pon")
    try:
        assert "permission denied for table auth_events" in try_sql(
            sponsor, "INSERT INTO auth_events (ts, user_name, event, detail) VALUES ('t', 'dr.inv', 'login', 'x')")
        assert "logs its own events" in try_sql(sponsor, "SELECT wb_log_auth_event('dr.inv', 'login', 'investigator')")
        assert "not one the workbench writes" in try_sql(sponsor, "SELECT wb_log_auth_event('s.pon', 'anything', '')")
        # Unlocking resets another account's wrong-password count: investigators only, of their site.
        assert "only an investigator unlocks" in try_sql(
            sponsor, "SELECT wb_log_auth_event('s.pon', 'account_unlocked', 'e.zh: forgot it')")
    finally:
        sponsor.dispose()
    site_inv = psql(store, "inv.zh")
    try:
        assert "only an investigator unlocks" in try_sql(
            site_inv, "SELECT wb_log_auth_event('inv.zh', 'account_unlocked', 'm.on: not my site')")
        assert try_sql(site_inv, "SELECT wb_log_auth_event('inv.zh', 'account_unlocked', 'e.zh: my site')") is None
    finally:
        site_inv.dispose()
    assert _events(store, "dr.inv") == before
    # The workbench's own logging goes through the function, with the server's clock.
    login(store.url, "s.pon").close()
    assert _events(store, "s.pon")[-1] == ("login", "sponsor")


def test_a_writer_with_psql_cannot_append_to_the_trail_or_move_its_head(pg_store):
    store = pg_store
    with store.engine.connect() as conn:
        head = conn.exec_driver_sql("SELECT seq, hash FROM audit_head").one()
    eng = psql(store, "e.zh")
    entry = {"seq": head.seq + 1, "ts": "2026-11-23T10:00:00.000000+00:00", "user_name": "e.zh", "role": "engineer",
             "action": "update", "entity": "participants", "entity_id": "SCI-001", "field": "age_years",
             "old_value": "34", "new_value": "34", "reason": "x", "prev_hash": head.hash, "hash": "0" * 64}
    try:
        for sql in ("UPDATE audit_head SET seq = 1", "SELECT * FROM audit_head FOR UPDATE",
                    f"INSERT INTO audit_log (seq, ts, user_name, role, action, entity, entity_id, prev_hash, hash) "
                    f"VALUES ({head.seq + 1}, 't', 'e.zh', 'engineer', 'update', 'participants', 'SCI-001', "
                    f"'{head.hash}', 'x')"):
            assert "permission denied" in try_sql(eng, sql), sql
        # Through the function: under its own name, but not off the head (a fork or a rewind) ...
        for bad in ({"seq": head.seq}, {"seq": head.seq + 2}, {"prev_hash": "f" * 64}):
            assert "does not follow entry" in try_sql(
                eng, "SELECT wb_append_trail('" + json.dumps([{**entry, **bad}]) + "'::json)"), bad
        # ... nor under another name or role.
        for bad in ({"user_name": "dr.inv", "role": "investigator"}, {"role": "investigator"}):
            assert "an entry is its author's own" in try_sql(
                eng, "SELECT wb_append_trail('" + json.dumps([{**entry, **bad}]) + "'::json)"), bad
    finally:
        eng.dispose()
    monitor = psql(store, "m.on")  # read-only roles write no trail at all
    try:
        assert "permission denied for function wb_append_trail" in try_sql(
            monitor, "SELECT wb_append_trail('" + json.dumps([{**entry, "user_name": "m.on", "role": "monitor"}])
            + "'::json)")
    finally:
        monitor.dispose()
    with store.engine.connect() as conn:
        assert tuple(conn.exec_driver_sql("SELECT seq, hash FROM audit_head").one()) == tuple(head)
    assert store.verify_audit().ok


def test_0012_downgrades_and_upgrades_an_existing_database(pg_store):
    store = pg_store
    p = store.get(Participant, "SCI-001")
    engine = create_engine(store.url)
    try:
        assert upgrade_database(engine, "0011") == "0011"
        store.engine.dispose()
        eng = psql(store, "e.zh")
        try:  # back to 0011's rules: INSERT bound by the policy, the functions gone
            assert sql_rows(eng, "SELECT to_regprocedure('wb_append_trail(json)') IS NULL") == [(True,)]
            assert "row-level security" in try_sql(
                eng, "INSERT INTO audit_log (seq, ts, user_name, role, action, entity, entity_id, prev_hash, hash) "
                     "VALUES (99999, 't', 'dr.inv', 'investigator', 'update', 'participants', 'SCI-001', 'x', 'x')")
        finally:
            eng.dispose()
        with _client_clock(_FALSE_TIME):  # writes as before 0012, with the client's (wrong) clock
            store.update(dataclasses.replace(p, age_years=40), reason="typo")
        assert _last_entry_ts(store) == _FALSE_ISO
        assert upgrade_database(engine) == current_revision(engine)
    finally:
        engine.dispose()
    store.engine.dispose()
    store.update(dataclasses.replace(store.get(Participant, "SCI-001"), age_years=41), reason="typo")
    with login(store.url, "inv.zh") as site_inv:  # a site investigator's write goes through the function
        site_inv.update(dataclasses.replace(site_inv.get(Participant, "SCI-001"), age_years=42), reason="typo")
    eng = psql(store, "e.zh")
    try:
        assert "permission denied" in try_sql(eng, "UPDATE audit_head SET seq = 1")
    finally:
        eng.dispose()
    report = store.verify_audit()
    assert report.ok, report.summary()  # the entry hashed with the client's time before 0013 still replays
    with sa.create_engine(store.url).connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM audit_log WHERE ts = %(t)s", {"t": _FALSE_ISO}).scalar_one()


_FALSE_TIME = datetime(1999, 1, 1, tzinfo=timezone.utc)
_FALSE_ISO = _FALSE_TIME.isoformat(timespec="microseconds")


@contextlib.contextmanager
def _client_clock(when):
    """The store's process with its clock set to ``when`` (where the trail takes its client time)."""
    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return when.astimezone(tz) if tz else when.replace(tzinfo=None)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(audit, "datetime", Clock)
        yield


def _last_entry_ts(store) -> str:
    with sa.create_engine(store.url).connect() as conn:
        return conn.exec_driver_sql("SELECT ts FROM audit_log ORDER BY seq DESC LIMIT 1").scalar_one()


def _server_time(conn) -> str:
    return conn.exec_driver_sql(
        """SELECT to_char(transaction_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')""").scalar_one()


def test_trail_entries_carry_the_servers_time_not_the_clients(pg_store):
    """0013: a client with a wrong clock, or one that sends a false time on purpose, gets the server's."""
    store = pg_store
    with sa.create_engine(store.url).connect() as conn:
        before = conn.exec_driver_sql("SELECT clock_timestamp()").scalar_one()
    with _client_clock(_FALSE_TIME):
        store.update(dataclasses.replace(store.get(Participant, "SCI-001"), age_years=44), reason="typo")
    recorded = _last_entry_ts(store)
    assert recorded != _FALSE_ISO
    assert datetime.fromisoformat(recorded) >= before  # the server's clock, read before the write
    report = store.verify_audit()
    assert report.ok, report.summary()  # the client hashed and signed the server's time
    # psql: a false ts sent straight to the function is replaced by the server's transaction time.
    eng = psql(store, "e.zh")
    try:
        with eng.begin() as conn:
            head = conn.exec_driver_sql("SELECT seq, hash FROM wb_trail_head()").one()
            server_now = _server_time(conn)
            entry = {"seq": head.seq + 1, "ts": _FALSE_ISO, "user_name": "e.zh", "role": "engineer",
                     "action": "update", "entity": "participants", "entity_id": "SCI-001", "field": "age_years",
                     "old_value": "44", "new_value": "44", "reason": "x", "prev_hash": head.hash, "hash": "0" * 64}
            conn.execute(sa.text("SELECT wb_append_trail(CAST(:e AS json))"), {"e": json.dumps([entry])})
    finally:
        eng.dispose()
    assert _last_entry_ts(store) == server_now


def test_wrong_passwords_lock_the_database_role_until_an_investigator_unlocks_it(pg_store, monkeypatch):
    """Item 6 on PostgreSQL: the server checks passwords, so the lock is the server's (NOLOGIN): psql too."""
    from workbench.records import Store
    from workbench.records import AuthenticationError

    store = pg_store
    monkeypatch.setenv("WORKBENCH_LOCKOUT_AFTER", "3")
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            Store(store.url, user="e.zh", password="not the password at all")
    engine = psql(store, "e.zh")  # the right password, not through the workbench
    with pytest.raises(sa.exc.OperationalError, match="not permitted to log in"):
        engine.connect()
    engine.dispose()
    with pytest.raises(AuthenticationError):
        Store(store.url, user="e.zh", password=password_of("e.zh"))
    assert _events(store, "e.zh")[-1] == ("login_refused", "account locked (refused by PostgreSQL)")
    login(store.url, "s.pon").close()  # another account is not touched
    with login(store.url, "inv.zh") as site_inv:  # the site's investigator lifts it (logged)
        assert site_inv.unlock_account("e.zh", reason="forgot the new password") == 3
        trail = site_inv.audit_trail()
        unlocks = trail[(trail["action"] == "unlock") & (trail["entity_id"] == "e.zh")]
        assert list(unlocks["user_name"]) == ["inv.zh"] and list(unlocks["reason"]) == ["forgot the new password"]
    login(store.url, "e.zh").close()
    assert _events(store, "e.zh")[-1] == ("login", "engineer")
    report = store.verify_audit()  # the unlock's own entry is signed by the site investigator and holds
    assert report.ok, report.summary()
