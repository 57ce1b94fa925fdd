"""Accounts: passwords checked against argon2 hashes, roles from the account, every refusal logged."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from tests.records import factories as f
from tests.records.accounts import as_user, first_investigator, login, password_of
from workbench.errors import PermissionDeniedError, ValidationError
from workbench.records import Participant, Store, User, UserAccount
from workbench.records import AuthenticationError
from workbench.records.access.lockout import default_source, source_tag
from workbench.records.storage.tables import auth_events, credentials


def _events(store):
    log = store.access_log()
    return list(zip(log.user_name, log.event, log.detail))


def test_password_hash_is_argon2_and_never_in_the_trail(store):
    if store.postgres:  # the server keeps the (SCRAM) verifier; a person cannot even read the table
        with store.engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            conn.execute(credentials.select())
    else:
        with store.engine.connect() as conn:
            (stored,) = conn.execute(credentials.select()).mappings().all()
        assert stored["password_hash"].startswith("$argon2id$")
        assert password_of("dr.inv") not in stored["password_hash"]
    trail = store.audit_trail()
    assert not trail.new_value.fillna("").str.contains("argon2").any()
    assert set(trail[trail.entity == "user_accounts"].field) == {"role", "active", "site_id"}


def test_wrong_password_unknown_name_and_inactive_account_are_refused_and_logged(store):
    f.seeded(store)
    as_user(store, "a.sess", "assessor", "ZH").close()
    with pytest.raises(AuthenticationError, match="wrong password"):
        Store(store.url, user="a.sess", password="not-the-password")
    with pytest.raises(AuthenticationError, match="unknown user name.*wrong password"):
        Store(store.url, user="mallory", password="whatever-guess")
    store.deactivate_account("a.sess", reason="left the team")
    with pytest.raises(AuthenticationError, match="inactive"):
        login(store.url, "a.sess")
    refusals = [e for e in _events(store) if e[1] == "login_refused"]
    # PostgreSQL refuses before any connection as the person; the workbench then logs it through the
    # login-log role (pg_logins.py), so the access log reads the same on both backends.
    # SQLite also tags each attempt with where it came from (OS user and host): the per-source delay reads it.
    by = " (refused by PostgreSQL)" if store.postgres else source_tag(default_source())
    assert refusals == [("a.sess", "login_refused", "wrong password" + by),
                        ("mallory", "login_refused", "unknown user name" + by),
                        ("a.sess", "login_refused", "inactive account" + by)]
    trail = store.audit_trail()
    assert trail[(trail.entity == "user_accounts") & (trail.action == "update")].reason.tolist() == ["left the team"]
    assert store.verify_audit().ok


def test_role_comes_from_the_account_and_a_refused_write_is_logged(store):
    (p,) = f.seeded(store)
    with as_user(store, "a.sess", "assessor", "ZH") as assessor:
        assert assessor.user == User("a.sess", "assessor", "ZH")
        with pytest.raises(PermissionDeniedError, match="may not update Participant"):
            assessor.update(dataclasses.replace(p, age_years=50), reason="claiming a role not held")
        assessor.add(f.assessment())  # the role the account holds
        # deactivated while logged in: the next write is refused inside its transaction
        store.deactivate_account("a.sess", reason="left")
        with pytest.raises(PermissionDeniedError, match="inactive"):
            assessor.add(f.assessment())
    assert store.get(Participant, "SCI-001").age_years == 34
    refused = [e for e in _events(store) if e[1] == "write_refused"]
    assert [e[0] for e in refused] == ["a.sess", "a.sess"] and "update" in refused[0][2]


def test_only_investigators_add_accounts_and_only_the_first_is_free(store, db_url):
    f.seeded(store)
    with as_user(store, "b.eng", "engineer", "ZH") as eng, pytest.raises(PermissionDeniedError):
        eng.add_account(UserAccount(id="x.y", role="assessor", site_id="ZH"), password_of("x.y"))
    with pytest.raises(PermissionDeniedError, match="accounts already"):
        Store.create_first_account(db_url, user="late.comer", password=password_of("late.comer"))
    with pytest.raises(ValidationError) as err:
        store.add_account(UserAccount(id="c.ass", role="assessor", site_id="ZZ"), "short")
    assert err.value.fields == ("password",)
    with pytest.raises(ValidationError, match="stored site"):
        store.add_account(UserAccount(id="c.ass", role="assessor", site_id="ZZ"), password_of("c.ass"))
    with pytest.raises(ValidationError, match="site this assessor works at"):
        store.add_account(UserAccount(id="c.ass", role="assessor"), password_of("c.ass"))
    assert [a.id for a in store.find(UserAccount)] == ["b.eng", "dr.inv"]


def test_account_sites_follow_the_role():
    with pytest.raises(ValidationError) as err:
        UserAccount(id="m.on", role="monitor", site_id="ZH")
    assert err.value.fields == ("site_id",)
    assert [p.field for p in UserAccount(id="e.ng", role="engineer").site_problems()] == ["site_id"]
    assert UserAccount(id="s.po", role="sponsor").site_id is None


def test_a_declared_user_is_not_accepted(store):
    with pytest.raises(TypeError, match="no longer trusts"):
        Store(store.url, user=User("dr.inv", "investigator"))


def test_password_change(store):
    store.change_password(password_of("dr.inv"), "a-brand-new-password")
    with pytest.raises(AuthenticationError):
        login(store.url, "dr.inv")
    Store(store.url, user="dr.inv", password="a-brand-new-password").close()
    with store.engine.connect() as conn:
        events = [r.event for r in conn.execute(auth_events.select())]
    assert "password_changed" in events


def test_first_login_for_an_account_kept_from_before_passwords(tmp_path):
    """A 0003 database with accounts but no passwords: its investigator gets a password, nobody else."""
    import sqlalchemy as sa

    from workbench.records.storage.engine import create_engine
    from workbench.records.storage.migrate import upgrade_database

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    upgrade_database(engine, "0003")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO user_accounts (id, role, active, version) VALUES "
                             "('old.eng', 'engineer', 1, 1), ('old.inv', 'investigator', 1, 1)"))
    engine.dispose()
    # (rows written behind the trail's back on purpose: only the login matters here)
    engine = create_engine(url)
    upgrade_database(engine)
    engine.dispose()
    with pytest.raises(PermissionDeniedError, match="engineer"):
        Store.create_first_account(url, user="old.eng", password=password_of("old.eng"))
    with Store.create_first_account(url, user="old.inv", password=password_of("old.inv")) as s:
        assert s.user == User("old.inv", "investigator", None)


def test_sqlite_first_investigator_fixture(db_url):
    with first_investigator(db_url, "dr.first") as s:
        assert s.user.role == "investigator" and s.user.site_id is None
