"""The audit trail: append-only, chained by HMAC-SHA-256 with a key kept outside the database, replayable.

Every create, update and delete of a clinical record appends one entry per
field changed (one per record deleted) with the user, role, UTC time, entity,
field, old and new value and the reason, as 21 CFR 11.10(e) asks of an audit
trail ("secure, computer-generated, time-stamped ... record the date and time
of operator entries and actions that create, modify, or delete electronic
records"). Each entry's hash is ``HMAC-SHA-256(key, previous hash + canonical
JSON of the entry)`` (RFC 2104), so changing, removing or reordering any entry
breaks every later link, and, unlike a plain hash chain, nobody without the
key (``workbench.records.trail.keys``: a file outside the database) can recompute the
chain after rewriting history. Anchors (``workbench.records.trail.anchors``) kept
outside the database catch the remaining attack: a whole older copy restored.

Machine-made records (issue 20). Record types marked ``TRAIL_PER_ROW``
(safety events, trials, run metrics, re-analysis results: written by the
closed loop or a re-analysis, never typed by a person) get one entry per
created row instead of one per field: action ``create``, no field, and the
canonical JSON of every field but the id as the new value. It is chained and
signed exactly like any other entry, and the replay expands it into the
row's fields, so a column changed behind the store's back is still named by
field. A safety event costs one HMAC instead of nine, which is what lets the
closed loop save 1,000 decisions a second as they come. Changes made later
(an update with its reason, a delete) stay per field, as for every record;
trails written per field before keep verifying as they are.

Authorship (issue 24). The keyed chain alone cannot say *who* wrote an entry:
every writer holds the key, so a writer with raw database access could chain
entries under another person's name. So every transaction is also signed by
its author: each account has an Ed25519 key pair whose private half is derived
at login from the account's password with argon2id and a per-key salt, never
stored (``workbench.records.trail.signing``); its public half and salt are
registered in the trail by an entry ``key signing_keys/NAME`` in a transaction
signed by an investigator (account creation) or by the account itself with its
previous key (password change). The last entry of each transaction carries the
author's signature over its chain hash, which covers every entry of the
transaction through the chain (one signature of ~40 us per transaction rather
than per entry). :func:`check_signatures` groups the entries into
transactions and names every entry not covered by a valid signature of its own
user, one whose role is not the one the trail gave the account, and a key
registered by someone other than the account or an investigator. Entries
written before migration 0011 carry no signature: they are counted as unsigned
legacy (``audit_head.signed_from``), still checked by the chain and the
replay, and a signed entry below that boundary shows the boundary was moved.
A login whose password does not reproduce the registered public key is
refused: credentials changed outside the workbench (a hash swapped with
sqlite3) no longer let another person's password in.

:func:`verify_trail` checks the chain and then replays it into the row states
it implies and compares them with the tables: an ``UPDATE`` run directly on
the database changes a table without a matching entry and is reported. On
SQLite it also checks the access log's own keyed chain and every stored
password hash against its key registration (``access_chain``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import operator
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from ...errors import WorkbenchError
from ..storage.rows import plain_values
from ..storage.tables import BY_TABLE, TABLES, audit_head, audit_log, auth_events, db_change_log
from ..types.base import TableRecord, User
from ..types.fields import canonical_json, plain_from_db
from . import pg_definer
from .access_chain import check_access_log, check_credentials
from .findings import AuditFinding, AuditReport
from .pg_access_chain import check_server_access_log
from .pg_crosscheck import cross_check
from .signing import KEY_ACTION, KEY_ENTITY, parse_registration, sign, signature_holds

GENESIS = "0" * 64
#: The action of an entry that records an investigator lifting an account's lockout (issue 24).
UNLOCK_ACTION = "unlock"
# canonical_json's exact output from one encoder made once: json.dumps with non-default
# options builds a new JSONEncoder on every call (a third of its cost per entry, profiled).
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
#: One text as canonical_json writes it (the encoder's own string quoting).
_quote = json.encoder.encode_basestring
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
    #: The author's Ed25519 signature over ``hash`` (last entry of a signed transaction), else None.
    signature: str | None = None

    def compute_hash(self, key: bytes) -> str:
        """HMAC-SHA-256 of the previous hash and this entry's canonical JSON under ``key``."""
        return _chain_hash(key, self.prev_hash, {k: getattr(self, k) for k in HASHED})

    def describe(self) -> str:
        where = f"{self.entity}/{self.entity_id}" + (f".{self.field}" if self.field else "")
        return f"entry #{self.seq} ({self.action} {where} by {self.user_name} at {self.ts})"


def _chain_hash(key: bytes, prev_hash: str, hashed: dict[str, Any]) -> str:
    """The one definition of an entry's hash: HMAC-SHA-256(key, previous hash + canonical JSON)."""
    return hmac.new(key, (prev_hash + _canonical(hashed)).encode("utf-8"), hashlib.sha256).hexdigest()


def per_row(rt: type) -> bool:
    """Whether creating a record of type ``rt`` is one trail entry per row (machine-made records)."""
    return bool(getattr(rt, "TRAIL_PER_ROW", False))


class AuditWriter:
    """Chains and writes the entries of one write transaction.

    Construction locks the chain head (``SELECT ... FOR UPDATE`` on PostgreSQL;
    on SQLite the transaction already holds the write lock from ``BEGIN
    IMMEDIATE``), so concurrent writers append one after the other.
    """

    def __init__(self, conn: sa.Connection, user: User, key: bytes, *, key_path=None, signer=None) -> None:
        # Named columns: migrations before 0011 write through this class too.
        self._definer = pg_definer.installed(conn)  # PostgreSQL 0012: only its definer functions write
        head = pg_definer.lock_head(conn) if self._definer else conn.execute(
            sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()).one()
        if head.seq:
            _require_matching_key(conn, head, key, key_path)
        self._conn = conn
        self._user = user
        self._key = key
        #: The author's Ed25519 private key: flush signs the transaction's last hash with it.
        self._signer = signer
        self._seq = head.seq
        self._hash = head.hash
        # One timestamp per transaction: all its entries happened together. Through the definer
        # functions it is the server's transaction time, which wb_append_trail records (0013).
        self._ts = head.ts if self._definer else datetime.now(timezone.utc).isoformat(timespec="microseconds")
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

    def created(self, record: TableRecord, reason: str | None = None) -> None:
        """Entries for one new record; ``reason`` when its creation changes something (a first stored policy)."""
        if per_row(type(record)):
            self.created_rows((record,))
            return
        for field, value in record.to_plain().items():
            if field != "id":
                self._append("create", record.TABLE, record.id, field, None, value, reason, has_old=False)

    def created_all(self, records) -> None:
        """Entries for a batch of new records, in order: per row or per field by record type."""
        rows: list[TableRecord] = []
        for rec in records:
            if per_row(type(rec)):
                rows.append(rec)
                continue
            if rows:
                self.created_rows(rows)
                rows = []
            self.created(rec)
        if rows:
            self.created_rows(rows)

    def created_rows(self, records) -> None:
        """One entry per record: the canonical JSON of all its fields but the id (``TRAIL_PER_ROW`` types).

        The same entry :meth:`_append` would make with ``field`` None, built without the
        dataclass round trip: this runs once per row of every machine-made batch.
        """
        user, role, ts = self._user.name, self._user.role, self._ts
        seq, prev, out = self._seq, self._hash, self._entries
        # The hashed text is canonical_json of the entry's HASHED columns, written out in their
        # sorted order with the per-transaction parts encoded once, and the HMAC keyed once
        # (copied per row): a third of a row's cost before (profiled). test_row_entries checks
        # it against AuditEntry.compute_hash, which the verifier uses.
        keyed = hmac.new(self._key, digestmod=hashlib.sha256)
        tail = f',"reason":null,"role":{_quote(role)},"seq":'
        after_seq = f',"ts":{_quote(ts)},"user_name":{_quote(user)}}}'
        for rec in records:
            seq += 1
            new_value = _canonical(plain_values(rec))
            payload = (f'{{"action":"create","entity":{_quote(rec.TABLE)},"entity_id":{_quote(rec.id)},'
                       f'"field":null,"new_value":{_quote(new_value)},"old_value":null,'
                       f'"prev_hash":{_quote(prev)}{tail}{seq}{after_seq}')
            h = keyed.copy()
            h.update((prev + payload).encode("utf-8"))
            row = {"seq": seq, "ts": ts, "user_name": user, "role": role, "action": "create",
                   "entity": rec.TABLE, "entity_id": rec.id, "field": None, "old_value": None,
                   "new_value": new_value, "reason": None, "prev_hash": prev}
            prev = row["hash"] = h.hexdigest()
            out.append(row)
        self._seq, self._hash = seq, prev

    def updated(self, record: TableRecord, old: dict[str, Any], new: dict[str, Any], reason: str) -> None:
        for field in new:
            if old.get(field) != new[field]:
                self._append("update", record.TABLE, record.id, field, old.get(field), new[field], reason)

    def deleted(self, record: TableRecord, reason: str) -> None:
        self._append("delete", record.TABLE, record.id, None, record.to_plain(), None, reason, has_new=False)

    def registered_key(self, name: str, registration: dict, previous: dict | None = None) -> None:
        """Register ``name``'s public key and salt in the trail (signing.py)."""
        self._append(KEY_ACTION, KEY_ENTITY, name, "public_key", previous, registration,
                     "signing key registered", has_old=previous is not None)

    def unlocked(self, name: str, wrong_passwords: int, reason: str) -> None:
        """An investigator lifted ``name``'s lockout: an entry of its own, signed like any (who, when, why).

        Field ``lockout`` on the account's record, which has no such column: the replay keeps it beside
        the row's fields and compares only the columns; site rules show it to those who see the account.
        """
        self._append(UNLOCK_ACTION, "user_accounts", name, "lockout", {"wrong_passwords": int(wrong_passwords)},
                     None, reason)

    def flush(self) -> int:
        """Insert the collected entries, signed by their author, and move the head; return how many."""
        if self._entries:
            if self._signer is not None:
                # One signature over the last hash covers every entry of the transaction (the chain
                # links them); ~40 us per transaction instead of per entry.
                for row in self._entries:
                    row["signature"] = None
                self._entries[-1]["signature"] = sign(self._signer, self._hash)
            if self._definer:
                pg_definer.append_entries(self._conn, self._entries)
            else:
                _insert_entries(self._conn, self._entries)
                self._conn.execute(
                    audit_head.update().where(audit_head.c.id == 1).values(seq=self._seq, hash=self._hash)
                )
        n, self._entries = len(self._entries), []
        return n


def _insert_entries(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """One ``executemany`` of a transaction's entries.

    On SQLite as tuples straight to the driver: audit_log's columns are texts and
    integers with no bind processing, and SQLAlchemy's per-row parameter compilation
    was a fifth of a machine-made row's cost (profiled, issue 20).
    """
    if conn.dialect.name != "sqlite":
        conn.execute(audit_log.insert(), rows)
        return
    cols = tuple(rows[0])  # every entry of a transaction has the same columns
    get = operator.itemgetter(*cols)
    conn.exec_driver_sql(f"INSERT INTO audit_log ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                         [get(r) for r in rows])


def _require_matching_key(conn: sa.Connection, head, key: bytes, key_path) -> None:
    """Refuse to extend a trail whose last entry this key does not reproduce (issue 24, item 5).

    A changed or replaced key file would otherwise go on chaining entries that
    no later verification can tell from forgeries. One entry's HMAC per write
    transaction (microseconds).
    """
    cols = [audit_log.c[k] for k in (*HASHED, "hash")]
    # The newest entry this role may read: on PostgreSQL site staff do not see other sites' entries (access/pg_roles.py).
    row = conn.execute(sa.select(*cols).where(audit_log.c.seq <= head.seq).order_by(audit_log.c.seq.desc())
                       .limit(1)).mappings().one_or_none()
    if row is None or (row["seq"] == head.seq and row["hash"] != head.hash):
        return  # head and trail disagree: verify names it; the key itself is not in question
    if not hmac.compare_digest(AuditEntry(**row).compute_hash(key), row["hash"]):
        where = f" at {key_path}" if key_path is not None else ""
        raise WorkbenchError(f"the audit key{where} is not the key this trail was written with (entry "
                             f"#{head.seq} does not match it); nothing written. Restore the original key file "
                             "from the trial master file backup")


def read_entries(conn: sa.Connection, entity: tuple[str, str] | None = None) -> list[AuditEntry]:
    """Entries in order; only those of one ``(table, id)`` when ``entity`` is given."""
    cols = [audit_log.c[k] for k in (*HASHED, "hash")]
    if signed_schema(conn):
        cols.append(audit_log.c.signature)
    query = sa.select(*cols).order_by(audit_log.c.seq)
    if entity is not None:
        query = query.where(audit_log.c.entity == entity[0], audit_log.c.entity_id == entity[1])
    rows = conn.execute(query).mappings()
    return [AuditEntry(**row) for row in rows]


def verify_trail(conn: sa.Connection, key: bytes, anchors=()) -> AuditReport:
    """Check the keyed chain and every anchor, then replay the trail and compare with every audited table."""
    entries = read_entries(conn)
    findings = _check_chain(conn, entries, key)
    if signed_schema(conn):
        signed_from = conn.execute(sa.select(audit_head.c.signed_from).where(audit_head.c.id == 1)).scalar() or 1
        findings += check_signatures(entries, signed_from)
    else:  # a database before 0011 (checked mid-migration): every entry is legacy
        signed_from = len(entries) + 1
    findings += [AuditFinding(a.seq, problem) for a in anchors if (problem := a.disagreement(entries))]
    findings += check_credentials(conn, entries, signed_from)  # SQLite: the next two
    access_findings, n_access = check_access_log(conn, key)
    findings += access_findings
    server_findings, n_server = check_server_access_log(conn)  # PostgreSQL from 0018: the server's chain
    findings += server_findings
    access_unread = n_server is None
    n_access += n_server or 0
    if not access_unread and any(a.access_seq for a in anchors):
        events = dict(conn.execute(sa.select(auth_events.c.id, auth_events.c.hash)).all())
        findings += [AuditFinding(None, problem) for a in anchors if (problem := a.access_disagreement(events))]
    findings += cross_check(conn, entries)  # PostgreSQL: every recorded row change against its entries
    expected, last_seq = _replay(entries, findings)
    for k in [k for k in expected if k[0] == KEY_ENTITY]:
        del expected[k]
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
    n_legacy = sum(1 for e in entries if e.seq < signed_from)
    return AuditReport(len(entries), n_rows, tuple(findings), unread, n_legacy, n_access, access_unread)


def signed_schema(conn: sa.Connection) -> bool:
    """Whether the database has the signature columns (migration 0011)."""
    return any(c["name"] == "signature" for c in sa.inspect(conn).get_columns("audit_log"))


def check_signatures(entries: list[AuditEntry], signed_from: int) -> list[AuditFinding]:
    """Every entry from ``signed_from`` on is covered by a valid signature of its own user.

    Entries are grouped into transactions: a run ends with the entry carrying
    the signature. The signature must verify with the key the trail had
    registered for the signer before the run (a person's very first key, at
    account creation, is registered inside the run it signs); every entry in
    the run must be the signer's. A key registration is valid when made by the
    account itself (signed with its previous key, or its first) or by an
    investigator (the role that adds accounts and resets passwords).
    """
    findings: list[AuditFinding] = []
    keys: dict[str, str] = {}
    roles: dict[str, str] = {}
    run: list[AuditEntry] = []
    for e in entries:
        if e.seq < signed_from:
            if e.signature:
                findings.append(AuditFinding(e.seq, "carries a signature but lies before the first signed entry "
                                                    f"(#{signed_from}): the legacy boundary was moved"))
            _note_role(roles, e)
            continue
        run.append(e)
        if not e.signature:
            continue
        signer = e.user_name
        pub = keys.get(signer)
        if pub is None:  # the signer's first key, registered in this very transaction
            pub = next((r["public_key"] for x in run if x.action == KEY_ACTION and x.entity == KEY_ENTITY
                        and x.entity_id == signer and (r := parse_registration(x.new_value))), None)
        if pub is None:
            findings += [AuditFinding(x.seq, f"{x.describe()} is not signed by its user (no signing key is "
                                             f"registered for {signer})") for x in run]
        elif not signature_holds(pub, e.hash, e.signature):
            # One finding, on the signed entry: which entry of the transaction changed, the chain and
            # the replay say; this says the transaction is not (or no longer) its author's.
            span = f"entries #{run[0].seq}-#{e.seq}" if len(run) > 1 else f"entry #{e.seq}"
            findings.append(AuditFinding(e.seq, f"{span} (a transaction by {signer} at {e.ts}) are not signed by "
                                                f"its user: {signer}'s signature does not verify (an entry was "
                                                f"changed after signing, or {signer} did not write them)"))
        else:
            for x in run:
                if x.user_name != signer:
                    findings.append(AuditFinding(x.seq, f"{x.describe()} sits in a transaction signed by {signer}, "
                                                        "not by its user"))
                elif x.role != roles.get(x.user_name, x.role):
                    findings.append(AuditFinding(x.seq, f"{x.describe()} names role {x.role} but the account "
                                                        f"held {roles[x.user_name]}"))
            for x in run:
                if x.action == KEY_ACTION and x.entity == KEY_ENTITY:
                    reg = parse_registration(x.new_value)
                    if reg is None:
                        findings.append(AuditFinding(x.seq, "key registration is malformed"))
                    elif x.entity_id == signer or roles.get(signer) == "investigator":
                        keys[x.entity_id] = reg["public_key"]
                    else:
                        findings.append(AuditFinding(x.seq, f"{signer} registered a signing key for {x.entity_id} "
                                                            "without being an investigator"))
                _note_role(roles, x)
        run = []
    findings += [AuditFinding(x.seq, f"{x.describe()} is not signed by its user (no signature closes it)")
                 for x in run]
    return findings


def _note_role(roles: dict[str, str], e: AuditEntry) -> None:
    """Accounts' roles as the trail set them (the role an entry claims is checked against these)."""
    if e.entity == "user_accounts" and e.field == "role" and e.new_value is not None:
        try:
            roles[e.entity_id] = json.loads(e.new_value)
        except ValueError:
            pass


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
    head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one_or_none()
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
        if e.field is None and e.action == "create":  # a row entry: every field at once
            if not isinstance(new, dict):
                findings.append(AuditFinding(e.seq, "row entry's new value is not a mapping of fields"))
                continue
            state.setdefault(key, {}).update(new)
            for field in new:
                last_seq[(e.entity, e.entity_id, field)] = e.seq
            continue
        state.setdefault(key, {})[e.field] = new
        last_seq[(e.entity, e.entity_id, e.field)] = e.seq
    return state, last_seq
