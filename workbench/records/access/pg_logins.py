"""PostgreSQL logins: refused logins in ``auth_events``, and passwords that reach the server hashed only.

Refused logins. On PostgreSQL the server checks the password, so a refused
login never reaches the workbench's own tables as the person. To log it in
``auth_events`` as on SQLite (21 CFR 11.300(d)), the workbench then connects
as a minimal database role, ``wb_login_log@<tag>``, whose only right is
EXECUTE on the SECURITY DEFINER function ``wb_log_refused_login(user)``
(migration 0008). The function writes one ``login_refused`` line and decides
the reason itself (unknown user name, inactive account, wrong password) from
the accounts, so the caller supplies nothing but the name tried. The role's
password is in the workspace's ``keys/`` (0600), set by every upgrade that
finds it missing (:func:`ensure_log_role`).

Logins made with psql (or anything but the workbench) are not in
``auth_events``: PostgreSQL's server log has them. A refused password is
logged there at the default settings (``FATAL: password authentication
failed``); successful logins too once ``log_connections`` is on
(``ALTER SYSTEM SET log_connections = on; SELECT pg_reload_conf();`` as a
superuser, or ``log_connections = on`` in ``postgresql.conf``).

Passwords. New and changed passwords are hashed on the client into a
SCRAM-SHA-256 verifier (libpq's ``PQencryptPasswordConn``, RFC 5802/7677), and
only the verifier is sent in ``CREATE/ALTER ROLE ... PASSWORD``: the clear
text never reaches the server, so statement logging cannot show it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import sqlalchemy as sa

from ..storage.engine import create_engine, run_ddl
from ..trail.keys import keys_dir, replace_secret
from ..trail.pg_definer import PLAIN_INSERT, UTC_NOW
from .lockout import LoginPolicy
from .pg_roles import db_tag, password_clause


def log_role(database: str) -> str:
    return f"wb_login_log@{db_tag(database)}"


def log_password_path(database: str, workspace=None) -> Path:
    return keys_dir(workspace) / f"pg-login-log-{db_tag(database)}.password"


# -- migration 0008 ------------------------------------------------------------------------------
def create_log_function(conn: sa.Connection) -> None:
    """The function a refused login is logged with (the reason is decided here, not by the caller)."""
    run_ddl(conn, """
CREATE FUNCTION wb_log_refused_login(p_user text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE why text;
BEGIN
  SELECT CASE WHEN a.active THEN 'wrong password' ELSE 'inactive account' END INTO why
    FROM user_accounts a WHERE a.id = p_user;
  INSERT INTO auth_events (ts, user_name, event, detail)
  VALUES (to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
          left(coalesce(p_user, ''), 80), 'login_refused',
          coalesce(why, 'unknown user name') || ' (refused by PostgreSQL)');
END $$""")
    conn.exec_driver_sql("REVOKE ALL ON FUNCTION wb_log_refused_login(text) FROM PUBLIC")


# -- migration 0012: wrong passwords lock the database role itself ----------------------------------
LOCKING_FUNCTION = "wb_log_refused_login(text, integer)"


def create_locking_log_function(conn: sa.Connection) -> None:
    """0012: the refused-login log also locks the account after ``p_lockout_after`` wrong passwords.

    Lockout (lockout.py) was checked only on SQLite, where the workbench checks
    passwords; on PostgreSQL the server does, so the lock is the server's too:
    the person's login role is set NOLOGIN, which refuses psql as much as the
    workbench, until an investigator's ``account_unlocked`` (pg_definer's
    ``wb_log_auth_event``) sets it LOGIN again. Failures count as lockout.py
    counts them: since the account's last login or unlock. The limit comes from
    the workbench's policy ($WORKBENCH_LOCKOUT_AFTER), bounded here to 1-100.
    """
    conn.exec_driver_sql("DROP FUNCTION IF EXISTS wb_log_refused_login(text)")
    run_ddl(conn, locking_log_sql("CREATE", PLAIN_INSERT))
    conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {LOCKING_FUNCTION} FROM PUBLIC")
    _grant_to_log_role(conn, LOCKING_FUNCTION)


def locking_log_sql(verb: str, append: str) -> str:
    """0012's refused-login function, appending its event with ``append`` (pg_definer's PLAIN_INSERT or,
    from 0018, CHAINED_APPEND: through the server's chain of the access log)."""
    insert = append.format(ts=UTC_NOW, user="left(coalesce(p_user, ''), 80)", event="'login_refused'",
                           detail="why || ' (refused by PostgreSQL)'")
    return f"""
{verb} FUNCTION wb_log_refused_login(p_user text, p_lockout_after integer) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE why text; is_active boolean; login text; since integer; failures integer;
BEGIN
  SELECT a.active INTO is_active FROM user_accounts a WHERE a.id = p_user;
  SELECT l.role_name INTO login FROM db_logins l WHERE l.user_name = p_user;
  why := CASE WHEN is_active IS NULL THEN 'unknown user name' WHEN NOT is_active THEN 'inactive account'
              WHEN login IS NOT NULL AND NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = login)
              THEN 'account locked' ELSE 'wrong password' END;
  {insert};
  IF why <> 'wrong password' OR login IS NULL THEN RETURN false; END IF;
  SELECT coalesce(max(e.id), 0) INTO since FROM auth_events e
   WHERE (e.user_name = p_user AND e.event = 'login')
      OR (e.event = 'account_unlocked' AND starts_with(coalesce(e.detail, ''), p_user || ': '));
  SELECT count(*) INTO failures FROM auth_events e
   WHERE e.user_name = p_user AND e.id > since AND e.event = 'login_refused'
     AND (e.detail LIKE 'wrong password%' OR e.detail LIKE 'unknown user name%');
  IF failures >= least(greatest(coalesce(p_lockout_after, 10), 1), 100) THEN
    EXECUTE format('ALTER ROLE %I NOLOGIN', login);
    RETURN true;
  END IF;
  RETURN false;
END $$"""


def drop_locking_log_function(conn: sa.Connection) -> None:
    """Downgrade of 0012: back to 0008's function (logs, never locks)."""
    conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {LOCKING_FUNCTION}")
    create_log_function(conn)
    _grant_to_log_role(conn, "wb_log_refused_login(text)")


def _grant_to_log_role(conn: sa.Connection, fn: str) -> None:
    db = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    if conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": log_role(db)}).first():
        conn.exec_driver_sql(f'GRANT EXECUTE ON FUNCTION {fn} TO "{log_role(db)}"')


def _log_function(conn: sa.Connection) -> str:
    """The refused-login function this schema has (0012 locks, 0008 only logs)."""
    locking = conn.exec_driver_sql(f"SELECT to_regprocedure('{LOCKING_FUNCTION}') IS NOT NULL").scalar()
    return LOCKING_FUNCTION if locking else "wb_log_refused_login(text)"


def drop_log_function(conn: sa.Connection) -> None:
    db = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    conn.exec_driver_sql("DROP FUNCTION IF EXISTS wb_log_refused_login(text)")
    conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {LOCKING_FUNCTION}")
    conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{log_role(db)}"')


# -- after every upgrade (the owner's connection) ----------------------------------------------------
def ensure_log_role(conn: sa.Connection, workspace=None) -> Path:
    """Create the login-log role if missing and give it a new password when this workspace has none.

    Returns the password file. The role gets EXECUTE on the one function and
    nothing else (no table, no sequence; apply_privileges grants only to the groups).
    """
    db = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    role, path = log_role(db), log_password_path(db, workspace)
    exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is not None
    if exists and path.exists():
        return path
    password = secrets.token_urlsafe(32)
    verb = "ALTER" if exists else "CREATE"
    conn.exec_driver_sql(f'{verb} ROLE "{role}" LOGIN NOINHERIT {password_clause(conn, password)}')
    conn.exec_driver_sql(f'GRANT EXECUTE ON FUNCTION {_log_function(conn)} TO "{role}"')
    replace_secret(path, password + "\n")
    return path


# -- at a refused login ----------------------------------------------------------------------------
def log_refused_login(url: str, user: str, workspace=None) -> str | None:
    """Log a refused login in ``auth_events``; None when done, else why it could not be."""
    base = sa.make_url(url)
    path = log_password_path(base.database, workspace)
    if not path.exists():
        return f"no login-log password at {path} (run `workbench db upgrade` with the owner's URL)"
    engine = create_engine(base.set(username=log_role(base.database), password=path.read_text().strip()))
    try:
        with engine.begin() as conn:
            if _log_function(conn) == LOCKING_FUNCTION:  # 0012: the server locks after too many
                conn.execute(sa.text("SELECT wb_log_refused_login(:u, :n)"),
                             {"u": str(user), "n": LoginPolicy.from_env().lockout_after})
            else:
                conn.execute(sa.text("SELECT wb_log_refused_login(:u)"), {"u": str(user)})
    except sa.exc.DBAPIError as err:
        return f"the login log refused: {str(getattr(err, 'orig', err)).splitlines()[0]}"
    finally:
        engine.dispose()
    return None
