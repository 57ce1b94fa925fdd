"""The access log and the credentials hold against a user with sqlite3 (issue 24, item 3).

The access log (logins, refusals, account events) is what the lockout counts
wrong passwords from and what an inspector reads for who was at the keyboard;
on SQLite anyone with the file could change it. Real SQLite files, real key
files, the store's own logins; the attacker uses plain SQL, as with sqlite3.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.records import factories as f
from tests.records.accounts import as_user, first_investigator, from_older_schema, login, password_of
from workbench.records import AuthenticationError, Store
from workbench.records.access.auth import log_event
from workbench.records.storage.engine import create_engine
from workbench.records.storage.migrate import upgrade_database
from workbench.records.trail.access_chain import CHAINED, GENESIS, check_access_log
from tests.budget import examples


@pytest.fixture
def study(tmp_path):
    s = first_investigator(f"sqlite:///{tmp_path / 'study.sqlite'}")
    f.seeded(s, 1)
    as_user(s, "mon.one", "monitor").close()
    with pytest.raises(AuthenticationError):
        Store(s.url, user="mon.one", password="not-the-password-at-all")
    yield s
    s.close()


def _sql(store, *statements, **params):
    """Run raw SQL as someone with the file and sqlite3 would (the append-only triggers dropped first)."""
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS auth_events_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS auth_events_no_delete")
        for s in statements:
            conn.execute(sa.text(s), params)


def _messages(store) -> str:
    return "\n".join(str(x) for x in store.verify_audit().findings)


def test_everything_the_workbench_logs_is_chained_and_verifies(study):
    report = study.verify_audit()
    log = study.access_log()
    assert report.ok, report.summary()
    assert report.n_access_events == len(log) > 0
    assert set(log.event) >= {"account_created", "login", "login_refused"}
    assert log.hash.notna().all()
    assert f"access log intact: {len(log)} events chained" in report.summary()


def test_the_access_log_refuses_update_and_delete(study):
    for statement in ("UPDATE auth_events SET detail = 'x'", "DELETE FROM auth_events"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), study.engine.begin() as conn:
            conn.exec_driver_sql(statement)


def test_a_refusal_changed_into_a_login_is_named(study):
    _sql(study, "UPDATE auth_events SET event = 'login', detail = 'monitor' WHERE event = 'login_refused'")
    assert "(login by mon.one" in _messages(study) and "does not match the access log's chain" in _messages(study)


def test_a_fake_login_inserted_is_named_with_or_without_a_guessed_hash(study):
    (n,) = study.access_log().id.tail(1)
    _sql(study, "INSERT INTO auth_events (id, ts, user_name, event, detail) "
                "VALUES (:id, '2026-11-25T03:00:00+00:00', 'dr.inv', 'login', 'investigator')", id=n + 1)
    assert f"access log event #{n + 1} (login by dr.inv" in _messages(study)
    assert "not chained" in _messages(study)
    _sql(study, "UPDATE auth_events SET hash = :h WHERE id = :id", h="ab" * 32, id=n + 1)
    assert "does not match the access log's chain" in _messages(study)


def test_deleted_refusals_are_named_and_so_is_a_cut_end(study):
    login(study.url, "mon.one").close()  # a login after the refusal: the refusal is mid-log
    log = study.access_log()
    (refused,) = log[log.event == "login_refused"].id
    _sql(study, "DELETE FROM auth_events WHERE id = :id", id=int(refused))
    assert f"access log events #{refused}-#{refused} are missing" in _messages(study)
    last = int(log.id.max())
    _sql(study, "DELETE FROM auth_events WHERE id = :id", id=last)
    assert f"head says #{last}" in _messages(study)


def test_moving_the_chains_start_over_events_is_named(study):
    _sql(study, "UPDATE audit_head SET auth_from = 1000")
    assert "the access log's boundary was moved" in _messages(study)


def test_an_event_logged_without_the_key_is_named_not_lost(study, audit_key_file):
    audit_key_file.rename(audit_key_file.with_suffix(".away"))
    with pytest.raises(AuthenticationError):  # the refusal is still logged, unchained
        Store(study.url, user="mon.one", password="still-not-the-password")
    audit_key_file.with_suffix(".away").rename(audit_key_file)
    log = study.access_log()
    assert log.event.iloc[-1] == "login_refused" and log.hash.isna().iloc[-1]
    assert "not chained (logged without the audit key" in _messages(study)


def test_an_event_logged_with_another_studys_key_does_not_move_the_head(study):
    with study.engine.connect() as conn:
        head = conn.execute(sa.text("SELECT auth_seq, auth_hash FROM audit_head")).one()
    log_event(study.engine, "dr.inv", "login", "investigator", key=b"another study's key, 32 bytes..")
    with study.engine.connect() as conn:
        assert tuple(conn.execute(sa.text("SELECT auth_seq, auth_hash FROM audit_head")).one()) == tuple(head)
    assert study.access_log().hash.isna().iloc[-1]
    findings = study.verify_audit().findings
    assert len(findings) == 1 and "not chained" in findings[0].message
    login(study.url, "mon.one").close()  # the study's own key goes on chaining after it
    assert len(study.verify_audit().findings) == 1


def test_a_swapped_password_hash_is_named_by_verify(study):
    """Item 4 of the issue: the investigator's hash replaced with the monitor's via sqlite3."""
    with study.engine.begin() as conn:
        monitors = conn.execute(sa.text("SELECT password_hash FROM credentials WHERE user_name = 'mon.one'")).scalar()
        conn.execute(sa.text("UPDATE credentials SET password_hash = :h WHERE user_name = 'dr.inv'"), {"h": monitors})
    findings = [x for x in study.verify_audit().findings if x.message.startswith("credentials/")]
    assert [x.message.split(":")[0] for x in findings] == ["credentials/dr.inv"]
    assert findings[0].seq is not None  # the registration entry it disagrees with
    with pytest.raises(AuthenticationError, match="signing key"):
        Store(study.url, user="dr.inv", password=password_of("mon.one"))


def test_a_password_change_keeps_credentials_and_log_verifying(study):
    study.change_password(password_of("dr.inv"), "a-Brand-new-Passphrase-9")
    again = login(study.url, "mon.one")
    report = again.verify_audit()
    assert report.ok, report.summary()
    again.close()


def test_an_older_database_keeps_its_log_as_legacy_and_chains_from_then_on(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    s = first_investigator(url)
    n_before = len(s.access_log())
    s.close()
    from_older_schema(url, "0016")  # a store from before 0017
    s = login(url, "dr.inv")
    report = s.verify_audit()
    assert report.ok, report.summary()
    assert report.n_access_events == 1  # this login only: the earlier events are legacy
    assert s.access_log().hash.isna().sum() == n_before
    s.close()


# --- properties: any single change behind the store's back is named ------------------------------

_EVENTS = st.lists(st.tuples(st.sampled_from(["login", "login_refused", "write_refused", "account_unlocked"]),
                             st.sampled_from(["dr.inv", "mon.one", "a.sess"]),
                             st.one_of(st.none(), st.text(max_size=12))), min_size=1, max_size=8)


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory):
    """An upgraded, empty SQLite database to copy per example (migrations take a second)."""
    path = tmp_path_factory.mktemp("schema") / "empty.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    engine.dispose()
    return path


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=_EVENTS, data=st.data())
def test_any_single_change_to_the_log_is_named(schema_file, tmp_path, events, data):
    path = tmp_path / f"log-{hashlib.sha1(repr(events).encode()).hexdigest()[:12]}.sqlite"
    path.write_bytes(schema_file.read_bytes())
    engine = create_engine(f"sqlite:///{path}")
    key = bytes(range(32))
    try:
        for event, user, detail in events:
            log_event(engine, user, event, detail, key=key)
        with engine.connect() as conn:
            findings, n = check_access_log(conn, key)
        assert findings == [] and n == len(events)
        rows = _rows(engine)
        target = data.draw(st.integers(0, len(rows) - 1))
        change = data.draw(st.sampled_from(["field", "delete", "insert", "reorder"]))
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER auth_events_no_update")
            conn.exec_driver_sql("DROP TRIGGER auth_events_no_delete")
            row = rows[target]
            if change == "field":
                column = data.draw(st.sampled_from(["ts", "user_name", "event", "detail"]))
                new = data.draw(st.text(min_size=1, max_size=12).filter(lambda v: v != row[column]))
                conn.execute(sa.text(f"UPDATE auth_events SET {column} = :v WHERE id = :id"), {"v": new, "id": row["id"]})
            elif change == "delete":
                conn.execute(sa.text("DELETE FROM auth_events WHERE id = :id"), {"id": row["id"]})
            elif change == "insert":  # a forged event with a plausible hash, chained without the key
                forged = dict(row, id=len(rows) + 1, event="login", user_name="dr.inv", detail="investigator")
                forged["hash"] = hmac.new(b"not the key", (rows[-1]["hash"] + json.dumps(
                    {k: forged[k] for k in CHAINED}, sort_keys=True)).encode(), hashlib.sha256).hexdigest()
                conn.execute(sa.text("INSERT INTO auth_events (id, ts, user_name, event, detail, hash) "
                                     "VALUES (:id, :ts, :user_name, :event, :detail, :hash)"), forged)
            else:  # two events' contents swapped (a reordering), when they differ
                other = rows[(target + 1) % len(rows)]
                if {k: other[k] for k in CHAINED if k != "id"} == {k: row[k] for k in CHAINED if k != "id"}:
                    return
                for a, b in ((row, other), (other, row)):
                    conn.execute(sa.text("UPDATE auth_events SET ts = :ts, user_name = :user_name, event = :event, "
                                         "detail = :detail, hash = :hash WHERE id = :id"), dict(b, id=a["id"]))
        with engine.connect() as conn:
            findings, _ = check_access_log(conn, key)
        assert findings, f"{change} of event #{row['id']} went unnoticed"
    finally:
        engine.dispose()


def _rows(engine):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(
            "SELECT id, ts, user_name, event, detail, hash FROM auth_events ORDER BY id")).mappings()]


def test_the_chain_starts_at_genesis_and_the_head_follows_it(schema_file, tmp_path):
    path = tmp_path / "log.sqlite"
    path.write_bytes(schema_file.read_bytes())
    engine = create_engine(f"sqlite:///{path}")
    key = b"k" * 32
    log_event(engine, "dr.inv", "login", "investigator", key=key)
    log_event(engine, "dr.inv", "login_refused", "wrong password", key=key)
    rows = _rows(engine)
    with engine.connect() as conn:
        head = conn.execute(sa.text("SELECT auth_seq, auth_hash FROM audit_head")).one()
    engine.dispose()
    expected = GENESIS
    for row in rows:  # the naive reference: HMAC over the previous hash and the canonical JSON
        text = expected + json.dumps({k: row[k] for k in CHAINED}, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False)
        expected = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        assert row["hash"] == expected
    assert tuple(head) == (rows[-1]["id"], rows[-1]["hash"])
