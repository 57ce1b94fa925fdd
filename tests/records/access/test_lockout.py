"""Wrong passwords: a growing delay per account and per source, a lockout an investigator lifts, a password policy.

Every test runs against a real SQLite store; the clock is a list of instants the
test moves by hand, so no test sleeps for a delay.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.records.accounts import as_user, first_investigator, login, password_of
from workbench.cli import main
from workbench.errors import PermissionDeniedError, ValidationError
from workbench.records import UserAccount
from workbench.records.access.auth import (MAX_PASSWORD_LENGTH, AccountLockedError, AuthenticationError, LoginDelayedError,
                                    authenticate, check_new_password)
from workbench.records.access.lockout import LOCKOUT_VAR, LoginPolicy
from tests.budget import examples

POLICY = LoginPolicy(lockout_after=6, backoff_after=2, base_delay=1.0, max_delay=8.0, source_backoff_after=4)


class Clock:
    """A wall clock that moves only when told."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def inv(tmp_path):
    store = first_investigator(f"sqlite:///{tmp_path / 'study.sqlite'}")
    from tests.records import factories as f

    f.seeded(store)
    as_user(store, "a.sess", "assessor", "ZH").close()
    yield store
    store.close()


def _try(store, name, password, clock, source="alice@ws1"):
    key = None if store.postgres else store.audit_key  # as a Store's login does: SQLite's access log is chained
    return authenticate(store.engine, name, password, source=source, policy=POLICY, clock=clock, key=key)


def _events(store, event):
    log = store.access_log()
    return log[log.event == event].detail.tolist()


def test_delay_grows_then_caps():
    assert [POLICY.delay(n) for n in range(8)] == [0, 0, 1, 2, 4, 8, 8, 8]
    assert LoginPolicy().delay(2) == 0 and LoginPolicy().delay(3) == 1 and LoginPolicy().delay(50) == 60


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(1, 100), st.integers(1, 20), st.floats(0, 10), st.floats(10, 600), st.integers(0, 10_000))
def test_the_delay_never_shrinks_as_failures_grow_and_never_passes_the_cap(lock, free, base, cap, failures):
    policy = LoginPolicy(lockout_after=lock, backoff_after=free, base_delay=base, max_delay=cap)
    assert 0 <= policy.delay(failures) <= policy.delay(failures + 1) <= cap
    if failures < free:  # the free failures of a typist cost nothing
        assert policy.delay(failures) == 0


def test_a_too_early_attempt_is_refused_unchecked_and_a_waited_one_is_checked(inv):
    clock = Clock()
    for _ in range(2):  # the free failures: no wait in between
        with pytest.raises(AuthenticationError, match="wrong password"):
            _try(inv, "a.sess", "guess-number-one", clock)
    # the third try comes too soon: refused even with the right password, which is not checked
    with pytest.raises(LoginDelayedError, match="try again in 1 s") as err:
        _try(inv, "a.sess", password_of("a.sess"), clock)
    assert err.value.wait == 1
    clock.advance(1.0)
    with pytest.raises(AuthenticationError, match="wrong password"):
        _try(inv, "a.sess", "guess-number-three", clock)
    clock.advance(1.0)  # now 2 s are due
    with pytest.raises(LoginDelayedError, match="in 1 s"):
        _try(inv, "a.sess", password_of("a.sess"), clock)
    clock.advance(1.0)
    assert _try(inv, "a.sess", password_of("a.sess"), clock).name == "a.sess"
    # a login resets the count: the next wrong password is free again
    with pytest.raises(AuthenticationError, match="wrong password"):
        _try(inv, "a.sess", "guess-number-four", clock)
    assert _try(inv, "a.sess", password_of("a.sess"), clock).name == "a.sess"
    assert len(_events(inv, "login_refused")) == 6  # every attempt is logged, delayed ones too
    assert sum(d.startswith("delayed") for d in _events(inv, "login_refused")) == 2


def test_lockout_refuses_the_right_password_until_an_investigator_unlocks(inv, monkeypatch):
    clock = Clock()
    for n in range(POLICY.lockout_after):
        clock.advance(POLICY.max_delay)
        with pytest.raises(AccountLockedError if n == POLICY.lockout_after - 1 else AuthenticationError,
                           match="wrong password"):
            _try(inv, "a.sess", f"guess-{n}-not-it", clock)
    clock.advance(3600)
    with pytest.raises(AccountLockedError, match="locked after 6 wrong passwords.*workbench user unlock a.sess"):
        _try(inv, "a.sess", password_of("a.sess"), clock)
    # only an investigator lifts it, with a reason
    with as_user(inv, "b.eng", "engineer", "ZH") as eng, pytest.raises(PermissionDeniedError, match="investigators"):
        eng.unlock_account("a.sess", reason="asked nicely")
    n_entries = len(inv.audit_trail())
    with pytest.raises(ValidationError, match="reason"):
        inv.unlock_account("a.sess", reason=" ")
    assert len(inv.audit_trail()) == n_entries  # a refused unlock leaves nothing in the trail
    assert inv.unlock_account("a.sess", reason="identity checked by phone") == POLICY.lockout_after
    assert _try(inv, "a.sess", password_of("a.sess"), clock).name == "a.sess"
    (unlocked,) = _events(inv, "account_unlocked")
    assert unlocked.startswith("a.sess: identity checked by phone")
    # and in the trail: who lifted it, for whom, why, and the wrong passwords before; signed, so verify holds
    trail = inv.audit_trail()
    (entry,) = trail[trail["action"] == "unlock"].itertuples()
    assert (entry.user_name, entry.role, entry.entity, entry.entity_id, entry.field, entry.reason) == (
        inv.user.name, "investigator", "user_accounts", "a.sess", "lockout", "identity checked by phone")
    assert json.loads(entry.old_value) == {"wrong_passwords": POLICY.lockout_after}
    report = inv.verify_audit()
    assert report.ok, report.summary()
    assert "account locked" in " ".join(_events(inv, "login_refused"))


def test_a_site_investigator_unlocks_their_own_site_only(inv):
    import dataclasses

    from tests.records import factories as f

    clock = Clock()
    inv.add(dataclasses.replace(f.site(), id="BE", name="Spinal cord unit B"))
    as_user(inv, "a.be", "assessor", "BE").close()
    with as_user(inv, "dr.zh", "investigator", "ZH") as zh:
        with pytest.raises(PermissionDeniedError):
            zh.unlock_account("a.be", reason="not my site")
        assert zh.unlock_account("a.sess", reason="my site") == 0
    assert _try(inv, "a.be", password_of("a.be"), clock).name == "a.be"


def test_many_names_from_one_source_are_delayed_too(inv):
    clock = Clock()
    for n in range(POLICY.source_backoff_after):  # one guess per name: no name reaches its own delay
        with pytest.raises(AuthenticationError, match="unknown user name or wrong password"):
            _try(inv, f"user{n}", "Summer2026!!", clock)
    with pytest.raises(LoginDelayedError):
        _try(inv, "a.sess", password_of("a.sess"), clock)
    # another source is not held up by this one
    assert _try(inv, "a.sess", password_of("a.sess"), clock, source="bob@ws2").name == "a.sess"


def test_lockout_after_comes_from_the_workspace_setting(monkeypatch):
    monkeypatch.setenv(LOCKOUT_VAR, "4")
    assert LoginPolicy.from_env().lockout_after == 4
    for bad in ("zero", "0", "1000"):
        monkeypatch.setenv(LOCKOUT_VAR, bad)
        with pytest.raises(ValidationError) as err:
            LoginPolicy.from_env()
        assert err.value.fields == (LOCKOUT_VAR,) and err.value.problems[0].value == bad
    monkeypatch.delenv(LOCKOUT_VAR)
    assert LoginPolicy.from_env().lockout_after == 10


def test_store_login_is_throttled_and_cli_unlock_lifts_the_lock(inv, monkeypatch, capsys):
    """Through the Store and the command line, as a user meets it (the setting: lock after 2)."""
    monkeypatch.setenv(LOCKOUT_VAR, "2")
    clock = Clock()
    monkeypatch.setattr("workbench.records.access.lockout.utc_clock", clock)
    from workbench.records import Store

    for _ in range(2):
        clock.advance(60)
        with pytest.raises(AuthenticationError):
            Store(inv.url, user="a.sess", password="still-not-the-password")
    with pytest.raises(AccountLockedError):
        login(inv.url, "a.sess")
    monkeypatch.setenv("WORKBENCH_USER", "dr.inv")
    monkeypatch.setenv("WORKBENCH_PASSWORD", password_of("dr.inv"))
    code = main(["user", "unlock", "a.sess", "--reason", "typed in the wrong field", "--db-url", inv.url])
    out = capsys.readouterr()
    assert code == 0 and "unlocked by dr.inv (2 wrong passwords before)" in out.out, out
    login(inv.url, "a.sess").close()


@pytest.mark.parametrize("password, why", [
    ("aaaaaaaaaaaa", "Repeats"),
    ("a.sess", "12 to"),  # the account name
    ("a.sessa.sessa.sess", "Repeats"),  # the account name, padded to length
    ("Password1234", "commonly used"),
    ("x" * 1_000_000, "1000000 characters"),
    ("qwertyuiopasdf", "strength"),
])
def test_weak_passwords_are_refused_naming_the_field(inv, password, why):
    with pytest.raises(ValidationError) as err:
        inv.add_account(UserAccount(id="c.ass", role="assessor", site_id="ZH"), password)
    assert err.value.fields == ("password",) and why in str(err.value)
    assert len(password) < 12 or password not in str(err.value)  # the password is never echoed
    with pytest.raises(ValidationError) as err:
        inv.change_password(password_of("dr.inv"), password)
    assert err.value.fields == ("new password",)
    assert [a.id for a in inv.find(UserAccount)] == ["a.sess", "dr.inv"]


@settings(max_examples=examples(30), deadline=None)
@given(st.text(min_size=MAX_PASSWORD_LENGTH + 1, max_size=4 * MAX_PASSWORD_LENGTH))
def test_any_overlong_password_is_refused(password):
    (problem,) = check_new_password(password)
    assert problem.field == "password" and "characters" in problem.value


def test_generated_and_fixture_passwords_pass_the_policy(tmp_path):
    from workbench.records.demo import DEMO_USERS, demo_passwords

    generated = demo_passwords(tmp_path)
    for name in DEMO_USERS.values():
        assert check_new_password(generated[name], name=name) == []
    for name in ("dr.inv", "a.sess", "b.eng", "lead.investigator", "m.on", "x.y"):
        assert check_new_password(password_of(name), name=name) == []


def test_cli_password_policy_error_is_clear(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "ws"))
    assert main(["db", "upgrade", "--db-url", url]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("aaaaaaaaaaaa\n"))
    code = main(["user", "add", "dr.a", "--role", "investigator", "--password-stdin", "--db-url", url])
    err = capsys.readouterr().err
    assert code == 1 and "password: got" in err and "Repeats" in err and "Traceback" not in err
