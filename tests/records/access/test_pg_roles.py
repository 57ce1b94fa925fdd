"""PostgreSQL enforces the roles and sites itself: each person connects as their own database role
and tries, with plain SQL as psql would, what the workbench would refuse them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.records import factories as f
from tests.records.accounts import as_user, password_of
from tests.records.psql import psql, sql_rows, try_sql
from workbench.records import Participant, Site, Store
from workbench.records.access.pg_roles import login_role

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(store):
    if not store.postgres:
        pytest.skip("PostgreSQL only: SQLite has no database roles")
    (p,) = f.seeded(store)
    store.add(Site(id="BE", study_id="BCI-SCI-01", name="Spinal cord unit B", country="CH"))
    store.add(f.participant("SCI-002", site_id="BE"), f.consent("SCI-002"))
    v = f.visit()
    store.add(v, f.assessment(visit_id=v.id))
    for name, role, site in [("a.zh", "assessor", "ZH"), ("e.zh", "engineer", "ZH"), ("m.on", "monitor", None),
                             ("s.pon", "sponsor", None), ("d.man", "data_manager", None)]:
        as_user(store, name, role, site).close()
    return store


def test_each_role_gets_only_what_the_workbench_gives(pg_store):
    store = pg_store
    zh = psql(store, "a.zh")
    try:
        assert sql_rows(zh, "SELECT id FROM participants ORDER BY id") == [("SCI-001",)]  # row-level security
        assert sql_rows(zh, "SELECT count(*) FROM consents") == [(1,)]
        assert "permission denied" in try_sql(zh, "UPDATE participants SET age_years = 50")  # not an assessor's
        assert "row-level security" in try_sql(
            zh, "INSERT INTO visits (id, participant_id, name, scheduled_date, window_before, window_after, "
                "status, version) VALUES ('V-X', 'SCI-002', 'week12', '2026-03-30', 7, 7, 'planned', 1)")
        assert try_sql(zh, "UPDATE visits SET notes = 'psql' WHERE participant_id = 'SCI-002'") is None
        assert sql_rows(zh, "SELECT count(*) FROM visits WHERE notes = 'psql'") == [(0,)]  # touched nothing
        for sql in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                    "DELETE FROM auth_events", "SELECT * FROM credentials", "UPDATE user_accounts SET role = 'investigator'",
                    "SELECT wb_create_login('x@y', 'x', 'investigator', 'pw')", "DROP TABLE participants"):
            assert try_sql(zh, sql) is not None, sql
    finally:
        zh.dispose()
    for name in ("m.on", "s.pon"):
        reader = psql(store, name)
        try:
            assert sql_rows(reader, "SELECT count(*) FROM participants") == [(2,)]  # every site
            assert "permission denied" in try_sql(reader, "UPDATE participants SET age_years = 50")
            assert "permission denied" in try_sql(reader, "INSERT INTO audit_log (seq) VALUES (999)")
        finally:
            reader.dispose()
    eng = psql(store, "e.zh")
    try:
        assert "permission denied" in try_sql(eng, "UPDATE outcome_assessments SET notes = 'x'")
    finally:
        eng.dispose()
    assert store.get(Participant, "SCI-001").age_years == 34
    assert store.verify_audit().ok


def test_wrong_password_and_inactive_account_cannot_connect(pg_store):
    store = pg_store
    for engine in (psql(store, "a.zh", "wrong password"), psql(store, "nobody.here")):
        with pytest.raises(sa.exc.OperationalError, match="password authentication failed"):
            engine.connect()
        engine.dispose()
    store.deactivate_account("a.zh", reason="left the site")
    engine = psql(store, "a.zh")
    with pytest.raises(sa.exc.OperationalError, match="not permitted to log in"):
        engine.connect()
    engine.dispose()


def test_a_change_made_with_psql_is_recorded_and_caught(pg_store):
    store = pg_store
    inv = psql(store, "dr.inv")
    try:
        assert try_sql(inv, "UPDATE participants SET age_years = 70 WHERE id = 'SCI-001'") is None
    finally:
        inv.dispose()
    with store.engine.connect() as conn:
        last = conn.exec_driver_sql("SELECT db_user, table_name, row_id, operation FROM db_change_log "
                                    "ORDER BY id DESC LIMIT 1").one()
    assert tuple(last) == (login_role(sa.make_url(store.url).database, "dr.inv"), "participants", "SCI-001",
                           "UPDATE")
    owner = sa.create_engine(store.url)  # the record of it cannot be taken back, not even by the owner
    try:
        for sql in ("DELETE FROM db_change_log", "UPDATE db_change_log SET db_user = 'x'", "TRUNCATE db_change_log"):
            assert "append-only" in try_sql(owner, sql), sql
    finally:
        owner.dispose()
    report = store.verify_audit()
    assert not report.ok and "participants/SCI-001.age_years is 70" in str(report.first_broken)
    assert "dr.inv" in str(report.first_broken)  # who did it, from the database's own record


def test_the_database_conceals_the_sequence_and_keeps_the_arm_from_assessors(store):
    """Only the allocator's database role reads the sequence and sets an arm; psql as every other role is refused."""
    from workbench.records.types.randomization import PENDING_ARM, enrol, generate_sequences, randomize

    if not store.postgres:
        pytest.skip("PostgreSQL only: SQLite has no database roles")
    store.add(f.study(), f.site(), Site(id="BE", study_id="BCI-SCI-01", name="Spinal cord unit B", country="CH"))
    with as_user(store, "al.loc", "allocator") as allocator:
        generate_sequences(allocator, "BCI-SCI-01", seed=7, n_per_stratum=4)
        enrol(store, f.participant("SCI-001"), f.consent("SCI-001"))
        enrol(store, f.participant("SCI-002", site_id="BE"), f.consent("SCI-002"))
        enrol(store, f.participant("SCI-003"), f.consent("SCI-003"))
        _, allocation = randomize(allocator, "SCI-003", seed=7)
    for name, role, site in [("a.zh", "assessor", "ZH"), ("e.zh", "engineer", "ZH"), ("m.on", "monitor", None),
                             ("s.pon", "sponsor", None), ("d.man", "data_manager", None)]:
        as_user(store, name, role, site).close()
    owner = sa.create_engine(store.url)
    try:
        (n_arm_entries,) = sql_rows(owner, "SELECT count(*) FROM audit_log WHERE field = 'arm'")[0]
    finally:
        owner.dispose()
    assert n_arm_entries >= 4  # three enrolments, the arm set at randomization, the allocation
    zh = psql(store, "a.zh")
    try:
        for sql in ("SELECT arm FROM participants", "SELECT * FROM participants", "SELECT arm FROM allocations",
                    "SELECT seal FROM allocation_sequences, jsonb_to_recordset(slots::jsonb) AS s(seal text)",
                    "SELECT seed_sha256 FROM allocation_sequences", "SELECT row_data FROM db_change_log"):
            assert "permission denied" in try_sql(zh, sql), sql
        assert sql_rows(zh, "SELECT id, site_id FROM participants ORDER BY id") == [("SCI-001", "ZH"), ("SCI-003", "ZH")]
        assert sql_rows(zh, "SELECT participant_id, position FROM allocations") == [("SCI-003", allocation.position)]
        assert sql_rows(zh, "SELECT count(*) FROM audit_log WHERE field = 'arm' OR entity = 'allocation_sequences' "
                         "OR (entity = 'participants' AND field IS NULL)") == [(0,)]
        assert sql_rows(zh, "SELECT count(*) FROM audit_log WHERE field = 'age_years'") != [(0,)]
    finally:
        zh.dispose()
    # Every role but the allocator: no sequence, no allocation written, no arm chosen by hand.
    slot = f"('A-X', 'SCI-001', 'AS-BCI-SCI-01-ZH-B', 2, 'BCI', now(), 'x', 1)"
    for name in ("dr.inv", "a.zh", "e.zh", "m.on", "s.pon", "d.man"):
        reader = psql(store, name)
        try:
            for sql in ("SELECT seed_sha256 FROM allocation_sequences", "SELECT count(*) FROM allocation_sequences",
                        f"INSERT INTO allocations (id, participant_id, sequence_id, position, arm, randomized_at, "
                        f"randomized_by, version) VALUES {slot}"):
                assert "permission denied" in try_sql(reader, sql), (name, sql)
            if name != "a.zh":
                assert sql_rows(reader, "SELECT arm FROM participants WHERE id = 'SCI-003'") == [(allocation.arm,)]
        finally:
            reader.dispose()
    inv = psql(store, "dr.inv")
    try:  # the investigator may change the participant, but not choose its arm (trigger of migration 0009)
        for arm in ("BCI", "control"):
            assert "set only by randomization" in try_sql(inv, f"UPDATE participants SET arm = '{arm}' "
                                                            "WHERE id = 'SCI-001'")
        assert "set only by randomization" in try_sql(inv, "UPDATE participants SET arm = 'not randomized' "
                                                        "WHERE id = 'SCI-003'")
        assert try_sql(inv, "UPDATE participants SET age_years = age_years WHERE id = 'SCI-001'") is None  # arm kept
        assert sql_rows(inv, "SELECT arm FROM participants WHERE id = 'SCI-001'") == [(PENDING_ARM,)]
    finally:
        inv.dispose()
    alloc = psql(store, "al.loc")
    try:  # the allocator reads the sequence and writes nothing clinical
        assert sql_rows(alloc, "SELECT count(*) FROM allocation_sequences") == [(10,)]  # ZH, BE x AIS A-E
        for sql in ("UPDATE participants SET age_years = 50", "DELETE FROM consents",
                    "UPDATE consents SET data_sharing = false", "DELETE FROM participants WHERE id = 'SCI-001'"):
            assert "permission denied" in try_sql(alloc, sql), sql
        assert "set only by randomization" in try_sql(alloc, "UPDATE participants SET arm = 'BCI' WHERE id = 'SCI-001'")
    finally:
        alloc.dispose()
    with as_user(store, "m.on", "monitor") as monitor:
        report = monitor.verify_audit()  # the whole chain; every table but the one it may not read
        assert report.ok and report.unread == ("allocation_sequences",)
        assert "allocation_sequences not replayed" in report.summary()
    assert store.verify_audit().unread == ("allocation_sequences",)  # the investigator is refused it too
    with as_user(store, "al.loc", "allocator") as allocator:
        report = allocator.verify_audit()
        assert report.ok and report.access_unread  # the allocator may not read the access log
        assert "access log not checked: not readable by this role" in report.summary()


def test_a_refused_login_is_logged_through_a_role_that_can_do_nothing_else(pg_store, audit_key_file):
    import stat

    from workbench.records import AuthenticationError
    from workbench.records import Store
    from workbench.records.access.pg_logins import log_password_path, log_role

    store = pg_store
    database = sa.make_url(store.url).database
    path = log_password_path(database)
    assert path.parent == audit_key_file.parent and stat.S_IMODE(path.stat().st_mode) == 0o600
    logger = sa.create_engine(sa.make_url(store.url).set(username=log_role(database),
                                                         password=path.read_text().strip()))
    try:
        for sql in ("INSERT INTO auth_events (ts, user_name, event) VALUES ('t', 'x', 'login')",
                    "SELECT * FROM auth_events", "SELECT id FROM participants", "SELECT * FROM audit_log",
                    "UPDATE user_accounts SET active = true", "SELECT wb_create_login('x@y', 'x', 'investigator', 'p')",
                    "CREATE TABLE t (x int)"):
            assert "permission denied" in try_sql(logger, sql), sql
        assert try_sql(logger, "SELECT wb_log_refused_login('m.on', 10)") is None  # its one right
    finally:
        logger.dispose()
    with pytest.raises(AuthenticationError, match="logged in the access log"):
        Store(store.url, user="a.zh", password="not the password")
    path.unlink()  # another workspace, without the password: still refused, and says where it is logged
    with pytest.raises(AuthenticationError, match="server log records it; not in the access log: no login-log"):
        Store(store.url, user="a.zh", password="not the password")
    events = store.access_log()
    refused = events[events.event == "login_refused"]
    assert refused[["user_name", "detail"]].values.tolist() == [
        ["m.on", "wrong password (refused by PostgreSQL)"], ["a.zh", "wrong password (refused by PostgreSQL)"]]


def test_passwords_reach_the_server_as_scram_verifiers_only(pg_store, pg_superuser):
    from workbench.records.access.pg_logins import log_role

    store = pg_store
    database = sa.make_url(store.url).database
    # Were a clear-text password sent, the server would now hash it with md5: only a verifier made
    # on the client is stored as it came, so a SCRAM rolpassword below proves the client hashed it.
    with pg_superuser.begin() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{database}" SET password_encryption = md5')
    store.engine.dispose()  # new sessions take the setting
    as_user(store, "e.new", "engineer", "ZH").close()  # an account added
    with as_user(store, "a.zh", "assessor", "ZH") as assessor:
        assessor.change_password(password_of("a.zh"), "a-new-long-password")  # a password changed

    def stored(role):
        with pg_superuser.connect() as conn:
            return conn.execute(sa.text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": role}).scalar()

    for name in ("dr.inv", "e.new", "a.zh"):
        assert stored(login_role(database, name)).startswith("SCRAM-SHA-256$4096:"), name
    assert stored(log_role(database)).startswith("SCRAM-SHA-256$")
    Store(store.url, user="a.zh", password="a-new-long-password").close()  # the new password logs in
    Store(store.url, user="e.new", password=password_of("e.new")).close()
    inv = psql(store, "dr.inv")
    try:  # the server-side function refuses a clear-text password outright (it could reach a log)
        tag = login_role(database, "x")[-8:]
        assert "SCRAM-SHA-256 verifier is required" in try_sql(
            inv, f"SELECT wb_create_login('x.y@{tag}', 'x.y', 'assessor', 'clear-text-password')")
    finally:
        inv.dispose()
