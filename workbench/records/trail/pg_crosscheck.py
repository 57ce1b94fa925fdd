"""PostgreSQL: ``audit verify`` pairs every row change the database recorded with the trail entries of
the same transaction, and names a change whose database role is not the entries' user.

Issue 24: ``db_change_log`` (written by a trigger with the database role that
made each change) was read only once the replay had found something wrong, so
entries written under another person's name over a table left as it was went
unnoticed. Now it is always read. ``wb_append_trail`` records, for each run of
entries, the database transaction (``txid_current()``) and ``session_user``
in ``trail_txids`` (migration 0012); ``db_change_log`` carries the same txid.
So, for every change recorded since 0012 (``audit_head.changes_from``):

- a change in a transaction that wrote no trail entry was made outside the
  workbench (psql), even if a later change put the value back and the replay
  sees nothing;
- each trail entry of that transaction about the changed row must name the
  person the database role logs in as (``db_logins``). The schema owner's role
  is nobody's: the one row change it makes under a person's name is the first
  account's own record (``Store.create_first_account`` connects as the owner),
  so any other change it makes under a person's name is named (a database
  administrator writing as the investigator).

Changes before 0012 have no transaction to pair with and are left to the
replay and ``_db_note``. The check needs SELECT on ``db_change_log``: blinded
roles (who may not verify anyway) are skipped.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..storage.tables import audit_head, db_change_log, db_logins, trail_txids
from .findings import AuditFinding


def cross_check(conn: sa.Connection, entries) -> list[AuditFinding]:
    """Findings for every change the trail does not account for; [] off PostgreSQL."""
    if conn.dialect.name != "postgresql" or not _readable(conn):
        return []
    changes_from = conn.execute(sa.select(audit_head.c.changes_from).where(audit_head.c.id == 1)).scalar() or 1
    persons = {r.role_name: r.user_name for r in conn.execute(sa.select(db_logins.c.role_name, db_logins.c.user_name))}
    txids = {r.txid: r for r in conn.execute(sa.select(trail_txids))}
    by_seq = {e.seq: e for e in entries}
    findings: list[AuditFinding] = []
    named: set[int] = set()
    changes = conn.execute(sa.select(db_change_log.c.id, db_change_log.c.db_user, db_change_log.c.txid,
                                     db_change_log.c.table_name, db_change_log.c.row_id, db_change_log.c.operation,
                                     db_change_log.c.changed_at, db_change_log.c.row_data)
                           .order_by(db_change_log.c.id))
    last: dict[tuple[str, str], str | None] = {}
    by_tx: dict = {}

    def _rows_of(tx) -> dict:
        """The transaction's entries by the row they are about, built once per transaction: a batch of
        n rows has n changes and n entries, and scanning the whole run per change made verify O(n^2)."""
        if tx.txid not in by_tx:
            rows: dict[tuple[str, str], list[int]] = {}
            for seq in range(tx.first_seq, tx.last_seq + 1):
                e = by_seq.get(seq)
                if e is not None:
                    rows.setdefault((e.entity, e.entity_id), []).append(seq)
            by_tx[tx.txid] = rows
        return by_tx[tx.txid]

    for c in changes:
        before, last[(c.table_name, c.row_id)] = last.get((c.table_name, c.row_id)), c.row_data
        if c.id < changes_from or (c.operation == "UPDATE" and c.row_data == before):
            continue  # before 0012 (no transaction recorded), or an UPDATE that changed nothing
        person = persons.get(c.db_user)
        who = f"database role {c.db_user}" + (f" ({person})" if person else "")
        tx = txids.get(c.txid)
        if tx is None:
            findings.append(AuditFinding(None, f"{c.table_name}/{c.row_id}: {c.operation} by {who} at {c.changed_at} "
                                               "has no trail entry in its transaction (made outside the workbench)"))
            continue
        for seq in _rows_of(tx).get((c.table_name, c.row_id), ()):
            e = by_seq[seq]
            if seq in named or e.user_name == person or (person is None and _first_account(e)):
                continue
            named.add(seq)
            findings.append(AuditFinding(seq, f"{e.describe()} names {e.user_name}, but the database recorded the "
                                              f"{c.operation} of {c.table_name}/{c.row_id} by {who}"))
    return findings


def _readable(conn: sa.Connection) -> bool:
    """Migration 0012 is in (verify runs mid-migration too) and this role may read both tables."""
    if conn.exec_driver_sql("SELECT to_regclass('trail_txids') IS NULL").scalar():
        return False
    return all(conn.execute(sa.text("SELECT has_table_privilege(:t, 'SELECT')"), {"t": t}).scalar()
               for t in ("db_change_log", "trail_txids"))


def _first_account(e) -> bool:
    """An entry of the first account's creation: its own account record, written as itself by the owner."""
    return e.entity == "user_accounts" and e.entity_id == e.user_name
