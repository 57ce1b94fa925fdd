"""The audit trail: append-only, chained by HMAC-SHA-256 with a key kept outside the database, replayable.

Every create, update and delete of a clinical record appends one entry per
field changed (one per record deleted) with the user, role, UTC time, entity,
field, old and new value and the reason, as 21 CFR 11.10(e) asks of an audit
trail ("secure, computer-generated, time-stamped ... record the date and time
of operator entries and actions that create, modify, or delete electronic
records"). Each entry's hash is ``HMAC-SHA-256(key, previous hash + canonical
JSON of the entry)`` (RFC 2104), so changing, removing or reordering any entry
breaks every later link, and, unlike a plain hash chain, nobody without the
key (``workbench.records.keys``: a file outside the database) can recompute the
chain after rewriting history. Anchors (``workbench.records.anchors``) kept
outside the database catch the remaining attack: a whole older copy restored.

:func:`verify_trail` checks the chain and then replays it into the row states
it implies and compares them with the tables: an ``UPDATE`` run directly on
the database changes a table without a matching entry and is reported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from ._base import TableRecord, User
from ._fields import canonical_json, plain_from_db
from .tables import BY_TABLE, TABLES, audit_head, audit_log, db_change_log

GENESIS = "0" * 64
#: Audit columns hashed, in this order of meaning (the JSON is key-sorted anyway).
HASHED = ("seq", "ts", "user_name", "role", "action", "entity", "entity_id", "field", "old_value",
          "new_value", "reason", "prev_hash")


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    """One line of the trail. ``old_value``/``new_value`` are canonical JSON texts."""

    seq: int
    ts: str
    user_name: str
    role: str
    action: str
    entity: str
    entity_id: str
    field: str | None
    old_value: str | None
    new_value: str | None
    reason: str | None
    prev_hash: str
    hash: str = ""

    def compute_hash(self, key: bytes) -> str:
        """HMAC-SHA-256 of the previous hash and this entry's canonical JSON under ``key``."""
        payload = canonical_json({k: getattr(self, k) for k in HASHED})
        return hmac.new(key, (self.prev_hash + payload).encode("utf-8"), hashlib.sha256).hexdigest()

    def describe(self) -> str:
        where = f"{self.entity}/{self.entity_id}" + (f".{self.field}" if self.field else "")
        return f"entry #{self.seq} ({self.action} {where} by {self.user_name} at {self.ts})"


class AuditWriter:
    """Chains and writes the entries of one write transaction.

    Construction locks the chain head (``SELECT ... FOR UPDATE`` on PostgreSQL;
    on SQLite the transaction already holds the write lock from ``BEGIN
    IMMEDIATE``), so concurrent writers append one after the other.
    """

    def __init__(self, conn: sa.Connection, user: User, key: bytes) -> None:
        head = conn.execute(sa.select(audit_head).where(audit_head.c.id == 1).with_for_update()).one()
        self._conn = conn
        self._user = user
        self._key = key
        self._seq = head.seq
        self._hash = head.hash
        # One timestamp per transaction: all its entries happened together.
        self._ts = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        self._entries: list[dict[str, Any]] = []

    def _append(self, action: str, entity: str, entity_id: str, field: str | None, old: Any, new: Any,
                reason: str | None, *, has_old: bool = True, has_new: bool = True) -> None:
        self._seq += 1
        entry = AuditEntry(
            seq=self._seq, ts=self._ts, user_name=self._user.name, role=self._user.role, action=action,
            entity=entity, entity_id=entity_id, field=field,
            old_value=canonical_json(old) if has_old else None,
            new_value=canonical_json(new) if has_new else None,
            reason=reason, prev_hash=self._hash,
        )
        self._hash = entry.compute_hash(self._key)
        # A plain dict per row: dataclasses.asdict deep-copies and cost 45% of an insert (profiled).
        row = {k: getattr(entry, k) for k in HASHED}
        row["hash"] = self._hash
        self._entries.append(row)

    def created(self, record: TableRecord) -> None:
        for field, value in record.to_plain().items():
            if field != "id":
                self._append("create", record.TABLE, record.id, field, None, value, None, has_old=False)

    def updated(self, record: TableRecord, old: dict[str, Any], new: dict[str, Any], reason: str) -> None:
        for field in new:
            if old.get(field) != new[field]:
                self._append("update", record.TABLE, record.id, field, old.get(field), new[field], reason)

    def deleted(self, record: TableRecord, reason: str) -> None:
        self._append("delete", record.TABLE, record.id, None, record.to_plain(), None, reason, has_new=False)

    def flush(self) -> int:
        """Insert the collected entries and move the head; return how many were written."""
        if self._entries:
            self._conn.execute(audit_log.insert(), self._entries)
            self._conn.execute(
                audit_head.update().where(audit_head.c.id == 1).values(seq=self._seq, hash=self._hash)
            )
        n, self._entries = len(self._entries), []
        return n


@dataclasses.dataclass(frozen=True)
class AuditFinding:
    """One inconsistency: the entry it concerns (if any) and what is wrong."""

    seq: int | None
    message: str

    def __str__(self) -> str:
        return (f"entry #{self.seq}: " if self.seq is not None else "") + self.message


@dataclasses.dataclass(frozen=True)
class AuditReport:
    """Result of :func:`verify_trail`."""

    n_entries: int
    n_rows: int
    findings: tuple[AuditFinding, ...]
    #: Tables whose rows this user may not read (the allocation sequence, for all but the
    #: allocation roles on PostgreSQL): their trail entries are checked, their rows not replayed.
    unread: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_broken(self) -> AuditFinding | None:
        """The finding with the lowest entry number (rows without any entry come last)."""
        if not self.findings:
            return None
        return min(self.findings, key=lambda f: (f.seq is None, f.seq or 0))

    def summary(self) -> str:
        if self.ok:
            note = f" ({', '.join(self.unread)} not replayed: not readable by this role)" if self.unread else ""
            return f"audit trail intact: {self.n_entries} entries, {self.n_rows} rows match the trail{note}"
        lines = [f"audit trail BROKEN: {len(self.findings)} problem(s); first broken: {self.first_broken}"]
        lines += [f"  - {f}" for f in self.findings[:50]]
        if len(self.findings) > 50:
            lines.append(f"  ... and {len(self.findings) - 50} more")
        return "\n".join(lines)


def read_entries(conn: sa.Connection, entity: tuple[str, str] | None = None) -> list[AuditEntry]:
    """Entries in order; only those of one ``(table, id)`` when ``entity`` is given."""
    query = sa.select(audit_log).order_by(audit_log.c.seq)
    if entity is not None:
        query = query.where(audit_log.c.entity == entity[0], audit_log.c.entity_id == entity[1])
    rows = conn.execute(query).mappings()
    return [AuditEntry(**row) for row in rows]


def verify_trail(conn: sa.Connection, key: bytes, anchors=()) -> AuditReport:
    """Check the keyed chain and every anchor, then replay the trail and compare with every audited table."""
    entries = read_entries(conn)
    findings = _check_chain(conn, entries, key)
    findings += [AuditFinding(a.seq, problem) for a in anchors if (problem := a.disagreement(entries))]
    expected, last_seq = _replay(entries, findings)
    n_rows = 0
    unread = _unreadable(conn)
    for name in unread:
        for key in [k for k in expected if k[0] == name]:
            del expected[key]
    for name, table in TABLES.items():
        if name in unread:
            continue
        rt = BY_TABLE[name]
        specs = dict(rt.specs())
        for row in conn.execute(sa.select(table)).mappings():
            n_rows += 1
            key = (name, row["id"])
            want = expected.pop(key, None)
            if want is None:
                findings.append(AuditFinding(None, f"{name}/{row['id']}: row has no audit trail "
                                                   "(written behind the workbench's back)" + _db_note(conn, key)))
                continue
            for field, sp in specs.items():
                if field == "id":
                    continue
                have = plain_from_db(row[field], sp)
                if have != want.get(field):
                    seq = last_seq.get((name, row["id"], field))
                    findings.append(AuditFinding(
                        seq, f"{name}/{row['id']}.{field} is {have!r} in the table but the trail says "
                             f"{want.get(field)!r} (changed behind the workbench's back)" + _db_note(conn, key)))
    for (name, rid), _ in expected.items():
        seq = max((s for (t, i, _f), s in last_seq.items() if (t, i) == (name, rid)), default=None)
        findings.append(AuditFinding(seq, f"{name}/{rid}: row is missing from the table but the trail "
                                          "never deleted it" + _db_note(conn, (name, rid))))
    return AuditReport(len(entries), n_rows, tuple(findings), unread)


def _unreadable(conn: sa.Connection) -> tuple[str, ...]:
    """Audited tables the connected PostgreSQL role has no SELECT on (none on SQLite)."""
    if conn.dialect.name != "postgresql":
        return ()
    return tuple(name for name in TABLES
                 if not conn.execute(sa.text("SELECT has_table_privilege(:t, 'SELECT')"), {"t": name}).scalar())


def _db_note(conn: sa.Connection, key: tuple[str, str]) -> str:
    """Who last changed the row, as PostgreSQL's change trigger recorded it ('' on SQLite)."""
    if conn.dialect.name != "postgresql":
        return ""
    row = conn.execute(sa.select(db_change_log.c.operation, db_change_log.c.db_user, db_change_log.c.changed_at)
                       .where(db_change_log.c.table_name == key[0], db_change_log.c.row_id == key[1])
                       .order_by(db_change_log.c.id.desc()).limit(1)).first()
    if row is None:
        return ""
    return f"; the database recorded {row.operation} by role {row.db_user} at {row.changed_at}"


def _check_chain(conn: sa.Connection, entries: list[AuditEntry], key: bytes) -> list[AuditFinding]:
    findings = []
    prev_hash, prev_seq = GENESIS, 0
    for e in entries:
        if e.seq != prev_seq + 1:
            findings.append(AuditFinding(e.seq, f"follows entry #{prev_seq}: entries are missing"))
        if e.prev_hash != prev_hash:
            findings.append(AuditFinding(e.seq, "does not link to the entry before it (prev_hash differs)"))
        if not hmac.compare_digest(e.compute_hash(key), e.hash):
            findings.append(AuditFinding(e.seq, f"content was altered: {e.describe()} no longer matches its keyed "
                                                "hash (or the trail was written with another audit key)"))
        prev_hash, prev_seq = e.hash, e.seq
    head = conn.execute(sa.select(audit_head).where(audit_head.c.id == 1)).one_or_none()
    if head is None or head.seq != prev_seq or head.hash != prev_hash:
        seq = head.seq if head is not None else None
        findings.append(AuditFinding(seq, f"chain head says entry #{seq} but the trail ends at #{prev_seq}: "
                                          "entries were removed or the head was altered"))
    return findings


def _replay(entries: list[AuditEntry], findings: list[AuditFinding]):
    """Row states implied by the trail, and the last entry that set each field."""
    state: dict[tuple[str, str], dict[str, Any]] = {}
    last_seq: dict[tuple[str, str, str], int] = {}
    for e in entries:
        key = (e.entity, e.entity_id)
        try:
            new = json.loads(e.new_value) if e.new_value is not None else None
        except ValueError:
            findings.append(AuditFinding(e.seq, "new value is not valid JSON"))
            continue
        if e.action == "delete":
            state.pop(key, None)
            for k in [k for k in last_seq if k[:2] == key]:
                del last_seq[k]
            continue
        state.setdefault(key, {})[e.field] = new
        last_seq[(e.entity, e.entity_id, e.field)] = e.seq
    return state, last_seq
