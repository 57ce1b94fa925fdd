"""The access log's keyed chain, and credentials checked against the signed trail (issue 24, item 3).

Access log. On SQLite nothing but file permissions stands between a user and
the database file, and the access log (``auth_events``: logins, refused logins
and writes, account events, unlocks) is what the lockout counts wrong passwords
from: deleting refusals would lift a lock, inserting a login would place
someone at the keyboard who was not. So the log is chained like the trail:
each event's ``hash`` is HMAC-SHA-256 under the audit key (RFC 2104) of the
previous event's hash and the event's canonical JSON, and ``audit_head``
keeps the chain's end (``auth_seq``, ``auth_hash``), so events changed,
inserted, removed or cut from the end are named by ``audit verify``. Events
are not signed: a refused login has no author who could sign; the key holds
them. Events logged before migration 0017 (below ``auth_from``) are legacy;
an event logged without the key (its file missing) is stored unchained and
named. On PostgreSQL only the owner's definer functions may append to the log
and no workbench role may change it (migration 0012); from 0018 the server
chains it itself (``pg_access_chain.py``), against the owner's psql.

Credentials. A password hash swapped with sqlite3 cannot log in: the password
no longer reproduces the signing key the trail registered for the account
(``Store._signing_key``). Each key registration also records the SHA-256 of
the credentials row's hash it was registered with, so ``audit verify`` names
a changed hash before anyone tries it. Registrations from before 0017 carry
none and are not checked. On PostgreSQL passwords are the server's own login
roles, outside the tables.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import sqlalchemy as sa

from ..storage.tables import audit_head, auth_events, credentials
from .findings import AuditFinding
from .signing import KEY_ACTION, KEY_ENTITY, parse_registration

GENESIS = "0" * 64
#: The columns of an access-log event its hash covers.
CHAINED = ("id", "ts", "user_name", "event", "detail")
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def event_hash(key: bytes, prev_hash: str, event: dict[str, Any]) -> str:
    """HMAC-SHA-256(key, previous hash + canonical JSON of the event's chained columns)."""
    text = prev_hash + _canonical({k: event[k] for k in CHAINED})
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def chained_schema(conn: sa.Connection) -> bool:
    """Whether the database has the access log's chain (migration 0017)."""
    return any(c["name"] == "hash" for c in sa.inspect(conn).get_columns("auth_events"))


def append_event(conn: sa.Connection, key: bytes | None, event: dict[str, Any]) -> None:
    """Insert one access-log event on SQLite, chained when ``key`` is known.

    The caller's transaction must hold the write lock (``BEGIN IMMEDIATE``) so
    that the head read here is still the head when the event is inserted.
    """
    if not chained_schema(conn):  # a database mid-upgrade: log as before 0017
        conn.execute(auth_events.insert(), [event])
        return
    next_id = conn.execute(sa.select(sa.func.coalesce(sa.func.max(auth_events.c.id), 0) + 1)).scalar_one()
    row = dict(event, id=next_id, hash=None)
    head = conn.execute(sa.select(audit_head.c.auth_seq, audit_head.c.auth_hash).where(audit_head.c.id == 1)).one()
    if key is not None and _key_continues_chain(conn, key, head):
        row["hash"] = event_hash(key, head.auth_hash, row)
    conn.execute(auth_events.insert(), [row])
    if row["hash"] is not None:
        conn.execute(audit_head.update().where(audit_head.c.id == 1).values(auth_seq=next_id, auth_hash=row["hash"]))


def _key_continues_chain(conn: sa.Connection, key: bytes, head) -> bool:
    """Whether ``key`` reproduces the chain's last event (always, for an empty chain).

    Another study's key (a process pointed at the wrong workspace) must not
    move the head: the event is logged unchained instead, and verify names it.
    A chain broken behind the store's back is left for verify to name too.
    """
    if not head.auth_seq:
        return True
    cols = [auth_events.c[k] for k in (*CHAINED, "hash")]
    last_two = conn.execute(sa.select(*cols).where(auth_events.c.id <= head.auth_seq, auth_events.c.hash.is_not(None))
                            .order_by(auth_events.c.id.desc()).limit(2)).mappings().all()
    if not last_two or last_two[0]["id"] != head.auth_seq or last_two[0]["hash"] != head.auth_hash:
        return True  # head and log disagree: not the key's fault, and verify names it
    prev = last_two[1]["hash"] if len(last_two) > 1 else GENESIS
    return hmac.compare_digest(event_hash(key, prev, last_two[0]), last_two[0]["hash"])


def check_access_log(conn: sa.Connection, key: bytes) -> tuple[list[AuditFinding], int]:
    """Findings on SQLite's access log chain, and how many events it holds from the boundary on."""
    if conn.dialect.name != "sqlite" or not chained_schema(conn):
        return [], 0
    return check_chain(conn, lambda prev, row: event_hash(key, prev, row), ids_contiguous=True,
                       unchained="logged without the audit key, or inserted behind the workbench's back")


def check_chain(conn: sa.Connection, hash_of, *, ids_contiguous: bool,
                unchained: str) -> tuple[list[AuditFinding], int]:
    """Walk the access log's chain from ``audit_head.auth_from``: findings, and how many events it holds.

    ``hash_of(prev_hash, event)``: SQLite's keyed hash or PostgreSQL's server hash (``pg_access_chain``).
    ``ids_contiguous``: SQLite numbers events max + 1, so a gap is a deletion; a PostgreSQL sequence
    skips numbers on rollback, where the chain alone names a deletion. ``unchained``: why an event
    without a hash is there.
    """
    head = conn.execute(sa.select(audit_head.c.auth_from, audit_head.c.auth_seq, audit_head.c.auth_hash)
                        .where(audit_head.c.id == 1)).one()
    rows = conn.execute(sa.select(*(auth_events.c[k] for k in (*CHAINED, "hash")))
                        .order_by(auth_events.c.id)).mappings().all()
    findings: list[AuditFinding] = []
    prev_hash, prev_id, last_chained = GENESIS, head.auth_from - 1, (0, GENESIS)
    n = 0
    for row in rows:
        where = f"access log event #{row['id']} ({row['event']} by {row['user_name']} at {row['ts']})"
        if row["id"] < head.auth_from:
            if row["hash"] is not None:
                findings.append(AuditFinding(None, f"{where} is chained but lies below the chain's start "
                                                   f"(#{head.auth_from}): the access log's boundary was moved"))
            continue
        n += 1
        if ids_contiguous and row["id"] != prev_id + 1:
            findings.append(AuditFinding(None, f"access log events #{prev_id + 1}-#{row['id'] - 1} are missing "
                                               "(deleted behind the workbench's back)"))
        prev_id = row["id"]
        if row["hash"] is None:
            findings.append(AuditFinding(None, f"{where} is not chained ({unchained})"))
            continue
        if not hmac.compare_digest(hash_of(prev_hash, row), row["hash"]):
            findings.append(AuditFinding(None, f"{where} does not match the access log's chain (changed or "
                                               "inserted behind the workbench's back, or an event before it "
                                               "was removed)"))
        prev_hash, last_chained = row["hash"], (row["id"], row["hash"])
    if last_chained != (head.auth_seq, head.auth_hash):
        findings.append(AuditFinding(None, f"the access log's chain ends at event #{last_chained[0]} but its head "
                                           f"says #{head.auth_seq}: events were removed from its end or the head "
                                           "was changed behind the workbench's back"))
    return findings, n


def credential_digest(password_hash: str) -> str:
    """What a key registration records of the credentials row: SHA-256 of its argon2 hash text."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()


def check_credentials(conn: sa.Connection, entries, signed_from: int) -> list[AuditFinding]:
    """Findings on SQLite's credentials: a password hash other than the one its key was registered with."""
    if conn.dialect.name != "sqlite":
        return []
    registered: dict[str, tuple[int, dict | None]] = {}
    for e in entries:
        if e.entity == KEY_ENTITY and e.action == KEY_ACTION and e.seq >= signed_from:
            registered[e.entity_id] = (e.seq, parse_registration(e.new_value))
    findings = []
    for name, password_hash in conn.execute(sa.select(credentials.c.user_name, credentials.c.password_hash)):
        seq, reg = registered.get(name, (None, None))
        if reg is None or "credential" not in reg:
            continue  # no key yet, or registered before 0017: the login's key check still holds
        if not hmac.compare_digest(reg["credential"], credential_digest(password_hash)):
            findings.append(AuditFinding(seq, f"credentials/{name}: the password hash is not the one entry "
                                              f"#{seq} registered with the account's signing key (changed behind "
                                              "the workbench's back; the account's own password no longer logs "
                                              "in, and whoever set it cannot sign as them)"))
    return findings
