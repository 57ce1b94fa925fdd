"""Passwords and logins: argon2 hashes, the access log, and who a login makes you.

A :class:`~workbench.records.Store` is opened with a user name and a password;
:func:`authenticate` checks the password against the account's argon2id hash
(argon2-cffi's defaults follow RFC 9106's second recommended option) and that
the account is active, and returns the :class:`~workbench.records.User` the
account defines (name, role, site). The role is never taken from the caller.
Every login and every refusal is appended to ``auth_events`` (21 CFR 11.300(d):
"detect and report ... any attempts at their unauthorized use"), on SQLite
chained under the audit key (``trail/access_chain.py``).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ...errors import PermissionDeniedError, Problem, ValidationError
from ..storage.tables import TABLES, auth_events, credentials, db_logins
from ..trail import pg_definer
from ..trail.access_chain import append_event
from ..types.account import SITE_BOUND_ROLES, USER_NAME, UserAccount
from ..types.base import User
from ..types.fields import STORABLE_TEXT, storable
from . import lockout
from .lockout import Clock, LoginPolicy, account_attempts, default_source, judge, source_tag

#: NIST SP 800-63B 5.1.1.2 asks at least 8; 12 because the hash file of a SQLite store may be copied.
MIN_PASSWORD_LENGTH = 12
#: Long enough for any passphrase; a 1 MB "password" would only make every login hash a megabyte.
MAX_PASSWORD_LENGTH = 128
#: zxcvbn's score (0-4): 3 is "safely unguessable: moderate protection from offline slow-hash scenario".
MIN_PASSWORD_SCORE = 3

_HASHER = PasswordHasher()
# Verifying against a throwaway hash when the name is unknown makes an unknown
# name cost as long as a wrong password, so timing does not reveal who has an account.
_DUMMY_HASH = _HASHER.hash("no such account: timing decoy")


class AuthenticationError(PermissionDeniedError):
    """A login was refused: unknown name, wrong password or inactive account."""


class LoginDelayedError(AuthenticationError):
    """Too soon after wrong passwords: the password was not checked; try again after ``wait`` seconds."""

    def __init__(self, message: str, wait: float) -> None:
        super().__init__(message)
        self.wait = wait


class AccountLockedError(AuthenticationError):
    """Too many wrong passwords: the account is locked until an investigator unlocks it."""


def check_new_password(password, *, name: str | None = None, field: str = "password") -> list[Problem]:
    """Problems with a new password (empty list when acceptable).

    A length range, then the strength zxcvbn estimates (Wheeler 2016, USENIX
    Security: pattern matching against dictionaries, keyboard walks, repeats,
    dates, and the user name given as user input), which refuses ``aaaaaaaaaaaa``,
    ``Password1234`` and the account name however padded.
    """
    allowed = (f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, hard to guess "
               f"(strength {MIN_PASSWORD_SCORE} of 4 or more: e.g. four unrelated words)")
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        got = type(password).__name__ if not isinstance(password, str) else f"<withheld: {len(password)} characters>"
        return [Problem(field, got, allowed)]
    from zxcvbn import zxcvbn

    inputs = [name, *name.replace("-", ".").replace("_", ".").split(".")] if name else []
    estimate = zxcvbn(password, user_inputs=[w for w in inputs if w], max_length=MAX_PASSWORD_LENGTH)
    if estimate["score"] < MIN_PASSWORD_SCORE:
        why = estimate["feedback"]["warning"] or "too easy to guess"
        return [Problem(field, f"<withheld: strength {estimate['score']} of 4: {why.rstrip('.')}>", allowed)]
    return []


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def credential_row(name: str, password: str) -> dict:
    return {"user_name": name, "password_hash": hash_password(password), "changed_at": now_iso()}


def log_event(engine: sa.Engine, user_name: str, event: str, detail: str | None = None, *,
              ts: datetime | None = None, key: bytes | None = None) -> None:
    """Append one line to the access log in its own transaction (it survives a refused write).

    On SQLite the line is chained under the audit ``key`` (``trail.access_chain``);
    without it, it is logged unchained and ``audit verify`` names it.
    """
    stamp = now_iso() if ts is None else ts.astimezone(timezone.utc).isoformat(timespec="microseconds")
    event_row = dict(ts=stamp, user_name=str(user_name)[:80], event=event, detail=detail)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":  # the write lock first: the chain's head is read, then moved
            conn.execution_options(workbench_write=True)
        with conn.begin():
            if pg_definer.installed(conn):  # PostgreSQL: the server's function, clock and identity check
                pg_definer.log_auth_event(conn, user_name, event, detail)
            elif conn.dialect.name == "sqlite":
                append_event(conn, key, event_row)
            else:  # PostgreSQL before 0012. A parameter list, so no RETURNING: site staff may append, not read.
                conn.execute(auth_events.insert(), [event_row])


def authenticate(engine: sa.Engine, name: str, password: str, *, source: str | None = None,
                 policy: LoginPolicy | None = None, clock: Clock | None = None, key: bytes | None = None) -> User:
    """The User an active account with this name and password defines; AuthenticationError otherwise.

    The refusal message is the same for an unknown name and a wrong password
    (the access log tells them apart), so it cannot be used to find accounts.
    Wrong passwords delay the next attempt and lock the account
    (:mod:`~workbench.records.access.lockout`); ``source`` (default: OS user and host),
    ``policy`` (default: :meth:`LoginPolicy.from_env`) and ``clock`` (default:
    the UTC wall clock; tests pass their own, so nothing sleeps) decide how.
    ``key``: the audit key that chains SQLite's access log (:func:`log_event`).
    """
    source = default_source() if source is None else str(source)[:120]
    policy = LoginPolicy.from_env() if policy is None else policy
    now = (clock or lockout.utc_clock)()
    tag = source_tag(source)

    def refuse(detail: str, message: str, error=AuthenticationError, **kw):
        log_event(engine, name, "login_refused", detail + tag, ts=now, key=key)
        raise error(f"login refused for {name!r}: {message} (the attempt is logged)", **kw)

    accounts = TABLES[UserAccount.TABLE]
    with engine.connect() as conn:
        verdict = judge(conn, name, source, policy, now)
        row = conn.execute(
            sa.select(accounts.c.id, accounts.c.role, accounts.c.active, accounts.c.site_id,
                      credentials.c.password_hash)
            .select_from(accounts.outerjoin(credentials, credentials.c.user_name == accounts.c.id))
            .where(accounts.c.id == name)
        ).mappings().one_or_none()
    if verdict.locked:  # even the right password: a guesser must not learn that it was right
        refuse("account locked", f"locked after {verdict.failures} wrong passwords; an investigator unlocks it "
                                 f"(`workbench user unlock {name}`)", AccountLockedError)
    if verdict.wait > 0:
        wait = math.ceil(verdict.wait)
        refuse(f"delayed: {wait} s to wait", f"too soon after wrong passwords: try again in {wait} s "
                                             "(the password was not checked)", LoginDelayedError, wait=wait)
    stored = row["password_hash"] if row is not None and row["password_hash"] else _DUMMY_HASH
    try:
        ok = isinstance(password, str) and _HASHER.verify(stored, password) and stored is not _DUMMY_HASH
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        left = policy.lockout_after - verdict.failures - 1
        refuse("unknown user name" if row is None else "wrong password",
               "unknown user name or wrong password" + (f"; the account is now locked (`workbench user unlock "
                                                        f"{name}` by an investigator)" if left == 0 else ""),
               AccountLockedError if left == 0 else AuthenticationError)
    if not row["active"]:
        refuse("inactive account", "the account is inactive")
    if row["role"] in SITE_BOUND_ROLES and row["site_id"] is None:
        refuse("site staff account without a site", f"a {row['role']} account needs a site (an investigator sets it)")
    log_event(engine, name, "login", row["role"] + tag, ts=now, key=key)
    return User(row["id"], row["role"], row["site_id"])


def check_unlock_reason(name: str, reason) -> None:
    """The reason an account is unlocked: recorded, so required, in text the database can store."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError([Problem("reason", reason, "why the account is unlocked (it is recorded)")],
                              what=f"unlock {name}")
    if not storable(reason):
        raise ValidationError([Problem("reason", reason, STORABLE_TEXT)], what=f"unlock {name}")


def unlock(engine: sa.Engine, name: str, *, by: str, reason: str, key: bytes | None = None) -> int:
    """Log that ``by`` unlocked ``name`` (its failures count from zero again); the failures it had.

    The caller checks that ``by`` is an investigator allowed to act on ``name``.
    """
    check_unlock_reason(name, reason)
    with engine.connect() as conn:
        failures = account_attempts(conn, name).failures
    log_event(engine, by, "account_unlocked", f"{name}: {reason.strip()} ({failures} wrong passwords before)",
              key=key)
    return failures


def has_logins(conn: sa.Connection) -> bool:
    """Whether anyone can log in (an account with a password, or a PostgreSQL login role)."""
    return any(conn.execute(sa.select(t.c.user_name).limit(1)).first() is not None
               for t in (credentials, db_logins))


def require_user_name(name) -> None:
    import re

    if not isinstance(name, str) or not re.fullmatch(USER_NAME, name):
        raise ValidationError([Problem("user", name, "a user name: a letter, then 1-63 letters, digits, . _ -")],
                              what="login")
