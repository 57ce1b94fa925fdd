"""PostgreSQL: the trail and the access log are written only through the store's own functions.

Issue 24: connected as an engineer with psql, a script inserted five chained
trail entries under the investigator's name, signed with the shared audit key,
and moved the head; the sponsor inserted a fake login for another person into
``auth_events``. A row-level-security policy (0011) already refused an entry
whose user was not the connected role's, but a role that may INSERT can still
write anything the policy forgets to check. From migration 0012 no workbench
role may INSERT into ``audit_log`` or ``auth_events`` or UPDATE ``audit_head``
at all (:func:`workbench.records.access.pg_roles.apply_privileges` revokes it); they call
three SECURITY DEFINER functions owned by the schema owner, with
``search_path`` pinned so a role cannot slip its own ``audit_log`` in front:

- ``wb_trail_head()`` locks the head (``SELECT ... FOR UPDATE`` needs UPDATE
  rights the roles no longer have) and returns its entry number and hash;
- ``wb_append_trail(entries json)`` appends a transaction's entries and moves
  the head. Every entry must name the person ``session_user`` logs in as (via
  ``db_logins``) and that account's role (``user_accounts``), and must follow
  the head (entry numbers and ``prev_hash`` links), so a role can neither write
  under another name nor fork or rewind the chain. The keyed hash and the
  author's Ed25519 signature are the client's, as before: the server has
  neither key, and ``audit verify`` checks both;
- ``wb_log_auth_event(user, event, detail)`` appends one access-log line: the
  person's own only, with the server's clock, one of the events the workbench
  writes; ``account_unlocked`` only by an investigator (a site investigator for
  their own site's accounts), since it resets the lockout count.

From migration 0013 ``wb_append_trail`` stamps every entry with the server's
clock, whatever ``ts`` the client sent: the transaction's start
(``transaction_timestamp()``, UTC, to the microsecond), not
``clock_timestamp()``. The entry's hash and signature cover ``ts`` and are
computed by the client before it sends the entries, so the stamp must be a
server time the client can read first and that stays the same until the
append: :func:`lock_head` returns it with the head, in the same transaction.
It is also the trail's rule already (one timestamp per transaction: its
entries happened together). A client that sends another time has the server's
recorded, and its hash then fails ``audit verify``. Entries written before
0013 keep the client's time they were hashed with, so old trails replay as
they are.

``session_user``, not ``current_user``: inside a SECURITY DEFINER function
``current_user`` is the owner, and a login role cannot change its session user
(only a superuser can). The schema owner itself (migrations, the first
account) may write any name: it owns the tables and could anyway.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from ..storage.engine import run_ddl

#: The functions of migration 0012, with their argument types (for GRANT/DROP).
FUNCTIONS = ("wb_trail_head()", "wb_append_trail(json)", "wb_log_auth_event(text, text, text)")

#: The access-log events the workbench writes (access/auth.py, access/logins.py, store.py); nothing else is accepted.
EVENTS = ("login", "login_refused", "write_refused", "account_created", "account_deactivated",
          "account_unlocked", "password_changed")

#: Who the session is: the person behind ``session_user``, their role and site (NULL for the owner).
_ME = """
  SELECT l.user_name, a.role, a.site_id INTO me, my_role, my_site
    FROM db_logins l LEFT JOIN user_accounts a ON a.id = l.user_name WHERE l.role_name = session_user;
  owner := session_user = current_user
           OR coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false);
  IF me IS NULL AND NOT owner THEN
    RAISE EXCEPTION 'database role % is no workbench account: it may not write the %', session_user, what
      USING ERRCODE = 'insufficient_privilege';
  END IF;"""

#: ISO 8601 in UTC as Python's ``isoformat(timespec="microseconds")`` writes it (the trail's ``ts``).
_ISO_UTC = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
UTC_NOW = _ISO_UTC.format("clock_timestamp()")
#: The trail's time from 0013: the transaction's start, fixed until it ends (see the module docstring).
_TRANSACTION_TIME = _ISO_UTC.format("transaction_timestamp()")


def create_functions(conn: sa.Connection) -> None:
    """Migration 0012 (the owner's connection): the three functions; EXECUTE granted by apply_privileges."""
    run_ddl(conn, """
CREATE FUNCTION wb_trail_head() RETURNS TABLE (seq integer, hash varchar)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT h.seq, h.hash FROM audit_head h WHERE h.id = 1 FOR UPDATE
$$""")
    run_ddl(conn, _append_trail_sql("CREATE", "e.ts"))
    run_ddl(conn, log_auth_event_sql("CREATE", PLAIN_INSERT))
    for fn in FUNCTIONS:
        conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")


#: How an access-log function appends its event: 0012's plain insert, or from 0018 through the
#: server's chain (``trail/pg_access_chain.py``). Placeholders: the event's four values as SQL.
PLAIN_INSERT = "INSERT INTO auth_events (ts, user_name, event, detail) VALUES ({ts}, {user}, {event}, {detail})"
CHAINED_APPEND = "PERFORM wb_append_auth_event({ts}, {user}, {event}, {detail})"


def log_auth_event_sql(verb: str, append: str) -> str:
    """``wb_log_auth_event``, appending with ``append`` (:data:`PLAIN_INSERT` or :data:`CHAINED_APPEND`)."""
    events = ", ".join(f"'{e}'" for e in EVENTS)
    insert = append.format(ts=UTC_NOW, user="left(p_user, 80)", event="p_event", detail="p_detail")
    return f"""
{verb} FUNCTION wb_log_auth_event(p_user text, p_event text, p_detail text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  what text := 'access log'; me text; my_role text; my_site text; owner boolean; target text; target_site text;
BEGIN{_ME}
  IF p_event IS NULL OR p_event NOT IN ({events}) THEN
    RAISE EXCEPTION 'access-log event % is not one the workbench writes', p_event;
  END IF;
  IF NOT owner THEN
    IF p_user IS DISTINCT FROM me THEN
      RAISE EXCEPTION 'database role % logs its own events (as %), not %''s', session_user, me, p_user
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_event = 'account_unlocked' THEN
      target := split_part(coalesce(p_detail, ''), ': ', 1);
      SELECT a.site_id INTO target_site FROM user_accounts a WHERE a.id = target;
      IF my_role IS DISTINCT FROM 'investigator' OR NOT FOUND
         OR (my_site IS NOT NULL AND target_site IS DISTINCT FROM my_site) THEN
        RAISE EXCEPTION 'only an investigator unlocks an account (a site investigator: of their site): % may not unlock %',
          me, target USING ERRCODE = 'insufficient_privilege';
      END IF;
    END IF;
  END IF;
  IF p_event = 'account_unlocked' THEN  -- lift the server's lock (access/pg_logins.py), never a deactivation
    SELECT l.role_name INTO target FROM db_logins l JOIN user_accounts a ON a.id = l.user_name
     WHERE l.user_name = split_part(coalesce(p_detail, ''), ': ', 1) AND a.active;
    IF target IS NOT NULL THEN
      EXECUTE format('ALTER ROLE %I LOGIN', target);
    END IF;
  END IF;
  {insert};
END $$"""


def _append_trail_sql(verb: str, ts: str) -> str:
    """``wb_append_trail``: 0012's stores the client's ``e.ts``, 0013's the server's transaction time."""
    return f"""
{verb} FUNCTION wb_append_trail(p_entries json) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  what text := 'audit trail'; me text; my_role text; my_site text; owner boolean;
  head_seq integer; prev text; n integer := 0; e record;
BEGIN{_ME}
  SELECT h.seq, h.hash INTO head_seq, prev FROM audit_head h WHERE h.id = 1 FOR UPDATE;
  FOR e IN SELECT * FROM json_to_recordset(p_entries) AS x(
      seq integer, ts text, user_name text, role text, action text, entity text, entity_id text, field text,
      old_value text, new_value text, reason text, prev_hash text, hash text, signature text) LOOP
    IF NOT owner AND (e.user_name IS DISTINCT FROM me OR e.role IS DISTINCT FROM my_role) THEN
      RAISE EXCEPTION 'trail entry #% names % (%), but database role % is % (%): an entry is its author''s own',
        e.seq, e.user_name, e.role, session_user, me, my_role USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF e.seq IS DISTINCT FROM head_seq + n + 1 OR e.prev_hash IS DISTINCT FROM prev THEN
      RAISE EXCEPTION 'trail entry #% does not follow entry #% (the head): entries are appended in order',
        e.seq, head_seq + n;
    END IF;
    INSERT INTO audit_log (seq, ts, user_name, role, action, entity, entity_id, field, old_value, new_value,
                           reason, prev_hash, hash, signature)
    VALUES (e.seq, {ts}, e.user_name, e.role, e.action, e.entity, e.entity_id, e.field, e.old_value,
            e.new_value, e.reason, e.prev_hash, e.hash, e.signature);
    prev := e.hash;
    n := n + 1;
  END LOOP;
  IF n > 0 THEN
    UPDATE audit_head SET seq = head_seq + n, hash = prev WHERE id = 1;
    -- Which transaction and role wrote these entries: db_change_log has the same txid (pg_crosscheck.py).
    INSERT INTO trail_txids (txid, db_user, first_seq, last_seq) VALUES (txid_current(), session_user, head_seq + 1, head_seq + n)
    ON CONFLICT (txid) DO UPDATE SET last_seq = excluded.last_seq;
  END IF;
  RETURN n;
END $$"""


def stamp_server_time(conn: sa.Connection) -> None:
    """Migration 0013: ``wb_append_trail`` records the server's transaction time (same signature: grants kept)."""
    run_ddl(conn, _append_trail_sql("CREATE OR REPLACE", _TRANSACTION_TIME))


def stamp_client_time(conn: sa.Connection) -> None:
    """Migration 0013 downgraded: back to 0012's function, which records the client's ``ts``."""
    run_ddl(conn, _append_trail_sql("CREATE OR REPLACE", "e.ts"))


def drop_functions(conn: sa.Connection) -> None:
    for fn in FUNCTIONS:
        conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {fn}")


def installed(conn: sa.Connection, *, cached: bool = True) -> bool:
    """Whether this is PostgreSQL with the functions of migration 0012 (then they are the only way in).

    ``cached=False`` asks the database again (migrations change the answer on the same connection).
    """
    if conn.dialect.name != "postgresql":
        return False
    if not cached:
        conn.connection.info.pop("wb_definer", None)
    # Asked once per database connection (it lives in the pool), not once per write transaction.
    # A schema changed under a pooled connection needs engine.dispose(), as after any migration.
    info = conn.connection.info
    if "wb_definer" not in info:
        info["wb_definer"] = bool(conn.exec_driver_sql(
            "SELECT to_regprocedure('wb_append_trail(json)') IS NOT NULL").scalar())
    return info["wb_definer"]


def lock_head(conn: sa.Connection):
    """The chain head (``seq``, ``hash``), locked until the transaction ends, and ``ts``: the server's
    transaction time, which ``wb_append_trail`` records from 0013 (the entries are hashed with it)."""
    return conn.exec_driver_sql(f"SELECT seq, hash, {_TRANSACTION_TIME} AS ts FROM wb_trail_head()").one()


def append_entries(conn: sa.Connection, rows: list[dict]) -> int:
    """Append a transaction's entries (dicts of audit_log's columns) and move the head."""
    return conn.execute(sa.text("SELECT wb_append_trail(CAST(:e AS json))"),
                        {"e": json.dumps(rows, ensure_ascii=False)}).scalar_one()


def log_auth_event(conn: sa.Connection, user_name: str, event: str, detail: str | None) -> None:
    conn.execute(sa.text("SELECT wb_log_auth_event(:u, :e, :d)"), {"u": str(user_name), "e": event, "d": detail})
