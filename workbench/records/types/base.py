"""The base of every record type: validation at construction, plain conversions."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, ClassVar, Iterator

from ...errors import Problem, ValidationError
from .fields import Spec, check_value, to_plain
from .identifiers import checking_policy

#: Whether a record type has code fields (``Spec.code``), by type: decided once per type.
_CODED: dict[type, bool] = {}

#: Roles of the trial team (issue 5, item 4; issue 11 adds data manager, sponsor and the
#: allocation role, ``allocator``, who alone reads the allocation sequence and randomizes).
ROLES = ("investigator", "assessor", "engineer", "monitor", "data_manager", "sponsor", "allocator")
#: Roles that work across every site and hold no site of their own: the sponsor and the
#: monitor oversee all sites (ICH E6(R2) 5.18), the data manager cleans everyone's data, and
#: the allocator is the central randomization service of every site (CONSORT 2010 item 9).
CROSS_SITE_ROLES = frozenset({"monitor", "data_manager", "sponsor", "allocator"})
#: Roles that may only read: monitoring and sponsor oversight never change source data
#: (ICH E6(R2) 5.18.4(n): the monitor reports, the investigator corrects).
READ_ONLY_ROLES = frozenset({"monitor", "sponsor"})
#: Roles kept blind to the arm (outcome assessors, ICH E9 2.3.1; the rules: access/blinding.py).
BLINDED_ROLES = frozenset({"assessor"})
#: The allocation role: holds the seed, reads the sequence and randomizes. Deliberately not an
#: enrolling role (CONSORT 2010 item 10: who generates/holds the sequence and who enrols differ).
ALLOCATION_ROLES = frozenset({"allocator"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class Record:
    """A validated, immutable trial record.

    Subclasses declare their fields with :func:`~workbench.records.types.fields.spec`
    and may add cross-field rules in :meth:`_cross_check`. Construction raises
    one :class:`~workbench.errors.ValidationError` listing every invalid field.
    """

    #: Table name in the study database; ``None`` for records nested in another.
    TABLE: ClassVar[str | None] = None
    #: Roles allowed to create, update or delete this record type.
    WRITERS: ClassVar[frozenset[str]] = frozenset({"investigator"})

    #: Keyword arguments refused outright: they would identify a person
    #: (HIPAA 45 CFR 164.514(b)(2) identifiers; GDPR art. 4(5) pseudonymisation).
    IDENTIFYING: ClassVar[frozenset[str]] = frozenset(
        {"full_name", "first_name", "last_name", "surname", "given_name", "patient_name", "initials",
         "birth_date", "date_of_birth", "dob", "birthday", "address", "phone", "email", "ssn", "mrn",
         "insurance_number", "national_id"}
    )

    def __new__(cls, *args: Any, **kwargs: Any) -> "Record":
        refused = sorted(k for k in kwargs if k.lower() in cls.IDENTIFYING)
        if refused:
            raise ValidationError([_identifying(cls, k, kwargs[k]) for k in refused], what=cls.__name__)
        return super().__new__(cls)

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        for name, sp in self.specs():
            value = check_value(name, getattr(self, name), sp, problems)
            object.__setattr__(self, name, value)
        bad = {p.field.split("[")[0].split(".")[0] for p in problems}
        problems.extend(self._cross_check(bad))
        if problems:
            raise ValidationError(problems, what=type(self).__name__)
        cls = type(self)
        if cls not in _CODED:
            _CODED[cls] = any(sp.code for _, sp in self.specs())
        if _CODED[cls]:
            # Which identifier policy the codes were checked under (None: rebuilt from a stored row), so a
            # store re-checks only records made under another policy than the study's (storage/policy.py):
            # the shape screen costs ~30 us per code, as much again as the rest of a batch row's insert.
            object.__setattr__(self, "_codes_checked_under", checking_policy())

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        """Rules between fields; ``bad`` names fields already found invalid."""
        return []

    # -- introspection ---------------------------------------------------------
    @classmethod
    def specs(cls) -> Iterator[tuple[str, Spec]]:
        """(name, Spec) of every declared field, in declaration order."""
        for f in dataclasses.fields(cls):
            sp = f.metadata.get("spec")
            if sp is not None:
                yield f.name, sp

    @classmethod
    def spec_of(cls, name: str) -> Spec:
        for n, sp in cls.specs():
            if n == name:
                return sp
        raise KeyError(name)

    # -- conversions -------------------------------------------------------------
    @classmethod
    def from_mapping(cls, mapping: dict[str, Any]) -> "Record":
        """Build a record from a mapping (a CSV/JSON row), refusing unknown keys.

        Unknown keys are reported as problems, never silently dropped: a column
        such as ``name`` or ``birth_date`` in an import must stop the import.
        """
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        problems = []
        for key in mapping:
            if key.lower() in cls.IDENTIFYING:
                problems.append(_identifying(cls, key, mapping[key]))
            elif key not in known:
                problems.append(Problem(key, mapping[key], f"a field of {cls.__name__}: {', '.join(sorted(known))}"))
        if problems:
            raise ValidationError(problems, what=cls.__name__)
        return cls(**mapping)

    def to_plain(self) -> dict[str, Any]:
        """Canonical JSON-ready values of every declared field."""
        return {name: to_plain(getattr(self, name), sp) for name, sp in self.specs()}


def _identifying(cls: type, key: str, value: Any) -> Problem:
    return Problem(
        key, "<withheld>", f"no identifying field: {cls.__name__} holds pseudonymised data only "
        "(keep identities in the site's identification log, outside the workbench)"
    )


def date_order(record: Record, bad: set[str], earlier: str, later: str) -> list[Problem]:
    """A Problem when date field ``later`` precedes ``earlier`` (both set and valid)."""
    a, b = getattr(record, earlier), getattr(record, later)
    if earlier in bad or later in bad or a is None or b is None:
        return []
    if isinstance(a, date) and isinstance(b, date) and b < a:
        return [Problem(later, b.isoformat(), f"a date on or after {earlier} ({a.isoformat()})")]
    return []


@dataclasses.dataclass(frozen=True)
class User:
    """Who is acting: a name, one of :data:`ROLES` and the site they work at.

    A :class:`~workbench.records.Store` builds this from the account it logged
    in with (never from what someone declares); the name goes into every
    audit entry. ``site_id`` None means every site (the coordinating
    investigator, monitor, sponsor and data manager).
    """

    name: str
    role: str
    site_id: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > 80:
            problems.append(Problem("user.name", self.name, "a non-empty user name (at most 80 characters)"))
        if self.role not in ROLES:
            problems.append(Problem("user.role", self.role, "one of " + ", ".join(ROLES)))
        if problems:
            raise ValidationError(problems, what="User")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TableRecord(Record):
    """A record stored in its own table, with an ``id`` and an optimistic-lock ``version``.

    ``version`` is 0 for a record never saved; the store sets 1 on the first
    save and adds 1 on every update, refusing an update made from a stale copy.
    """

    TABLE: ClassVar[str]
    version: int = dataclasses.field(default=0)
