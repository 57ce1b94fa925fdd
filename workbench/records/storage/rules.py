"""Rules a batch of records must satisfy against each other and the stored records.

References must exist, a participant's arm and site must belong to the study,
visits must follow the study's schedule, a visit done outside its window
needs a protocol deviation (ICH E3 10.2), and sessions, runs, outcome
assessments and completed visits need consent in force on their date
(:mod:`workbench.records.types.consent`). Every problem is collected, so one
ValidationError lists them all before anything is written.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Sequence

import sqlalchemy as sa

from ...errors import Problem
from ..types.base import TableRecord
from ..types.consent import CONSENT_RULE, status_from
from ..types.lock import Lock
from ..types.outcome import OutcomeAssessment
from ..types.participant import Consent, Participant
from ..types.randomization import PENDING_ARM, Allocation, AllocationSequence
from ..types.safety import ProtocolDeviation
from ..types.session import Run, Session
from ..types.signature import Signature, content_hash
from ..types.study import Study
from ..types.visit import Visit
from .blinded_reads import select_readable
from .duplicates import duplicate_problems
from .rows import from_row, references
from .tables import BY_TABLE, TABLES


def label_of(records: Sequence[TableRecord], i: int, field: str) -> str:
    return field if len(records) == 1 else f"{type(records[i]).__name__}[{i}].{field}"


def stored_ids(conn: sa.Connection, table: str, ids) -> set[str]:
    """Which of ``ids`` are stored in ``table``.

    PostgreSQL: one array parameter, ``id = ANY(:ids)``, which the primary key's index answers.
    An ``IN`` list of 500 parameters, once psycopg had prepared it and the server had settled on a
    generic plan (after five custom ones), was a sequential scan comparing every stored row with
    each of the 500 values: a 1,000-row batch of SafetyEvents cost 80 ms at 7,000 stored rows and
    600 ms at 30,000 (auto_explain, issue 20).
    SQLite: ``IN`` lists of 500, under its limit on parameters.
    """
    if not ids:  # every reference found in the batch itself: no round trip
        return set()
    rest = sorted(ids)
    tbl = TABLES[table]
    if conn.dialect.name == "postgresql":
        return set(conn.execute(sa.select(tbl.c.id).where(
            tbl.c.id == sa.any_(sa.bindparam("ids", rest, type_=sa.ARRAY(sa.Text))))).scalars())
    found: set[str] = set()
    for k in range(0, len(rest), 500):
        found.update(conn.execute(sa.select(tbl.c.id).where(tbl.c.id.in_(rest[k:k + 500]))).scalars())
    return found



class BatchContext:
    """Looks records up in the batch being written first, then in the database."""

    def __init__(self, conn: sa.Connection, batch: Sequence[TableRecord]) -> None:
        self.conn = conn
        self.batch = batch
        self._mine = {(r.TABLE, r.id): r for r in batch}
        self._cache: dict[tuple[str, str], TableRecord | None] = {}
        self._consents: dict[str, list[Consent]] = {}
        self._locks: list[Lock] | None = None

    def lookup(self, table: str, id: str) -> TableRecord | None:
        key = (table, id)
        if key in self._mine:
            return self._mine[key]
        if key not in self._cache:
            tbl = TABLES[table]
            row = self.conn.execute(select_readable(self.conn, tbl).where(tbl.c.id == id)).mappings().one_or_none()
            self._cache[key] = None if row is None else from_row(BY_TABLE[table], row)
        return self._cache[key]

    def exists(self, table: str, ids: set[str]) -> set[str]:
        """Which of ``ids`` exist in ``table``: in the batch, or stored (:func:`stored_ids`)."""
        found = {i for i in ids if (table, i) in self._mine}
        return found | stored_ids(self.conn, table, ids - found)

    def check_new_ids(self) -> list[Problem]:
        problems = []
        seen = set()
        by_table: dict[str, set[str]] = {}
        for i, rec in enumerate(self.batch):
            if (rec.TABLE, rec.id) in seen:
                problems.append(Problem(label_of(self.batch, i, "id"), rec.id, "an id used once in the batch"))
            seen.add((rec.TABLE, rec.id))
            by_table.setdefault(rec.TABLE, set()).add(rec.id)
        taken = {(table, i) for table, ids in by_table.items() for i in stored_ids(self.conn, table, ids)}
        for i, rec in enumerate(self.batch):
            if (rec.TABLE, rec.id) in taken:
                problems.append(Problem(label_of(self.batch, i, "id"), rec.id,
                                        f"an id not yet used (a {type(rec).__name__} with this id is stored)"))
        return problems

    def check_references(self) -> list[Problem]:
        wanted: dict[str, set[str]] = {}
        for rec in self.batch:
            for name, ref in references(type(rec)):  # cached per type: batches of 1,000s of rows (issue 20)
                value = getattr(rec, name)
                if value is not None:
                    wanted.setdefault(ref, set()).add(value)
        present = {table: self.exists(table, ids) for table, ids in wanted.items()}
        problems = []
        for i, rec in enumerate(self.batch):
            for name, ref in references(type(rec)):
                value = getattr(rec, name)
                if value is not None and value not in present[ref]:
                    what = BY_TABLE[ref].__name__
                    problems.append(Problem(label_of(self.batch, i, name), value, f"the id of an existing {what}"))
        return problems

    def check_rules(self) -> list[Problem]:
        """Rules that need other records: arms, sites, visit schedule and windows, ownership."""
        problems = []
        deviations = {r.visit_id for r in self.batch if isinstance(r, ProtocolDeviation)}
        for i, rec in enumerate(self.batch):
            label = lambda f: label_of(self.batch, i, f)  # noqa: E731
            owner = getattr(rec, "participant_id", None)
            if isinstance(rec, Participant):
                problems += self._check_participant(rec, label)
            if isinstance(rec, Visit):
                problems += self._check_visit(rec, label, deviations)
            if isinstance(rec, OutcomeAssessment):
                problems += self._check_assessor(rec, label)
            problems += self._check_consent(rec, label)
            if isinstance(rec, Signature):
                problems += self._check_signature(rec, label)
            # A linked visit or session must belong to the same participant.
            for name, table in (("visit_id", "visits"), ("session_id", "sessions")):
                ref = getattr(rec, name, None)
                if ref is None or owner is None:
                    continue
                other = self.lookup(table, ref)
                if other is not None and getattr(other, "participant_id", owner) != owner:
                    problems.append(Problem(label(name), ref, f"a {table[:-1]} of participant {owner!r} "
                                                              f"(it belongs to {other.participant_id!r})"))
        # The same assessment saved twice (types/outcome.py): refused here, so no entry path can double it.
        problems += duplicate_problems(self, lambda i, f: label_of(self.batch, i, f))
        return problems + self.check_locks()

    def _check_assessor(self, rec: OutcomeAssessment, label) -> list[Problem]:
        """The assessor is an active account whose role records outcomes (issue 22 put this in the
        form; here every way in is held to it). Checked when the name is new to the record only: a
        correction of an assessment whose assessor has since left, or one saved before this rule,
        keeps its assessor."""
        tbl = TABLES[OutcomeAssessment.TABLE]
        stored = self.conn.execute(sa.select(tbl.c.assessor).where(tbl.c.id == rec.id)).scalar_one_or_none()
        if stored == rec.assessor:
            return []
        account = self.lookup("user_accounts", rec.assessor)
        if account is not None and account.active and account.role in OutcomeAssessment.WRITERS:
            return []
        roles = " or ".join(sorted(OutcomeAssessment.WRITERS))
        found = ("no account has this user name" if account is None else "the account is deactivated"
                 if not account.active else f"the account's role is {account.role}")
        return [Problem(label("Assessor"), rec.assessor,
                        f"the user name of an active account whose role records outcomes ({roles}); {found}")]

    def _check_participant(self, rec: Participant, label) -> list[Problem]:
        problems = []
        study = self.lookup("studies", rec.study_id)
        if study is not None and rec.arm not in study.arms and rec.arm != PENDING_ARM:
            problems.append(Problem(label("arm"), rec.arm, "one of the study's arms: " + ", ".join(study.arms)))
        site = self.lookup("sites", rec.site_id)
        if site is not None and site.study_id != rec.study_id:
            problems.append(Problem(label("site_id"), rec.site_id, f"a site of study {rec.study_id!r}"))
        allocated = self._allocation_of(rec.id)
        if allocated is not None and rec.arm != allocated.arm:
            problems.append(Problem(label("arm"), rec.arm, f"{allocated.arm!r}, the arm randomization allocated "
                                                           f"(slot {allocated.position} of {allocated.sequence_id})"))
        elif allocated is None and rec.arm != PENDING_ARM and self._randomized(rec.study_id):
            # Allocation concealment (CONSORT 2010 item 9): in a randomized study only the allocator sets the arm.
            problems.append(Problem(label("arm"), rec.arm, f"{PENDING_ARM!r}: study {rec.study_id!r} is randomized, "
                                                           "so the allocation role sets the arm when it randomizes"))
        return problems

    def _randomized(self, study_id: str) -> bool:
        """Whether the study has an allocation sequence (read past the user's concealment: only a yes/no)."""
        if self.conn.dialect.name == "postgresql":  # the user may not read the sequences: a SECURITY DEFINER function
            return bool(self.conn.execute(sa.text("SELECT wb_study_randomized(:s)"), {"s": study_id}).scalar())
        tbl = TABLES[AllocationSequence.TABLE]
        return self.conn.execute(sa.select(tbl.c.id).where(tbl.c.study_id == study_id).limit(1)).first() is not None

    def _allocation_of(self, participant_id: str) -> Allocation | None:
        mine = [r for r in self.batch if isinstance(r, Allocation) and r.participant_id == participant_id]
        if mine:
            return mine[0]
        tbl = TABLES[Allocation.TABLE]
        row = self.conn.execute(sa.select(tbl).where(tbl.c.participant_id == participant_id)).mappings().first()
        return None if row is None else from_row(Allocation, row)

    def _check_visit(self, rec: Visit, label, deviations: set[str]) -> list[Problem]:
        participant = self.lookup("participants", rec.participant_id)
        if participant is None:
            return []  # reported by check_references
        study = self.lookup("studies", participant.study_id)
        definition = study.visit_definition(rec.name) if study is not None else None
        if definition is None:
            names = ", ".join(v.name for v in study.visit_schedule) if study is not None else ""
            return [Problem(label("name"), rec.name, f"a visit of the study's schedule: {names}")]
        problems = []
        target = participant.enrolment_date + timedelta(days=definition.target_day)
        if rec.scheduled_date != target:
            problems.append(Problem(label("scheduled_date"), rec.scheduled_date.isoformat(),
                                    f"{target.isoformat()} (enrolment + {definition.target_day} days)"))
        window = (definition.window_before, definition.window_after)
        if (rec.window_before, rec.window_after) != window:
            problems.append(Problem(label("window_before/window_after"), (rec.window_before, rec.window_after),
                                    f"the schedule's window {window}"))
        if rec.in_window is False and rec.id not in deviations and not self._has_deviation(rec.id):
            first, last = rec.window
            problems.append(Problem(
                label("actual_date"), rec.actual_date.isoformat(),
                f"a date in the window {first.isoformat()}..{last.isoformat()}, or a ProtocolDeviation "
                "for this visit saved with it (ICH E3 10.2)"))
        return problems

    def _has_deviation(self, visit_id: str) -> bool:
        tbl = TABLES["protocol_deviations"]
        query = sa.select(tbl.c.id).where(tbl.c.visit_id == visit_id).limit(1)
        return self.conn.execute(query).first() is not None

    # -- consent ---------------------------------------------------------------------
    def consents_of(self, participant_id: str) -> list[Consent]:
        """The participant's Consent records: the batch's versions over the stored ones."""
        if participant_id not in self._consents:
            tbl = TABLES[Consent.TABLE]
            stored = {r.id: r for r in (from_row(Consent, row) for row in self.conn.execute(
                sa.select(tbl).where(tbl.c.participant_id == participant_id)).mappings())}
            stored.update({r.id: r for r in self.batch
                           if isinstance(r, Consent) and r.participant_id == participant_id})
            self._consents[participant_id] = list(stored.values())
        return self._consents[participant_id]

    def _dated_participant(self, rec: TableRecord):
        """(participant id, date, field to name) of a record that needs consent; None otherwise."""
        if isinstance(rec, Session):
            return rec.participant_id, rec.started_at.date(), "started_at"
        if isinstance(rec, OutcomeAssessment):
            return rec.participant_id, rec.assessed_on, "assessed_on"
        if isinstance(rec, Allocation):  # consent comes before randomization too
            return rec.participant_id, rec.randomized_at.date(), "randomized_at"
        if isinstance(rec, Visit) and rec.status == "done":
            return rec.participant_id, rec.actual_date, "actual_date"
        if isinstance(rec, Run):
            session = self.lookup("sessions", rec.session_id)
            if session is None:
                return None  # reported by check_references
            when = rec.started_at or session.started_at
            return session.participant_id, when.date(), "started_at" if rec.started_at else "session_id"
        return None

    def _check_consent(self, rec: TableRecord, label) -> list[Problem]:
        dated = self._dated_participant(rec)
        if dated is None:
            return []
        pid, on, field = dated
        if self.lookup("participants", pid) is None:
            return []  # reported by check_references
        status = status_from(self.consents_of(pid), pid, on)
        if status.in_force:
            return []
        return [Problem(label(field), on.isoformat(), f"{CONSENT_RULE}; {status.describe()}")]

    # -- signatures --------------------------------------------------------------------
    def _check_signature(self, rec: Signature, label) -> list[Problem]:
        """A signature must cover exactly the versions and content stored now, all of its visit."""
        problems = []
        for k, item in enumerate(rec.signed):
            name = f"{item.table}/{item.record_id} version {item.version}"
            now = self.lookup(item.table, item.record_id) if item.table in TABLES else None
            if now is None or now.version != item.version or content_hash(now) != item.sha256:
                problems.append(Problem(label(f"signed[{k}]"), name, "a record at the version and content stored "
                                        "now (a signature covers exactly what is stored; 21 CFR 11.70)"))
            elif getattr(now, "visit_id", None) != rec.visit_id:
                problems.append(Problem(label(f"signed[{k}]"), name, f"a record of visit {rec.visit_id!r}"))
        return problems

    # -- locks -----------------------------------------------------------------------------
    def locks_in_force(self) -> list[Lock]:
        if self._locks is None:
            tbl = TABLES[Lock.TABLE]
            rows = self.conn.execute(sa.select(tbl).where(tbl.c.unlocked_at.is_(None))).mappings()
            self._locks = [from_row(Lock, row) for row in rows]
        return self._locks

    def check_locks(self) -> list[Problem]:
        """A Problem for every record of the batch that a lock in force covers (Lock records excepted)."""
        locks = self.locks_in_force()
        if not locks:
            return []
        problems = []
        for i, rec in enumerate(self.batch):
            if isinstance(rec, Lock):
                continue  # locking and unlocking are what a lock allows
            study, visit = self.scope_of(rec)
            for lk in locks:
                if lk.study_id == study and (lk.visit_id is None or lk.visit_id == visit):
                    problems.append(Problem(label_of(self.batch, i, "id"), rec.id,
                                            f"a record no lock covers: {lk.describe()}"))
                    break
        return problems

    def scope_of(self, rec: TableRecord) -> tuple[str | None, str | None]:
        """(study id, visit id) a record belongs to, following its references."""
        if isinstance(rec, Study):
            return rec.id, None
        visit_id = rec.id if isinstance(rec, Visit) else getattr(rec, "visit_id", None)
        session = rec if isinstance(rec, Session) else None
        session_id = getattr(rec, "session_id", None)
        run_id = getattr(rec, "run_id", None)
        if session is None and session_id is None and run_id is not None:
            run = self.lookup("runs", run_id)
            session_id = run.session_id if run is not None else None
        if session is None and session_id is not None:
            session = self.lookup("sessions", session_id)
        if visit_id is None and session is not None:
            visit_id = session.visit_id
        pid = rec.id if isinstance(rec, Participant) else getattr(rec, "participant_id", None)
        if pid is None and session is not None:
            pid = session.participant_id
        if pid is None and visit_id is not None:
            visit = self.lookup("visits", visit_id)
            pid = visit.participant_id if visit is not None else None
        study = getattr(rec, "study_id", None)
        if study is None and pid is not None:
            participant = self.lookup("participants", pid)
            study = participant.study_id if participant is not None else None
        return study, visit_id
