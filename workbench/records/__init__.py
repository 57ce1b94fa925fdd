"""Trial records: validated record types, the study store and its audit trail.

One record type per domain object (``Study``, ``Site``, ``Participant``,
``Consent``, ``Visit``, ``Session``, ``Run``, ``Trial``,
``OutcomeAssessment``, ``AdverseEvent``, ``DeviceDeficiency``,
``ProtocolDeviation``). Each is a frozen dataclass validated when it is made:
every invalid field is listed in one :class:`~workbench.errors.ValidationError`.
:class:`Store` is the one way in and out of storage (SQLite in the workspace or
PostgreSQL via ``WORKBENCH_DB_URL``), opened by logging in with a user name and
password (argon2 hashes); every write checks the account's role and site and
appends entries chained by HMAC-SHA-256 (key outside the database) to the
audit trail in the same transaction.

How to save an OutcomeAssessment (what the outcomes forms call)::

    from datetime import date
    from workbench.records import Store, OutcomeAssessment

    store = Store(user="a.assessor", password=password)  # workspace database; role and site from the account
    exam = OutcomeAssessment(
        participant_id="SCI-001",            # the pseudonym, never a name
        visit_id=visit.id,                   # optional: the Visit it belongs to
        instrument="WISCI-II",               # instrument id ...
        instrument_version="II",             # ... and version, as the registry knows them
        assessor="a.assessor",
        assessed_on=date(2026, 3, 2),
        item_values={"level": 12},           # raw item values (JSON scalars)
        scores={"total": 12},                # must equal workbench.outcomes' recomputed scores
    )
    (saved,) = store.add(exam)               # saved.version == 1
    fixed = store.update(                    # any later change needs a reason
        dataclasses.replace(saved, item_values={"level": 13}, scores={"total": 13}),
        reason="level misread on the form")

An assessment whose instrument or version the registry does not know, whose
items are out of range, or whose scores differ from those recomputed from the
items is refused (``scores={"total": 13}`` with ``level`` 12 would be).

``store.add(a, b, ...)`` writes several records in one transaction (all or
nothing); ``store.update`` raises :class:`~workbench.errors.ConflictError` when
someone else changed the record since it was read.

Roles: investigators write everything; assessors write visits and outcome
assessments; engineers write sessions, runs, trials and device deficiencies;
monitors and sponsors only read. Only active account holders act, only in the
role their account holds, and site staff only on their own site's participants
(``Store.create_first_account`` makes the first, an investigator; investigators
add the rest with ``Store.add_account``). The demo study's accounts come from
``workbench.records.demo.open_demo_store``.

Codes (pseudonyms, site codes, consent ids, device, montage and task labels)
follow the study's identifier policy, stored in the study database: a
study-wide investigator sets it with ``Store.set_identifier_policy`` (or
``workbench db policy set``, with a reason, in the trail), every role reads it
(``Store.identifier_policy``), and every write of every store is checked
against it (``types/identifiers.py`` says how).

Layout, imports pointing one way (tests/records/test_layout.py keeps it so)::

    types/    the record types, their fields, base and identifier rules
    storage/  tables, rows, batch rules, queries, engines, migrations
    trail/    the keyed audit trail, keys, signing, anchors, locks, signatures
    access/   logins, lockout, accounts, sites, blinding, PostgreSQL roles
    store.py, export.py, odm.py, demo.py   the facade over all four

types -> storage -> trail -> access -> facade: each layer imports only those
before it (each sub-package's docstring says why it sits where it does).
Outside the package, what this module exports is imported from here, not from
the sub-module that defines it.
"""

from __future__ import annotations

from .access.auth import AuthenticationError
from .storage.tables import RECORD_TYPES
from .store import Store
from .trail.anchors import Anchor
from .trail.audit import AuditEntry
from .trail.findings import AuditFinding, AuditReport
from .types.account import UserAccount
from .types.analysis import REANALYSIS_STATUSES, Reanalysis, ReanalysisTrial
from .types.base import BLINDED_ROLES, ROLES, Record, TableRecord, User
from .types.consent import ConsentStatus, consent_status
from .types.lock import Lock
from .types.outcome import OutcomeAssessment
from .types.identifiers import IdentifierPolicy
from .types.participant import AIS_GRADES, LEVELS, Consent, Participant
from .types.policy import StoredIdentifierPolicy
from .types.randomization import Allocation, AllocationSequence
from .types.safety import AdverseEvent, DeviceDeficiency, ProtocolDeviation
from .types.session import GATE_DECISIONS, RecordingFile, Run, RunMetrics, SafetyEvent, Session, Trial
from .types.signature import Signature, SignedVersion
from .types.study import Site, Study, VisitDefinition
from .types.visit import Visit

__all__ = [
    "AIS_GRADES", "BLINDED_ROLES", "GATE_DECISIONS", "LEVELS", "RECORD_TYPES", "ROLES", "AdverseEvent", "AuditEntry", "AuditFinding", "AuditReport",
    "Consent", "DeviceDeficiency", "OutcomeAssessment", "Participant", "ProtocolDeviation", "Record",
    "RecordingFile", "Run", "RunMetrics", "SafetyEvent", "Session", "Site", "Store", "Study", "TableRecord", "Trial", "User", "UserAccount", "Visit",
    "VisitDefinition",
    "ConsentStatus", "Lock", "Signature", "SignedVersion", "consent_status", "Allocation", "AllocationSequence",
    "REANALYSIS_STATUSES", "Reanalysis", "ReanalysisTrial",
    "Anchor", "AuthenticationError", "IdentifierPolicy", "StoredIdentifierPolicy",
]
