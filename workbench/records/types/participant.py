"""Participants (pseudonymised) and their informed consent."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ...errors import Problem
from .base import Record, TableRecord, date_order
from .fields import LABEL, id_field, spec
from .identifiers import DEFAULT_PATTERNS

#: Neurological levels, ISNCSCI 2019 (Rupp et al. 2021, Top Spinal Cord Inj Rehabil 27(2):1-22).
LEVELS = (
    tuple(f"C{i}" for i in range(1, 9))
    + tuple(f"T{i}" for i in range(1, 13))
    + tuple(f"L{i}" for i in range(1, 6))
    + ("S1", "S2", "S3", "S4_5")
)
#: ASIA Impairment Scale grades (ISNCSCI 2019, same source).
AIS_GRADES = ("A", "B", "C", "D", "E")
#: A pseudonym is a study code such as ``SCI-001``: letters, a hyphen, digits.
#: Requiring digits and refusing spaces keeps a typed name from becoming a key.
PSEUDONYM = r"[A-Z]{2,5}-[0-9]{3,4}"  # identifiers.DEFAULT_PATTERNS["pseudonym"]; a study may set its own


@dataclasses.dataclass(frozen=True, kw_only=True)
class Participant(TableRecord):
    """A trial participant, known by pseudonym only.

    No name, birth date or other direct identifier is accepted (see
    ``Record.IDENTIFYING``): ages are whole years, and 90 stands for "90 or
    older", as HIPAA's Safe Harbor rule requires for ages over 89
    (45 CFR 164.514(b)(2)(i)(C)).
    """

    TABLE: ClassVar[str] = "participants"
    IDENTIFYING: ClassVar[frozenset[str]] = Record.IDENTIFYING | {"name"}

    id: str = spec("str", label="pseudonym (study code, never a name)", pattern=PSEUDONYM, code="pseudonym")
    study_id: str = spec("str", label="protocol identifier", ref="studies")
    site_id: str = spec("str", label="site code", ref="sites")
    arm: str = spec("str", label="study arm (one of the study's arms)", pattern=LABEL)
    enrolment_date: object = spec("date", label="enrolment date")
    withdrawal_date: object = spec("date", required=False, label="withdrawal date")
    injury_date: object = spec("date", label="date of spinal cord injury")
    injury_level: str = spec("str", label="neurological level of injury (ISNCSCI)", choices=LEVELS)
    baseline_ais: str = spec("str", label="ASIA Impairment Scale grade at baseline", choices=AIS_GRADES)
    age_years: int = spec("int", required=False, label="age at enrolment (90 = 90 or older)", min=0, max=90,
                          unit="years")
    sex: str = spec("str", required=False, label="sex", choices=("F", "M", "X"))

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        return date_order(self, bad, "injury_date", "enrolment_date") + date_order(
            self, bad, "enrolment_date", "withdrawal_date"
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Consent(TableRecord):
    """Written informed consent (ICH E6(R2) 4.8; ISO 14155:2020 5.8)."""

    TABLE: ClassVar[str] = "consents"

    id: str = id_field()
    participant_id: str = spec("str", label="pseudonym", ref="participants")
    form_version: str = spec("str", label="consent form version",
                              pattern=DEFAULT_PATTERNS["consent_form"], code="consent_form")
    consent_date: object = spec("date", label="date consent was signed")
    withdrawn_date: object = spec("date", required=False, label="date consent was withdrawn")
    data_sharing: bool = spec("bool", label="agreed to sharing of pseudonymised data")
    notes: str = spec("str", required=False, label="notes", free_text=True)

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        return date_order(self, bad, "consent_date", "withdrawn_date")
