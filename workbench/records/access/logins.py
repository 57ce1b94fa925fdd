"""Accounts and logins of the study store: the first account, adding and deactivating accounts,
passwords, the access log, and PostgreSQL's per-person login (mixed into :class:`~workbench.records.Store`)."""

from __future__ import annotations

import dataclasses
import functools

import sqlalchemy as sa

from ...errors import PermissionDeniedError, Problem, ValidationError, WorkbenchError
from ..storage.engine import create_engine
from ..storage.migrate import current_revision, head_revision
from ..storage.rows import fetch, to_row
from ..storage.tables import TABLES, auth_events, credentials
from ..trail.access_chain import credential_digest
from ..trail.audit import AuditWriter
from ..trail.keys import load_audit_key, trail_is_empty
from ..trail.signing import derive_key, new_salt, registration
from ..types.account import UserAccount
from ..types.base import TableRecord, User
from ..types.study import Site
from . import pg_roles
from .auth import (AuthenticationError, check_new_password, check_unlock_reason, credential_row, has_logins, log_event,
                   require_user_name, unlock)
from .lockout import account_attempts
from .pg_logins import log_refused_login
from .pg_roles import password_clause


def _logs_refusals(method):
    """Append a refused write (role, site, inactive account) to the access log before raising."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except PermissionDeniedError as err:
            self._log(self.user.name, "write_refused", f"{method.__name__}: {err}"[:1000])
            raise

    return wrapper



class AccountMethods:
    """Account management of a logged-in store (needs ``_add``, ``get``, ``update``, ``engine``)."""

    def _access_log_key(self) -> bytes | None:
        """The audit key that chains SQLite's access log, or None when its file is missing.

        Never made here, and never a reason to refuse: a login or a refusal is
        logged even without the key, unchained, and ``audit verify`` names it.
        """
        if self.postgres:
            return None
        if self._key is None:
            try:
                self._key = load_audit_key(self.workspace, create=False)
            except (WorkbenchError, OSError, ValueError):
                return None
        return self._key

    def _log(self, user_name: str, event: str, detail: str | None = None) -> None:
        """One access-log event of this store (chained on SQLite)."""
        log_event(self.engine, user_name, event, detail, key=self._access_log_key())

    def _pg_login(self, name: str) -> User:
        accounts = TABLES[UserAccount.TABLE]
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except sa.exc.OperationalError as err:
            if pg_roles.refused_login(err):
                unlogged = log_refused_login(self.url, name, self.workspace)
                where = ("logged in the access log and PostgreSQL's server log" if unlogged is None else
                         f"PostgreSQL's server log records it; not in the access log: {unlogged}")
                raise AuthenticationError(
                    f"login refused for {name!r}: unknown user name, wrong password or inactive account "
                    f"({where})") from None
            raise
        self._check_schema()
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(accounts).where(accounts.c.id == name)).mappings().one_or_none()
        if row is None or not row["active"]:
            log_event(self.engine, name, "login_refused", "inactive account")
            raise AuthenticationError(f"login refused for {name!r}: the account is inactive (the attempt is logged)")
        account = UserAccount(id=row["id"], role=row["role"], site_id=row["site_id"])
        if account.site_problems():
            log_event(self.engine, name, "login_refused", "site staff account without a site")
            raise AuthenticationError(f"login refused for {name!r}: a {account.role} account needs a site")
        log_event(self.engine, name, "login", account.role)
        return User(account.id, account.role, account.site_id)


    @classmethod
    def create_first_account(cls, url: str | None = None, *, user: str, password: str, workspace=None) -> "Store":
        """Create the database's first account, a coordinating investigator (no site), and log in as it.

        Only while nobody can log in (no account has a password): every later
        account is added by an investigator (:meth:`add_account`). An account
        kept from before passwords existed (schema 0003) gets its password
        this way if it is an investigator's. The schema must be current.
        """
        require_user_name(user)
        url = _resolve_url(url, workspace)
        problems = check_new_password(password, name=user)
        if problems:
            raise ValidationError(problems, what="first account")
        account = UserAccount(id=user, role="investigator", version=1)
        engine = create_engine(url)
        try:
            _require_head(engine)
            with engine.connect() as conn:  # a new key only for an empty trail (trail/keys.py)
                empty = trail_is_empty(conn)
            key = load_audit_key(workspace, create=empty)
            with engine.connect() as conn:
                conn.execution_options(workbench_write=True)
                with conn.begin():
                    salt = new_salt()
                    signer = derive_key(password, salt)
                    audit = AuditWriter(conn, User(user, "investigator"), key, signer=signer)
                    if has_logins(conn):
                        raise PermissionDeniedError(
                            "this database has accounts already: an investigator adds new ones "
                            "(`workbench user add NAME --role ROLE --as INVESTIGATOR`)")
                    kept = fetch_or_none(conn, UserAccount, user)
                    if kept is None:
                        conn.execute(TABLES[UserAccount.TABLE].insert(), [to_row(account)])
                        audit.created(account)
                    elif kept.role != "investigator" or not kept.active:
                        raise PermissionDeniedError(f"the first login must be an active investigator's; "
                                                    f"{user!r} is a {kept.role} account")
                    stored = _store_password(conn, user, "investigator", password)
                    audit.registered_key(user, registration(signer, salt, stored))  # the trail's first key
                    audit.flush()
            log_event(engine, user, "account_created", "investigator (first account)", key=key)
        finally:
            engine.dispose()
        return cls(url, user=user, password=password, workspace=workspace)


    @_logs_refusals
    def add_account(self, account: UserAccount, password: str) -> UserAccount:
        """Give a staff member an account with a password (investigators only; audited).

        A site investigator adds accounts at their own site only.
        """
        if not isinstance(account, UserAccount):
            raise TypeError(f"account must be a UserAccount, got {type(account).__name__}")
        problems = account.site_problems() + check_new_password(password, name=account.id)
        if problems:
            raise ValidationError(problems, what=f"account {account.id}")

        def also(conn: sa.Connection) -> None:
            if account.site_id is not None and fetch_or_none(conn, Site, account.site_id) is None:
                raise ValidationError([Problem("site_id", account.site_id, "the code of a stored site")],
                                      what=f"account {account.id}")
            stored["credential"] = _store_password(conn, account.id, account.role, password)

        def register_key(conn: sa.Connection, audit) -> None:  # signed by the creating investigator
            salt = new_salt()
            audit.registered_key(account.id, registration(derive_key(password, salt), salt, stored["credential"]))

        stored: dict[str, str | None] = {}
        (saved,) = self._add((account,), also=also, then=register_key)
        self._log(self.user.name, "account_created", f"{account.id} ({account.role})")
        return saved

    @_logs_refusals
    def deactivate_account(self, name: str, *, reason: str) -> UserAccount:
        """Stop an account from logging in and writing (investigators only); the account is kept."""
        account = self.get(UserAccount, name)
        saved = self.update(dataclasses.replace(account, active=False), reason=reason)
        if self.postgres:
            with self.engine.begin() as conn:
                pg_roles.set_login(conn, name, False)  # the server refuses the login from now on
        self._log(self.user.name, "account_deactivated", f"{name}: {reason}")
        return saved

    @_logs_refusals
    def unlock_account(self, name: str, *, reason: str) -> int:
        """Lift the lockout wrong passwords put on ``name`` (investigators; a site's, at their site only).

        Logged in the access log; returns the wrong passwords counted before.
        """
        if self.user.role != "investigator":
            raise PermissionDeniedError(f"user {self.user.name!r} with role {self.user.role!r} may not unlock "
                                        "accounts: investigators only")
        account = self.get(UserAccount, name)
        if self.user.site_id is not None and account.site_id != self.user.site_id:
            raise PermissionDeniedError(f"user {self.user.name!r} unlocks accounts of site {self.user.site_id!r} "
                                        f"only; {name!r} is not one")
        check_unlock_reason(name, reason)
        # In the trail first, signed by the investigator (issue 24): an unlock that is not there did not
        # happen. Only then the access log's event, which is what lifts the lock; if that fails the
        # account stays locked, which is the safe side.
        with self.engine.connect() as conn:
            before = account_attempts(conn, name).failures
        with self._write() as (_conn, audit):
            audit.unlocked(name, before, reason.strip())
        return unlock(self.engine, name, by=self.user.name, reason=reason, key=self._access_log_key())

    def change_password(self, old_password: str, new_password: str) -> None:
        """Change the logged-in user's own password (the old one again first)."""
        type(self)(self.url, user=self.user.name, password=old_password, workspace=self.workspace).close()
        problems = check_new_password(new_password, name=self.user.name, field="new password")
        if problems:
            raise ValidationError(problems, what="password change")
        salt = new_salt()
        new_key = derive_key(new_password, salt)
        # One transaction: the new credentials and the new key's registration, signed with the old key.
        with self._write() as (conn, audit):
            stored = None
            if self.postgres:  # a role may change its own password; only the SCRAM verifier is sent
                conn.exec_driver_sql("ALTER ROLE CURRENT_USER " + password_clause(conn, new_password))
            else:
                row = credential_row(self.user.name, new_password)
                conn.execute(credentials.update().where(credentials.c.user_name == self.user.name).values(**row))
                stored = credential_digest(row["password_hash"])
            audit.registered_key(self.user.name, registration(new_key, salt, stored))
        self._signer = new_key
        self._log(self.user.name, "password_changed")

    def access_log(self):
        """The access log (logins, refused logins, refused writes) as a DataFrame; study-wide staff only."""
        import pandas as pd

        self._require_study_wide("read the access log")
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(auth_events).order_by(auth_events.c.id)).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in auth_events.columns])


def _store_password(conn: sa.Connection, user: str, role: str, password: str) -> str | None:
    """An argon2 hash in ``credentials`` (SQLite), or the person's own login role (PostgreSQL).

    Returns what the key registration records of it (SQLite; ``access_chain.credential_digest``).
    """
    if conn.dialect.name == "postgresql":
        pg_roles.create_login(conn, user, role, password)
        return None
    row = credential_row(user, password)
    conn.execute(credentials.insert(), [row])
    return credential_digest(row["password_hash"])


def _resolve_url(url: str | None, workspace) -> str:
    if url is not None:
        return url
    from ...config import get_workspace

    return get_workspace(workspace).db_url


def _require_head(engine: sa.Engine) -> None:
    have, want = current_revision(engine), head_revision()
    if have != want:
        raise WorkbenchError(
            f"the study database is at schema revision {have!r}, this workbench needs {want!r}: "
            "run `workbench db upgrade` first"
        )


def fetch_or_none(conn: sa.Connection, rt: type[TableRecord], id: str) -> TableRecord | None:
    try:
        return fetch(conn, rt, id)
    except ValidationError:
        return None
