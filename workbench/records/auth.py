"""Passwords and logins: argon2 hashes, the access log, and who a login makes you.

A :class:`~workbench.records.Store` is opened with a user name and a password;
:func:`authenticate` checks the password against the account's argon2id hash
(argon2-cffi's defaults follow RFC 9106's second recommended option) and that
the account is active, and returns the :class:`~workbench.records.User` the
account defines (name, role, site). The role is never taken from the caller.
Every login and every refusal is appended to ``auth_events`` (21 CFR 11.300(d):
"detect and report ... any attempts at their unauthorized use").
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import PermissionDeniedError, Problem, ValidationError
from ._base import User
from .account import SITE_BOUND_ROLES, UserAccount
from .tables import TABLES, auth_events, credentials

#: Long enough that a guessed password is unlikely (NIST SP 800-63B 5.1.1.2 asks at least 8).
MIN_PASSWORD_LENGTH = 10

_HASHER = PasswordHasher()
# Verifying against a throwaway hash when the name is unknown makes an unknown
# name cost as long as a wrong password, so timing does not reveal who has an account.
_DUMMY_HASH = _HASHER.hash("no such account: timing decoy")


class AuthenticationError(PermissionDeniedError):
    """A login was refused: unknown name, wrong password or inactive account."""


def check_new_password(password, *, name: str | None = None, field: str = "password") -> list[Problem]:
    """Problems with a new password (empty list when acceptable)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        return [Problem(field, "<withheld>", f"at least {MIN_PASSWORD_LENGTH} characters")]
    if name is not None and password.strip().lower() == name.lower():
        return [Problem(field, "<withheld>", "a password that is not the user name")]
    return []


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def credential_row(name: str, password: str) -> dict:
    return {"user_name": name, "password_hash": hash_password(password), "changed_at": now_iso()}


def log_event(engine: sa.Engine, user_name: str, event: str, detail: str | None = None) -> None:
    """Append one line to the access log in its own transaction (it survives a refused write)."""
    with engine.connect() as conn:
        with conn.begin():
            # A parameter list, so no RETURNING: site staff may append to the log but not read it.
            conn.execute(auth_events.insert(), [dict(ts=now_iso(), user_name=str(user_name)[:80], event=event,
                                                     detail=detail)])


def authenticate(engine: sa.Engine, name: str, password: str) -> User:
    """The User an active account with this name and password defines; AuthenticationError otherwise.

    The refusal message is the same for an unknown name and a wrong password
    (the access log tells them apart), so it cannot be used to find accounts.
    """
    accounts = TABLES[UserAccount.TABLE]
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(accounts.c.id, accounts.c.role, accounts.c.active, accounts.c.site_id,
                      credentials.c.password_hash)
            .select_from(accounts.outerjoin(credentials, credentials.c.user_name == accounts.c.id))
            .where(accounts.c.id == name)
        ).mappings().one_or_none()
    stored = row["password_hash"] if row is not None and row["password_hash"] else _DUMMY_HASH
    try:
        ok = isinstance(password, str) and _HASHER.verify(stored, password) and stored is not _DUMMY_HASH
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        log_event(engine, name, "login_refused", "unknown user name" if row is None else "wrong password")
        raise AuthenticationError(f"login refused for {name!r}: unknown user name or wrong password "
                                  "(the attempt is logged)")
    if not row["active"]:
        log_event(engine, name, "login_refused", "inactive account")
        raise AuthenticationError(f"login refused for {name!r}: the account is inactive (the attempt is logged)")
    if row["role"] in SITE_BOUND_ROLES and row["site_id"] is None:
        log_event(engine, name, "login_refused", "site staff account without a site")
        raise AuthenticationError(f"login refused for {name!r}: a {row['role']} account needs a site "
                                  "(an investigator sets it); the attempt is logged")
    log_event(engine, name, "login", row["role"])
    return User(row["id"], row["role"], row["site_id"])


def has_logins(conn: sa.Connection) -> bool:
    """Whether anyone can log in (an account with a password, or a PostgreSQL login role)."""
    from .tables import db_logins

    return any(conn.execute(sa.select(t.c.user_name).limit(1)).first() is not None
               for t in (credentials, db_logins))


def require_user_name(name) -> None:
    import re

    from .account import USER_NAME

    if not isinstance(name, str) or not re.fullmatch(USER_NAME, name):
        raise ValidationError([Problem("user", name, "a user name: a letter, then 1-63 letters, digits, . _ -")],
                              what="login")
