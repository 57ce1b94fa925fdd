"""The study store: the one way in and out of storage for trial records."""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import sqlalchemy as sa

from ..errors import ConflictError, PermissionDeniedError, Problem, ValidationError, WorkbenchError
from ._base import TableRecord, User
from .account import UserAccount
from .audit import AuditReport, AuditWriter, read_entries, verify_trail
from .engine import create_engine
from .migrate import current_revision, head_revision, upgrade_database
from .participant import Participant
from .rows import fetch, from_row, to_row
from .rules import BatchContext, label_of
from .tables import RECORD_TYPES, TABLES

#: Why a reason is demanded for every change after the first save.
REASON_RULE = "a non-empty reason for the change (21 CFR 11.10(e); ICH E6(R2) 4.9.0)"


class Store:
    """Trial records in a SQL database, with role checks and an audit trail.

    Parameters
    ----------
    url : str | None
        SQLAlchemy URL. ``None`` uses the workspace database
        (``WORKBENCH_DB_URL`` or ``workspace/workbench.sqlite``).
    user : User
        Who reads and writes; every write checks ``user.role``.
    workspace : path-like | None
        Workspace folder used when ``url`` is None.

    Examples
    --------
    >>> store = Store("sqlite:///trial.sqlite", user=User("dr.x", "investigator"))
    >>> store.upgrade()                              # doctest: +SKIP
    >>> saved, = store.add(participant)              # doctest: +SKIP
    """

    def __init__(self, url: str | None = None, *, user: User, workspace=None) -> None:
        if not isinstance(user, User):
            raise TypeError(f"user must be a workbench.records.User, got {type(user).__name__}")
        if url is None:
            from ..config import get_workspace

            url = get_workspace(workspace).db_url
        self.url = url
        self.user = user
        self.engine = create_engine(url)
        self._schema_checked = False

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r}, user={self.user})"

    # -- schema -----------------------------------------------------------------
    def upgrade(self) -> str | None:
        """Create or migrate the schema to the newest revision; return that revision."""
        rev = upgrade_database(self.engine)
        self._schema_checked = True
        return rev

    def _check_schema(self) -> None:
        if self._schema_checked:
            return
        have, want = current_revision(self.engine), head_revision()
        if have != want:
            raise WorkbenchError(
                f"the study database is at schema revision {have!r}, this workbench needs {want!r}: "
                "run `workbench db upgrade` first"
            )
        self._schema_checked = True

    # -- writes -----------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[tuple[sa.Connection, AuditWriter]]:
        self._check_schema()
        with self.engine.connect() as conn:
            conn.execution_options(workbench_write=True)
            try:
                with conn.begin():
                    audit = AuditWriter(conn, self.user)
                    self._check_account(conn)
                    yield conn, audit
                    audit.flush()
            except sa.exc.IntegrityError as err:
                raise ValidationError(
                    [Problem("database", str(err.orig).splitlines()[0], "records consistent with the others "
                             "(existing references, no duplicate id, nothing still referring to a deleted record)")],
                    what="write",
                ) from None

    def _permit(self, action: str, rt: type[TableRecord]) -> None:
        if self.user.role not in rt.WRITERS:
            raise PermissionDeniedError(
                f"user {self.user.name!r} with role {self.user.role!r} may not {action} {rt.__name__} records; "
                f"allowed roles: {', '.join(sorted(rt.WRITERS))}"
            )

    def _check_account(self, conn: sa.Connection) -> None:
        """Once accounts exist, only an active account holder writes, in the account's role.

        Checked inside the write transaction, after the chain head is locked,
        so an account deactivated a moment ago cannot slip a write in.
        """
        accounts = TABLES[UserAccount.TABLE]
        if conn.execute(sa.select(accounts.c.id).limit(1)).first() is None:
            return  # no accounts yet: set-up mode, the role is taken as declared
        row = conn.execute(sa.select(accounts).where(accounts.c.id == self.user.name)).mappings().one_or_none()
        if row is None or not row["active"] or row["role"] != self.user.role:
            held = "no account" if row is None else (
                f"an {'active' if row['active'] else 'inactive'} {row['role']!r} account")
            raise PermissionDeniedError(
                f"user {self.user.name!r} may not write as {self.user.role!r}: they hold {held}; "
                "an investigator manages accounts (workbench db add-user)"
            )

    def add(self, *records: TableRecord) -> tuple[TableRecord, ...]:
        """Save new records in one transaction: all are written, or none.

        Returns the saved records (``version`` 1). Raises ValidationError
        listing every problem (bad references, an out-of-window visit without
        a deviation, duplicate ids) before anything is written.
        """
        if not records:
            return ()
        problems = []
        for i, rec in enumerate(records):
            if not isinstance(rec, TableRecord) or type(rec) not in RECORD_TYPES:
                raise TypeError(f"records[{i}] must be a stored record type, got {type(rec).__name__}")
            if rec.version != 0:
                problems.append(Problem(label_of(records, i, "version"), rec.version,
                                        "0 (a new record; use update() for a saved one)"))
        for rt in dict.fromkeys(type(r) for r in records):
            self._permit("create", rt)
        if problems:
            raise ValidationError(problems, what="add")
        saved = tuple(dataclasses.replace(r, version=1) for r in records)
        with self._write() as (conn, audit):
            ctx = BatchContext(conn, saved)
            problems = ctx.check_new_ids() + ctx.check_references() + ctx.check_rules()
            if problems:
                raise ValidationError(problems, what=_what(saved))
            for rt in RECORD_TYPES:  # parents before children, for the foreign keys
                rows = [to_row(r) for r in saved if type(r) is rt]
                if rows:
                    conn.execute(TABLES[rt.TABLE].insert(), rows)
            for rec in saved:
                audit.created(rec)
        return saved

    def update(self, record: TableRecord, *, reason: str) -> TableRecord:
        """Save a changed copy of a stored record (``dataclasses.replace(old, ...)``).

        Raises ConflictError if the stored record changed since ``record`` was
        read (its ``version`` differs), so no one's change is lost silently.
        """
        rt = type(record)
        self._permit("update", rt)
        _require_reason(reason)
        if record.version < 1:
            raise ValidationError([Problem("version", record.version, "the version of a saved record "
                                           "(read it with get(); save new records with add())")], what=rt.__name__)
        table = TABLES[rt.TABLE]
        with self._write() as (conn, audit):
            current = fetch(conn, rt, record.id)
            if current.version != record.version:
                raise _conflict(current, record)
            old, new = current.to_plain(), record.to_plain()
            if old == new:
                return current
            ctx = BatchContext(conn, (record,))
            problems = ctx.check_references() + ctx.check_rules()
            if problems:
                raise ValidationError(problems, what=rt.__name__)
            row = to_row(dataclasses.replace(record, version=record.version + 1))
            res = conn.execute(
                table.update().where(table.c.id == record.id, table.c.version == record.version).values(**row)
            )
            if res.rowcount != 1:  # someone committed in between (only without the head lock)
                raise _conflict(fetch(conn, rt, record.id), record)
            audit.updated(record, old, new, reason)
        return dataclasses.replace(record, version=record.version + 1)

    def delete(self, record: TableRecord, *, reason: str) -> None:
        """Delete a stored record (entered in error); the trail keeps its last values."""
        rt = type(record)
        self._permit("delete", rt)
        _require_reason(reason)
        table = TABLES[rt.TABLE]
        with self._write() as (conn, audit):
            current = fetch(conn, rt, record.id)
            if current.version != record.version:
                raise _conflict(current, record)
            conn.execute(table.delete().where(table.c.id == record.id, table.c.version == record.version))
            audit.deleted(current, reason)

    # -- reads --------------------------------------------------------------------
    def get(self, rt: type[TableRecord], id: str) -> TableRecord:
        """The stored record of type ``rt`` with this id."""
        self._check_schema()
        with self.engine.connect() as conn:
            return fetch(conn, rt, id)

    def find(self, rt: type[TableRecord], **equals: Any) -> list[TableRecord]:
        """Stored records of type ``rt`` whose fields equal the given values, by id."""
        self._check_schema()
        table = TABLES[rt.TABLE]
        unknown = [k for k in equals if k not in table.c]
        if unknown:
            raise ValidationError([Problem(k, equals[k], f"a field of {rt.__name__}") for k in unknown],
                                  what="query")
        query = sa.select(table).where(*(table.c[k] == v for k, v in equals.items())).order_by(table.c.id)
        with self.engine.connect() as conn:
            return [from_row(rt, row) for row in conn.execute(query).mappings()]

    def frame(self, rt: type[TableRecord]):
        """All records of one type as a DataFrame, one row per record."""
        from .queries import records_frame

        self._check_schema()
        return records_frame(self.engine, rt)

    def outcomes(self, shape: str = "long"):
        """Outcome scores as a DataFrame: ``"long"`` (one row per score) or ``"wide"``."""
        from .queries import outcomes_long, outcomes_wide

        self._check_schema()
        if shape not in ("long", "wide"):
            raise ValidationError([Problem("shape", shape, "'long' or 'wide'")], what="query")
        return outcomes_long(self.engine) if shape == "long" else outcomes_wide(self.engine)

    def timeline(self, participant_id: str):
        """Everything that happened to one participant, in date order, as a DataFrame."""
        from .queries import participant_timeline

        self.get(Participant, participant_id)  # unknown pseudonym -> clear error
        return participant_timeline(self.engine, participant_id)

    def audit_trail(self, record: TableRecord | None = None):
        """The audit trail as a DataFrame, one row per entry in order; only ``record``'s if given."""
        import pandas as pd

        self._check_schema()
        with self.engine.connect() as conn:
            entries = read_entries(conn, None if record is None else (record.TABLE, record.id))
        # Plain tuples: dataclasses.astuple deep-copies, slow on 100k entries.
        return pd.DataFrame([tuple(getattr(e, c) for c in _AUDIT_COLS) for e in entries], columns=list(_AUDIT_COLS))

    def verify_audit(self) -> AuditReport:
        """Check the trail's hash chain and that every audited table matches its replay."""
        self._check_schema()
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "postgresql":
                # One snapshot for the trail and every table, or a write committed
                # mid-check would look like tampering. (SQLite's read transaction
                # in WAL mode is already a snapshot.)
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                return verify_trail(conn)


_AUDIT_COLS = ("seq", "ts", "user_name", "role", "action", "entity", "entity_id", "field", "old_value",
               "new_value", "reason", "prev_hash", "hash")


def _require_reason(reason: Any) -> None:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError([Problem("reason", reason, REASON_RULE)], what="change")


def _conflict(current: TableRecord, record: TableRecord) -> ConflictError:
    return ConflictError(
        f"{type(record).__name__} {record.id!r} was changed by someone else since you read it "
        f"(you have version {record.version}, the store has version {current.version}); "
        "read it again, re-apply your change and save"
    )


def _what(records: Sequence[TableRecord]) -> str:
    return type(records[0]).__name__ if len(records) == 1 else f"{len(records)} records"
