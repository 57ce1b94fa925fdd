"""The study store: the one way in and out of storage for trial records."""

from __future__ import annotations

import dataclasses
import weakref
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping, Sequence

import sqlalchemy as sa

from ..errors import ConflictError, PermissionDeniedError, Problem, ValidationError, WorkbenchError
from .access import pg_roles
from .access.auth import AuthenticationError, authenticate, require_user_name
from .access.blinding import CONCEALED_TABLES, hides_entry
from .access.logins import AccountMethods, _logs_refusals, _require_head, _resolve_url
from .access.sites import site_of, site_paths, visible_clause
from .storage.blinded_reads import BLINDED_OPTION, select_readable
from .storage.engine import create_engine
from .storage.migrate import upgrade_database
from .storage.policy import batch_code_problems, stored_code_problems, stored_policy, stored_policy_record
from .storage.rows import fetch, from_row, insert_records, to_row
from .storage.staff_key import stored_staff_key
from .storage.rules import BatchContext, label_of
from .storage.tables import RECORD_TYPES, TABLES, audit_head, credentials
from .trail.access_chain import credential_digest
from .trail.anchors import Anchor, make_anchor, read_anchor
from .trail.audit import AuditWriter, read_entries, verify_trail
from .trail.findings import AuditReport
from .trail.keys import audit_key_path, load_audit_key, trail_is_empty
from .trail.signing import current_registration, derive_key, new_salt, public_hex, registration
from .types.account import UserAccount
from .types.base import ALLOCATION_ROLES, BLINDED_ROLES, TableRecord, User
from .types.fields import STORABLE_TEXT, storable
from .types.identifiers import (
    IdentifierPolicy, configured_policy, install_staff_key, install_study_policy, policy_conflicts,
    release_study_policy, staff_code,
)
from .types.participant import Participant
from .types.policy import StoredIdentifierPolicy
from .types.randomization import PENDING_ARM, Allocation

#: Why a reason is demanded for every change after the first save.
REASON_RULE = "a non-empty reason for the change (21 CFR 11.10(e); ICH E6(R2) 4.9.0)"


class Store(AccountMethods):
    """Trial records in a SQL database, opened by logging in, with role and site checks and a keyed audit trail.

    Parameters
    ----------
    url : str | None
        SQLAlchemy URL. ``None`` uses the workspace database
        (``WORKBENCH_DB_URL`` or ``workspace/workbench.sqlite``).
    user, password : str
        The account to log in with. The password is checked against the
        account's argon2 hash; the role and site come from the account, never
        from the caller. A refused login raises
        :class:`~workbench.records.access.auth.AuthenticationError` and is logged.
    workspace : path-like | None
        Workspace folder: the database when ``url`` is None, and the audit key
        (``keys/audit.key`` unless ``WORKBENCH_AUDIT_KEY_FILE`` names one).

    Examples
    --------
    >>> store = Store.create_first_account("sqlite:///trial.sqlite", user="dr.x", password=pw)  # doctest: +SKIP
    >>> store = Store("sqlite:///trial.sqlite", user="dr.x", password=pw)                       # doctest: +SKIP
    >>> saved, = store.add(participant)                                                         # doctest: +SKIP
    """

    def __init__(self, url: str | None = None, *, user: str, password: str | None = None, workspace=None) -> None:
        if isinstance(user, User):
            raise TypeError("a Store no longer trusts a declared User: log in with "
                            "Store(url, user='name', password='...') (or workbench.records.demo.open_demo_store)")
        require_user_name(user)
        if not isinstance(password, str) or not password:
            raise ValidationError([Problem("password", None, "the account's password")], what="login")
        self.url = _resolve_url(url, workspace)
        self.workspace = workspace
        # PostgreSQL: the person connects as their own database role, so the server checks the
        # password and its GRANTs and row-level security apply to everything they do.
        self.postgres = sa.make_url(self.url).get_backend_name() == "postgresql"
        self.engine = create_engine(pg_roles.person_url(self.url, user, password) if self.postgres else self.url)
        self._schema_checked = False
        self._key: bytes | None = None
        self._staff_key: bytes | None = None
        try:
            if self.postgres:
                self._user: User = self._pg_login(user)
            else:
                self._check_schema()
                self._user = authenticate(self.engine, user, password, key=self._access_log_key())
                _guard_sqlite_file(self.url)
            self._signer, self._pending_key = self._signing_key(password)
            self._adopt_policy()
        except BaseException:
            self.engine.dispose()
            raise
        if self.user.role in BLINDED_ROLES:  # every read of a record leaves the arm out (access/blinding.py)
            self.engine.update_execution_options(**{BLINDED_OPTION: True})

    @classmethod
    def login(cls, url: str | None = None, *, user: str, password: str, workspace=None) -> "Store":
        """Same as ``Store(url, user=..., password=...)``."""
        return cls(url, user=user, password=password, workspace=workspace)

    def confirm_password(self, password: str) -> None:
        """Check the user's password again by logging in again (a signature asks for it, 21 CFR 11.200).

        On SQLite the argon2 check (a refusal is logged), on PostgreSQL the server
        itself checks the person's own database role; a wrong password raises
        :class:`~workbench.records.access.auth.AuthenticationError`.
        """
        type(self)(self.url, user=self.user.name, password=password, workspace=self.workspace).close()

    def close(self) -> None:
        """Release the database connections (and the study's identifier policy this store installed)."""
        release_study_policy(self)
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r}, user={self.user})"

    def _signing_key(self, password: str):
        """The user's Ed25519 key, derived from the password with the salt the trail registered.

        A key that does not match the registered public half means the
        credentials were changed outside the workbench (a hash swapped with
        sqlite3, a role's password set by hand): the login is refused, as the
        issue's swapped-hash scenario demands. An account without a key yet
        (created before migration 0011) gets one, registered with its first write.
        """
        with self.engine.connect() as conn:
            reg = current_registration(conn, self.user.name)
        if reg is None:
            salt = new_salt()
            key = derive_key(password, salt)
            return key, registration(key, salt, None if self.postgres else self._credential_digest())
        key = derive_key(password, reg["salt"])
        if public_hex(key) != reg["public_key"]:
            self._log(self.user.name, "login_refused", "credentials do not match the signing key registered in "
                      "the trail")
            raise AuthenticationError(
                f"user {self.user.name!r}: the password does not match the signing key the audit trail registered "
                "for this account: its credentials were changed outside the workbench; an investigator must "
                "reset them (audit verify names the change)")
        return key, None

    def _credential_digest(self) -> str | None:
        """SQLite: the digest of this account's stored password hash, for its key registration."""
        with self.engine.connect() as conn:
            stored = conn.execute(sa.select(credentials.c.password_hash)
                                  .where(credentials.c.user_name == self.user.name)).scalar()
        return None if stored is None else credential_digest(stored)

    @property
    def user(self) -> User:
        """Who is logged in (name, role, site): set by the login only, never by the caller.

        Read-only, so the Python API cannot be told to write as someone else
        (issue 24: assigning ``store.user`` let a sponsor write as an investigator).
        """
        return self._user

    @property
    def audit_key(self) -> bytes:
        """The key of the audit chain, read once from the key file.

        Made (0600) only while the trail is empty; once entries exist a missing
        key stops every write and verification with the path it was expected at.
        """
        if self._key is None:
            with self.engine.connect() as conn:
                empty = trail_is_empty(conn)
            self._key = load_audit_key(self.workspace, create=empty)
        return self._key

    # -- the study's identifier policy ----------------------------------------------
    @property
    def identifier_policy(self) -> IdentifierPolicy | None:
        """The study's stored identifier policy (None: the study has stored none), read now; every role may read it."""
        self._check_schema()
        with self.engine.connect() as conn:
            return stored_policy(conn)

    def _adopt_policy(self) -> None:
        """At login: the study's stored policy becomes the one records are made under in this process.

        A process-level policy (``set_policy()`` or ``$WORKBENCH_IDENTIFIER_POLICY``)
        that differs from the stored one is refused: two users of one study must
        never check codes against different patterns. A study without a stored
        policy keeps the process-level one or the defaults (as before 0014).
        """
        with self.engine.connect() as conn:
            stored = stored_policy(conn)
            self._staff_key = stored_staff_key(conn)
        self._install_policy(stored)
        install_staff_key(self._staff_key, self)  # for screens called without this store (reports, NWB)
        weakref.finalize(self, release_study_policy, id(self))  # a store dropped without close()

    def _install_policy(self, stored: IdentifierPolicy | None) -> None:
        if stored is not None:
            configured = configured_policy()
            if configured is not None and configured[0] != stored:
                release_study_policy(self)
                raise ValidationError(
                    policy_conflicts(configured[0], stored, configured[1]),
                    what="identifier policy: this process's policy differs from the one the study stored (the "
                         "study's applies to every write; `workbench db policy show` prints it)")
        self._study_policy = stored
        install_study_policy(stored, self)

    def _policy_in(self, conn: sa.Connection) -> IdentifierPolicy | None:
        """The stored policy as this write transaction sees it (installed for the process if it changed)."""
        stored = stored_policy(conn)
        if stored != getattr(self, "_study_policy", None):
            self._install_policy(stored)
        return stored

    @property
    def staff_key(self) -> bytes:
        """The study's staff code key (migration 0015), read at login: staff codes are an HMAC under it.

        Kept in the study database only and never exported or written to the
        trail; pass it to :func:`~workbench.records.types.identifiers.staff_code`
        and the screens rather than relying on the key installed for the process.
        """
        if self._staff_key is None:  # upgraded since login (Store.upgrade)?
            with self.engine.connect() as conn:
                self._staff_key = stored_staff_key(conn)
            install_staff_key(self._staff_key, self)
        if self._staff_key is None:
            raise WorkbenchError("this study database has no staff code key (a schema below migration 0015): "
                                 "upgrade it with `workbench db upgrade` before exporting or reporting")
        return self._staff_key

    def staff_code(self, name: Any) -> Any:
        """``name``'s staff code in this study (``staff-`` and 10 hex digits)."""
        return staff_code(name, self.staff_key)

    @_logs_refusals
    def set_identifier_policy(self, policy: IdentifierPolicy, *, reason: str) -> IdentifierPolicy:
        """Store ``policy`` as the study's identifier policy (a study-wide investigator; a keyed trail entry).

        Refused, with nothing written, when a stored code does not match the
        new policy: the error lists the first offending records
        (``Participant[SCI-001].id``, the value, what the new policy allows),
        so a study is never left with data its own policy would refuse.
        Returns the policy now in force. Setting the policy in force again
        writes nothing.
        """
        if not isinstance(policy, IdentifierPolicy):
            raise ValidationError([Problem("policy", policy, "an IdentifierPolicy")], what="identifier policy")
        self._permit("change", StoredIdentifierPolicy)
        self._require_study_wide("change the study's identifier policy")
        _require_reason(reason)
        with self._write() as (conn, audit):
            current = stored_policy_record(conn)
            if current is not None and current.policy() == policy:
                return policy
            problems, _ = stored_code_problems(conn, policy, readable=self.may_read)
            if problems:
                raise ValidationError(
                    problems, what="identifier policy change refused: stored records do not match the new "
                                   "policy (correct them first, or choose patterns they meet); nothing changed")
            if current is None:
                row = StoredIdentifierPolicy.of(policy, version=1)
                insert_records(conn, StoredIdentifierPolicy, [row])
                audit.created(row, reason)  # with the reason: the first stored policy replaces the defaults
            else:
                new = StoredIdentifierPolicy.of(policy, version=current.version)
                table = TABLES[StoredIdentifierPolicy.TABLE]
                res = conn.execute(table.update().where(table.c.id == current.id,
                                                        table.c.version == current.version)
                                   .values(**to_row(dataclasses.replace(new, version=current.version + 1))))
                if res.rowcount != 1:
                    raise _conflict(fetch(conn, StoredIdentifierPolicy, current.id), current)
                audit.updated(current, current.to_plain(), new.to_plain(), reason)
        self._install_policy(policy)
        return policy

    # -- schema -----------------------------------------------------------------
    def upgrade(self) -> str | None:
        """Create or migrate the schema to the newest revision; return that revision."""
        rev = upgrade_database(self.engine, workspace=self.workspace)
        self._schema_checked = True
        return rev

    def _check_schema(self) -> None:
        if not self._schema_checked:
            _require_head(self.engine)
            self._schema_checked = True

    # -- writes -----------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[tuple[sa.Connection, AuditWriter]]:
        self._check_schema()
        key = self.audit_key
        with self.engine.connect() as conn:
            conn.execution_options(workbench_write=True)
            try:
                with conn.begin():
                    audit = AuditWriter(conn, self.user, key, key_path=audit_key_path(self.workspace),
                                        signer=self._signer)
                    self._check_account(conn)
                    if self._pending_key is not None:  # first write since 0011: register the key
                        audit.registered_key(self.user.name, self._pending_key)
                    yield conn, audit
                    audit.flush()
                self._pending_key = None
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
        """The account is still active, in the role and site it logged in with.

        Checked inside the write transaction, after the chain head is locked,
        so an account deactivated a moment ago cannot slip a write in.
        """
        accounts = TABLES[UserAccount.TABLE]
        row = conn.execute(sa.select(accounts).where(accounts.c.id == self.user.name)).mappings().one_or_none()
        if row is None or not row["active"]:
            raise PermissionDeniedError(f"user {self.user.name!r}: the account is inactive or gone; nothing written")
        if row["role"] != self.user.role or row["site_id"] != self.user.site_id:
            raise PermissionDeniedError(f"user {self.user.name!r}: the account's role or site changed since login "
                                        "(log in again); nothing written")

    def _check_sites(self, ctx: BatchContext, records: Sequence[TableRecord], action: str) -> None:
        """Site staff write only records of their own site's participants (and accounts at their site)."""
        mine = self.user.site_id
        if mine is None:
            return
        for rec in records:
            belongs, site = site_of(ctx.lookup, rec)
            if belongs and site == mine:
                continue
            if not belongs and isinstance(rec, UserAccount) and rec.site_id == mine:
                continue
            where = f"site {site!r}" if belongs else "the whole study (no participant)"
            raise PermissionDeniedError(
                f"user {self.user.name!r} works at site {mine!r} and may not {action} {type(rec).__name__} "
                f"{rec.id!r}, which belongs to {where}; nothing written")

    def _require_study_wide(self, what: str) -> None:
        if self.user.site_id is not None:
            raise PermissionDeniedError(
                f"user {self.user.name!r} works at site {self.user.site_id!r}; to {what} takes a study-wide "
                "account (coordinating investigator, monitor, data manager or sponsor)")

    def _visible(self, rt: type[TableRecord]):
        return None if self.user.site_id is None else visible_clause(rt.TABLE, self.user.site_id)

    @_logs_refusals
    def add(self, *records: TableRecord) -> tuple[TableRecord, ...]:
        """Save new records in one transaction: all are written, or none.

        Returns the saved records (``version`` 1). Raises ValidationError
        listing every problem (bad references, an out-of-window visit without
        a deviation, duplicate ids) before anything is written.
        """
        return self._add(records)

    @_logs_refusals
    def add_many(self, records: Iterable[TableRecord]) -> tuple[TableRecord, ...]:
        """Save a batch of new records (a sequence or any iterable) in one transaction: all, or none.

        The batch path of machine-made records (the closed loop's safety
        events, re-analysis results): every row is checked first (version,
        role, new id, references, rules, locks, sites) and a batch with one
        bad row is refused whole by a ValidationError naming it by type,
        index and field (``SafetyEvent[3].run_id``); nothing of it is
        written. Then the rows and their trail entries go in with one
        ``executemany`` per table and one signature. Record types marked
        ``TRAIL_PER_ROW`` get one keyed trail entry per row (trail/audit.py).

        Returns the saved records (``version`` 1), in the order given.
        """
        if isinstance(records, (TableRecord, str, bytes, Mapping)):
            raise TypeError(f"records must be a sequence of records, got one {type(records).__name__}; "
                            "wrap a single record in a list or use add()")
        return self._add(tuple(records))

    def _add(self, records: Sequence[TableRecord], also=None, then=None) -> tuple[TableRecord, ...]:
        if not records:
            return ()
        problems = []
        for i, rec in enumerate(records):
            if not isinstance(rec, TableRecord) or type(rec) not in RECORD_TYPES:
                raise TypeError(f"records[{i}] must be a stored record type, got {type(rec).__name__}")
            _not_the_policy(rec)
            if rec.version != 0:
                problems.append(Problem(label_of(records, i, "version"), rec.version,
                                        "0 (a new record; use update() for a saved one)"))
        for rt in dict.fromkeys(type(r) for r in records):
            self._permit("create", rt)
        if problems:
            raise ValidationError(problems, what="add")
        saved = tuple(_as_saved(r) for r in records)
        by_type: dict[type, list[TableRecord]] = {}
        for rec in saved:
            by_type.setdefault(type(rec), []).append(rec)
        with self._write() as (conn, audit):
            ctx = BatchContext(conn, saved)
            problems = ctx.check_new_ids() + ctx.check_references()
            # Sites before the study's rules: a rule's message (a duplicate names the stored record)
            # must never describe another site's data to someone who may not read it. Sites are
            # decided from the references, so only once those hold; every problem is listed together.
            if not problems:
                self._check_sites(ctx, saved, "create")
            problems += ctx.check_rules()
            policy = self._policy_in(conn)
            if policy is not None:  # the study's patterns, whatever the records were made under
                problems += batch_code_problems(saved, policy)
            if problems:
                raise ValidationError(problems, what=_what(saved))
            for rt in RECORD_TYPES:  # parents before children, for the foreign keys
                if rt in by_type:
                    insert_records(conn, rt, by_type[rt])
            if also is not None:
                also(conn)
            audit.created_all(saved)
            if then is not None:
                then(conn, audit)
        return saved

    @_logs_refusals
    def allocate(self, allocation: Allocation) -> tuple[Participant, Allocation]:
        """Save a randomization (:func:`~workbench.records.types.randomization.randomize` calls this).

        One transaction: the Allocation (allocator only: its ``WRITERS``) and,
        on the allocator's behalf, the participant's arm set from it, the one
        participant field the allocator may change, and only from
        :data:`~workbench.records.types.randomization.PENDING_ARM` (an enrolled,
        not yet randomized participant). Consent in force on the day is
        checked with the Allocation (storage/rules.py).
        """
        if not isinstance(allocation, Allocation):
            raise TypeError(f"allocation must be an Allocation, got {type(allocation).__name__}")
        result: list[Participant] = []

        def set_arm(conn: sa.Connection, audit: AuditWriter) -> None:
            current = fetch(conn, Participant, allocation.participant_id)
            if current.arm != PENDING_ARM:
                raise ValidationError([Problem("participant_id", current.id, "an enrolled participant not yet "
                                               f"randomized (arm {PENDING_ARM!r}, not {current.arm!r})")],
                                      what="randomization")
            table = TABLES[Participant.TABLE]
            res = conn.execute(table.update().where(table.c.id == current.id, table.c.version == current.version)
                               .values(arm=allocation.arm, version=current.version + 1))
            if res.rowcount != 1:
                raise _conflict(fetch(conn, Participant, current.id), current)
            done = dataclasses.replace(current, arm=allocation.arm)
            audit.updated(current, current.to_plain(), done.to_plain(),
                          f"randomized: slot {allocation.position} of {allocation.sequence_id}")
            result.append(dataclasses.replace(done, version=current.version + 1))

        (saved,) = self._add((allocation,), then=set_arm)
        return result[0], saved

    @_logs_refusals
    def update(self, record: TableRecord, *, reason: str) -> TableRecord:
        """Save a changed copy of a stored record (``dataclasses.replace(old, ...)``).

        Raises ConflictError if the stored record changed since ``record`` was
        read (its ``version`` differs), so no one's change is lost silently.
        """
        rt = type(record)
        _not_the_policy(record)
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
            self._check_sites(BatchContext(conn, ()), (current,), "update")
            ctx = BatchContext(conn, (record,))
            problems = ctx.check_references() + ctx.check_rules()
            policy = self._policy_in(conn)
            if policy is not None:  # the codes it changes, against the study's patterns
                problems += batch_code_problems((record,), policy, [{k for k in new if new[k] != old.get(k)}])
            if problems:
                raise ValidationError(problems, what=rt.__name__)
            self._check_sites(ctx, (record,), "update")
            row = to_row(dataclasses.replace(record, version=record.version + 1))
            res = conn.execute(
                table.update().where(table.c.id == record.id, table.c.version == record.version).values(**row)
            )
            if res.rowcount != 1:  # someone committed in between (only without the head lock)
                raise _conflict(fetch(conn, rt, record.id), record)
            audit.updated(record, old, new, reason)
        return dataclasses.replace(record, version=record.version + 1)

    @_logs_refusals
    def delete(self, record: TableRecord, *, reason: str) -> None:
        """Delete a stored record (entered in error); the trail keeps its last values."""
        rt = type(record)
        _not_the_policy(record)
        self._permit("delete", rt)
        _require_reason(reason)
        table = TABLES[rt.TABLE]
        with self._write() as (conn, audit):
            current = fetch(conn, rt, record.id)
            self._check_sites(BatchContext(conn, ()), (current,), "delete")
            if current.version != record.version:
                raise _conflict(current, record)
            locked = BatchContext(conn, (current,)).check_locks()  # a lock refuses deletes too
            if locked:
                raise ValidationError(locked, what=f"delete {rt.__name__}")
            conn.execute(table.delete().where(table.c.id == record.id, table.c.version == record.version))
            audit.deleted(current, reason)

    # -- reads --------------------------------------------------------------------
    def may_read(self, rt: type[TableRecord]) -> bool:
        """Whether this user may read records of type ``rt`` (the allocation sequence is concealed)."""
        return rt.TABLE not in CONCEALED_TABLES or self.user.role in ALLOCATION_ROLES

    def _require_readable(self, rt: type[TableRecord]) -> None:
        """The allocation sequence is read by the allocation roles only (CONSORT 2010 item 9)."""
        if not self.may_read(rt):
            raise PermissionDeniedError(
                f"user {self.user.name!r} with role {self.user.role!r} may not read {rt.__name__} records "
                f"(allocation concealment); allowed roles: {', '.join(sorted(ALLOCATION_ROLES))}")

    def get(self, rt: type[TableRecord], id: str) -> TableRecord:
        """The stored record of type ``rt`` with this id (a blinded user sees the arm as ``"blinded"``)."""
        self._check_schema()
        self._require_readable(rt)
        with self.engine.connect() as conn:
            return fetch(conn, rt, id, where=self._visible(rt))

    def find(self, rt: type[TableRecord], **equals: Any) -> list[TableRecord]:
        """Stored records of type ``rt`` whose fields equal the given values, by id."""
        self._check_schema()
        table = TABLES[rt.TABLE]
        unknown = [k for k in equals if k not in table.c]
        if unknown:
            raise ValidationError([Problem(k, equals[k], f"a field of {rt.__name__}") for k in unknown],
                                  what="query")
        self._require_readable(rt)
        query = select_readable(self.engine, table).where(*(table.c[k] == v for k, v in equals.items()))
        query = query.order_by(table.c.id)
        if (clause := self._visible(rt)) is not None:
            query = query.where(clause)
        with self.engine.connect() as conn:
            return [from_row(rt, row) for row in conn.execute(query).mappings()]

    def frame(self, rt: type[TableRecord]):
        """All records of one type as a DataFrame, one row per record."""
        from .storage.queries import records_frame

        self._check_schema()
        self._require_readable(rt)
        site = self.user.site_id
        return records_frame(self.engine, rt, where=None if site is None else visible_clause(rt.TABLE, site))

    def outcomes(self, shape: str = "long"):
        """Outcome scores as a DataFrame: ``"long"`` (one row per score) or ``"wide"``."""
        from .storage.queries import outcomes_long, outcomes_wide

        self._check_schema()
        if shape not in ("long", "wide"):
            raise ValidationError([Problem("shape", shape, "'long' or 'wide'")], what="query")
        site = self.user.site_id
        return outcomes_long(self.engine, site) if shape == "long" else outcomes_wide(self.engine, site)

    def timeline(self, participant_id: str):
        """Everything that happened to one participant, in date order, as a DataFrame."""
        from .storage.queries import participant_timeline

        self.get(Participant, participant_id)  # unknown pseudonym -> clear error
        return participant_timeline(self.engine, participant_id)

    def audit_trail(self, record: TableRecord | None = None):
        """The audit trail as a DataFrame, one row per entry in order; only ``record``'s if given."""
        import pandas as pd

        self._check_schema()
        with self.engine.connect() as conn:
            if record is not None:
                fetch(conn, type(record), record.id, where=self._visible(type(record)))
            entries = read_entries(conn, None if record is None else (record.TABLE, record.id))
            if self.user.site_id is not None and record is None:
                entries = _visible_entries(conn, entries, self.user.site_id)
            if self.user.role in BLINDED_ROLES:  # PostgreSQL's policy on audit_log drops them too
                entries = [e for e in entries if not hides_entry(e.entity, e.field)]
        # Plain tuples: dataclasses.astuple deep-copies, slow on 100k entries.
        return pd.DataFrame([tuple(getattr(e, c) for c in _AUDIT_COLS) for e in entries], columns=list(_AUDIT_COLS))

    def verify_audit(self, anchors: Sequence[Anchor | str] = ()) -> AuditReport:
        """Check the keyed chain, every anchor (Anchor or anchor file), and every table against its replay.

        Reads every site's records, so it takes a study-wide account.
        """
        self._check_schema()
        self._require_study_wide("verify the audit trail")
        anchors = [a if isinstance(a, Anchor) else read_anchor(a) for a in anchors]
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "postgresql":
                # One snapshot for the trail and every table, or a write committed
                # mid-check would look like tampering. (SQLite's read transaction
                # in WAL mode is already a snapshot.)
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                return verify_trail(conn, self.audit_key, anchors)

    def anchor(self) -> Anchor:
        """The trail's current head (entry number, hash, time) to file outside the database."""
        self._check_schema()
        self._require_study_wide("anchor the audit trail")
        with self.engine.connect() as conn:
            head = conn.execute(sa.select(audit_head).where(audit_head.c.id == 1)).one()
        return make_anchor(head.seq, head.hash, self.engine.url.render_as_string(hide_password=True),
                           head.auth_seq, head.auth_hash)


_AUDIT_COLS = ("seq", "ts", "user_name", "role", "action", "entity", "entity_id", "field", "old_value",
               "new_value", "reason", "prev_hash", "hash")


def _guard_sqlite_file(url: str) -> None:
    """Keep a SQLite database file private (0600) and warn when it is not the opener's own.

    SQLite is a single-workstation store: the file's permissions are its only
    boundary (several people at several sites use PostgreSQL, where the server
    enforces roles and sites). The workspace owner is the operating-system
    account that owns the database file, i.e. the one that created it; anyone
    else opening it could equally read or rewrite it with sqlite3.
    """
    import os
    import warnings

    path = sa.make_url(url).database
    if not path or path == ":memory:" or not os.path.exists(path):
        return
    st = os.stat(path)
    if st.st_uid == os.getuid():
        for p in (path, path + "-wal", path + "-shm", path + "-journal"):
            if os.path.exists(p) and os.stat(p).st_mode & 0o077:
                os.chmod(p, 0o600)
    else:
        warnings.warn(f"the SQLite store {path} belongs to another operating-system account (uid {st.st_uid}), "
                      "not the workspace owner's you are logged in as: SQLite has no protection beyond file "
                      "permissions; a study shared by several people belongs on PostgreSQL", UserWarning,
                      stacklevel=3)


def _as_saved(record: TableRecord) -> TableRecord:
    """A copy of a new record at version 1.

    Not ``dataclasses.replace``: that runs every field's validation again (66 us of a
    SafetyEvent's ~100 us insert, profiled), although the record was validated when it
    was made, is immutable, and only its version changes here.
    """
    saved = object.__new__(type(record))
    saved.__dict__.update(record.__dict__, version=1)
    return saved


def _not_the_policy(record: Any) -> None:
    """The policy row changes only through ``set_identifier_policy``, which checks the stored data first."""
    if isinstance(record, StoredIdentifierPolicy):
        raise ValidationError([Problem("record", "StoredIdentifierPolicy", "a study record; the identifier policy "
                                       "is set with Store.set_identifier_policy (or `workbench db policy set`), "
                                       "which checks the stored records against it first")],
                              what="write")


def _require_reason(reason: Any) -> None:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError([Problem("reason", reason, REASON_RULE)], what="change")
    if not storable(reason):
        raise ValidationError([Problem("reason", reason, STORABLE_TEXT)], what="change")


def _conflict(current: TableRecord, record: TableRecord) -> ConflictError:
    return ConflictError(
        f"{type(record).__name__} {record.id!r} was changed by someone else since you read it "
        f"(you have version {record.version}, the store has version {current.version}); "
        "read it again, re-apply your change and save"
    )


def _what(records: Sequence[TableRecord]) -> str:
    return type(records[0]).__name__ if len(records) == 1 else f"{len(records)} records"


def _visible_entries(conn: sa.Connection, entries, site_id: str):
    """The entries a site's staff may read: their participants' records and the study-wide ones."""
    visible: dict[str, set[str] | None] = {}
    for name, table in TABLES.items():
        clause = visible_clause(name, site_id) if site_paths(name) else None
        visible[name] = None if clause is None else set(conn.execute(sa.select(table.c.id).where(clause)).scalars())
    return [e for e in entries if e.entity in visible and (visible[e.entity] is None
                                                             or e.entity_id in visible[e.entity])]
