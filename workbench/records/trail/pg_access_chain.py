"""PostgreSQL's access log, chained by the server itself (issue 24, item 3; migration 0018).

From 0012 only the owner's SECURITY DEFINER functions append to
``auth_events`` and no workbench role may change it; but the owner, or any
superuser, can still edit it with psql: delete the refusals that lock an
account, turn a refusal into a login, insert a login for someone who was not
there. On SQLite the log is chained under the audit key
(``access_chain.py``); here every writer's client would hold that key, so the
server chains instead: ``wb_append_auth_event``, called only from inside the
two logging functions (``wb_log_auth_event``, ``wb_log_refused_login``),
locks the head row (``audit_head``: ``auth_seq``, ``auth_hash``), stores
SHA-256 (FIPS 180-4) of the previous event's hash and the event's fields,
and moves the head.

What it holds against. The chain has no key, because anything the server
could use, its owner can read. An event edited, inserted or deleted with
plain SQL, or a head moved by hand, is named by ``audit verify``. An owner
who recomputes the chain after editing it is caught by an anchor filed
earlier (``audit anchor`` records the access log's head too,
``anchors.py``): every event before that anchor is fixed by it. Ids come from
a sequence, which skips numbers on rollback, so gaps are not findings here;
a deleted event breaks the chain.

The encoding is the same on both sides and unambiguous: each field as
``<characters>:<text>;``, a NULL as ``N;``, in :data:`CHAINED` order.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from ..storage.engine import run_ddl
from .access_chain import CHAINED, GENESIS, check_chain
from .findings import AuditFinding

#: The internal function 0018 adds: called by the logging functions only, EXECUTE granted to nobody.
APPEND_FUNCTION = "wb_append_auth_event(text, text, text, text)"


def field_text(value) -> str:
    """One field as the server encodes it (:func:`server_event_hash`)."""
    if value is None:
        return "N;"
    text = str(value)
    return f"{len(text)}:{text};"


def server_event_hash(prev_hash: str, event) -> str:
    """SHA-256 (hex) of the previous hash and the event's :data:`CHAINED` fields, as ``wb_append_auth_event``."""
    text = prev_hash + "".join(field_text(event[k]) for k in CHAINED)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- migration 0018 (the owner's connection) -----------------------------------------------------------
def install(conn: sa.Connection) -> None:
    """The chaining function and the chain's start; the migration then rewrites the two logging
    functions to append through it (their SQL lives with them: pg_definer, access/pg_logins)."""
    run_ddl(conn, """
CREATE FUNCTION wb_access_field(v text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = public, pg_temp AS $$
  SELECT CASE WHEN v IS NULL THEN 'N;' ELSE length(v)::text || ':' || v || ';' END
$$""")
    run_ddl(conn, """
CREATE FUNCTION wb_append_auth_event(p_ts text, p_user text, p_event text, p_detail text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE prev text; new_id integer; digest text;
BEGIN
  -- The head row's lock orders appenders (and trail writers, who lock the same row): one chain.
  SELECT h.auth_hash INTO prev FROM audit_head h WHERE h.id = 1 FOR UPDATE;
  new_id := nextval(pg_get_serial_sequence('auth_events', 'id'));
  digest := encode(sha256(convert_to(prev || wb_access_field(new_id::text) || wb_access_field(p_ts)
                                     || wb_access_field(p_user) || wb_access_field(p_event)
                                     || wb_access_field(p_detail), 'UTF8')), 'hex');
  INSERT INTO auth_events (id, ts, user_name, event, detail, hash)
  VALUES (new_id, p_ts, p_user, p_event, p_detail, digest);
  UPDATE audit_head SET auth_seq = new_id, auth_hash = digest WHERE id = 1;
END $$""")
    for fn in ("wb_access_field(text)", APPEND_FUNCTION):
        conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
    # Events logged so far are unchained: the chain starts after them (as 0017 did on SQLite).
    conn.exec_driver_sql(f"UPDATE audit_head SET auth_from = (SELECT coalesce(max(id), 0) + 1 FROM auth_events), "
                         f"auth_seq = 0, auth_hash = '{GENESIS}' WHERE id = 1")


def uninstall(conn: sa.Connection) -> None:
    """Downgrade of 0018, after the logging functions insert plainly again: the chaining functions dropped,
    and the chain too (the events become what they were before 0018, so an upgrade starts a new chain)."""
    conn.exec_driver_sql("UPDATE auth_events SET hash = NULL WHERE hash IS NOT NULL")
    conn.exec_driver_sql(f"UPDATE audit_head SET auth_seq = 0, auth_hash = '{GENESIS}' WHERE id = 1")
    conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {APPEND_FUNCTION}")
    conn.exec_driver_sql("DROP FUNCTION IF EXISTS wb_access_field(text)")


def chained_by_server(conn: sa.Connection) -> bool:
    """Whether this is PostgreSQL with the server's access-log chain (migration 0018)."""
    if conn.dialect.name != "postgresql":
        return False
    return bool(conn.exec_driver_sql(f"SELECT to_regprocedure('{APPEND_FUNCTION}') IS NOT NULL").scalar())


# -- audit verify ----------------------------------------------------------------------------------------
def check_server_access_log(conn: sa.Connection) -> tuple[list[AuditFinding], int | None]:
    """Findings on PostgreSQL's chained access log, and how many events it holds from the chain's start.

    ``None`` events: this role may not read the log (the allocator, whose verify covers the
    sequences instead; pg_roles grants the log to the investigator, monitor, data manager and sponsor).
    """
    if not chained_by_server(conn):
        return [], 0
    if not conn.exec_driver_sql("SELECT has_table_privilege('auth_events', 'SELECT')").scalar():
        return [], None
    return check_chain(conn, server_event_hash, ids_contiguous=False,
                       unchained="inserted with SQL, not by the server's logging function")
