"""The database schema, derived in one place from the record types' field specs.

Each :class:`~workbench.records.types.base.TableRecord` maps to one table whose
columns are its fields plus ``version``; the audit trail lives in
``audit_log`` (append-only) with its chain head in ``audit_head``; password
hashes in ``credentials`` and every login attempt in ``auth_events``. Alembic
migrations (``workbench/records/storage/migrations``) create exactly these tables.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..types.account import UserAccount
from ..types.analysis import Reanalysis, ReanalysisTrial
from ..types.base import TableRecord
from ..types.lock import Lock
from ..types.outcome import OutcomeAssessment
from ..types.participant import Consent, Participant
from ..types.policy import StoredIdentifierPolicy
from ..types.randomization import Allocation, AllocationSequence
from ..types.safety import AdverseEvent, DeviceDeficiency, ProtocolDeviation
from ..types.session import Run, RunMetrics, SafetyEvent, Session, Trial
from ..types.signature import Signature
from ..types.study import Site, Study
from ..types.visit import Visit

#: Every stored record type, parents before children (insert order, export order).
RECORD_TYPES: tuple[type[TableRecord], ...] = (
    UserAccount, Study, Site, Participant, Consent, Visit, Session, Run, Trial, SafetyEvent, RunMetrics,
    OutcomeAssessment, AdverseEvent, DeviceDeficiency, ProtocolDeviation,
    Reanalysis, ReanalysisTrial,
    Signature, Lock, AllocationSequence, Allocation,
    StoredIdentifierPolicy,  # the study's code patterns (migration 0014): what every write is checked against
)
BY_TABLE = {rt.TABLE: rt for rt in RECORD_TYPES}

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _column(name: str, sp) -> sa.Column:
    kind = sp.kind
    if kind == "str":
        type_ = sa.Text() if sp.free_text else sa.String(64 if sp.ref else 200)
    else:
        type_ = {
            "strs": sa.JSON(), "json": sa.JSON(), "nested": sa.JSON(), "int": sa.Integer(),
            "float": sa.Float(precision=53), "bool": sa.Boolean(), "date": sa.Date(),
            "datetime": sa.DateTime(timezone=True),
        }[kind]
    args = [sa.ForeignKey(f"{sp.ref}.id")] if sp.ref else []
    if name == "id":
        return sa.Column("id", sa.String(64), primary_key=True)
    return sa.Column(name, type_, *args, nullable=not sp.required, index=bool(sp.ref))


def _table(rt: type[TableRecord]) -> sa.Table:
    cols = [_column(name, sp) for name, sp in rt.specs()]
    cols.append(sa.Column("version", sa.Integer(), nullable=False))
    # A record type may name column groups the database keeps unique (``UNIQUE``).
    unique = [sa.UniqueConstraint(*group, name=f"uq_{rt.TABLE}_{'_'.join(group)}")
              for group in getattr(rt, "UNIQUE", ())]
    return sa.Table(rt.TABLE, metadata, *cols, *unique)


TABLES: dict[str, sa.Table] = {rt.TABLE: _table(rt) for rt in RECORD_TYPES}

#: One row per changed field (or one per delete), chained by HMAC-SHA-256 (keyed, issue 11).
audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("ts", sa.String(40), nullable=False),  # ISO 8601 UTC text: hashed byte for byte
    sa.Column("user_name", sa.String(80), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("field", sa.String(64), nullable=True),
    sa.Column("old_value", sa.Text(), nullable=True),  # canonical JSON text
    sa.Column("new_value", sa.Text(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    # Ed25519 signature of the entry's author over its hash, on the last entry of each
    # transaction (trail/signing.py, migration 0011); NULL on the others and on legacy entries.
    sa.Column("signature", sa.String(128), nullable=True),
    sa.Index("ix_audit_log_entity", "entity", "entity_id"),
)

#: A single row naming the last entry; writers lock it so the chain stays linear.
audit_head = sa.Table(
    "audit_head", metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    # First entry that must carry its author's signature (entries before: unsigned legacy, 0011).
    sa.Column("signed_from", sa.Integer(), nullable=False, server_default="1"),
    # PostgreSQL: first db_change_log id paired with a trail transaction (earlier: none recorded, 0012).
    sa.Column("changes_from", sa.BigInteger(), nullable=False, server_default="1"),
    # The access log's chain (SQLite 0017, trail/access_chain.py; PostgreSQL 0018, trail/pg_access_chain.py):
    # first chained event, and the chain's end.
    sa.Column("auth_from", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("auth_seq", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("auth_hash", sa.String(64), nullable=False, server_default="0" * 64),
)

#: argon2 password hashes, one per account (kept out of the record and its trail).
credentials = sa.Table(
    "credentials", metadata,
    sa.Column("user_name", sa.String(64), sa.ForeignKey("user_accounts.id"), primary_key=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("changed_at", sa.String(40), nullable=False),
)

#: Every login, refused login and refused write attempt: append-only (21 CFR 11.10(d), 11.300(d)).
auth_events = sa.Table(
    "auth_events", metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("ts", sa.String(40), nullable=False),
    sa.Column("user_name", sa.String(80), nullable=False),
    sa.Column("event", sa.String(40), nullable=False),
    sa.Column("detail", sa.Text(), nullable=True),
    # SQLite: HMAC under the audit key over the previous event's hash and this event (0017); PostgreSQL:
    # SHA-256 of the same, by the server (0018).
    sa.Column("hash", sa.String(64), nullable=True),
    implicit_returning=False,  # site staff append to the log without reading it back (PostgreSQL GRANTs)
)

#: PostgreSQL: which database role is which person (filled by wb_create_login; empty on SQLite).
db_logins = sa.Table(
    "db_logins", metadata,
    sa.Column("role_name", sa.String(63), primary_key=True),
    sa.Column("user_name", sa.String(64), sa.ForeignKey("user_accounts.id"), nullable=False, unique=True),
)

#: PostgreSQL: every row change of a record table as the database saw it, with the database role
#: that made it, written by a trigger (so a change made with psql is recorded too; empty on SQLite).
db_change_log = sa.Table(
    "db_change_log", metadata,
    sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
    sa.Column("changed_at", sa.String(40), nullable=False),
    sa.Column("db_user", sa.String(63), nullable=False),
    sa.Column("txid", sa.BigInteger(), nullable=False),
    sa.Column("table_name", sa.String(63), nullable=False),
    sa.Column("row_id", sa.String(64), nullable=False),
    sa.Column("operation", sa.String(10), nullable=False),
    sa.Column("row_data", sa.Text(), nullable=True),
)

#: PostgreSQL (migration 0012): which database transaction, by which database role, wrote each run of
#: trail entries (filled by wb_append_trail only), so audit verify pairs every row change in
#: db_change_log with the entries of its own transaction (trail/pg_crosscheck.py; empty on SQLite).
trail_txids = sa.Table(
    "trail_txids", metadata,
    sa.Column("txid", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("db_user", sa.String(63), nullable=False),
    sa.Column("first_seq", sa.Integer(), nullable=False),
    sa.Column("last_seq", sa.Integer(), nullable=False),
)

#: The study's staff code key (migration 0015): one row, 32 random bytes as hex, made by the migration and
#: never changed (a trigger refuses UPDATE and DELETE). Staff codes in exports and reports are an HMAC of
#: the user name under it (types/identifiers.py, ``staff_code``). Not a record type, so it is never
#: exported, never in the trail and never copied into ``db_change_log``.
staff_code_key = sa.Table(
    "staff_code_key", metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("secret", sa.String(64), nullable=False),
    sa.Column("made_at", sa.String(40), nullable=False),
)
