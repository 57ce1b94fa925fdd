"""The study protocol and its sites."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import ClassVar

from ...errors import Problem, ValidationError
from .base import Record, TableRecord
from .fields import CODE, LABEL, spec
from .identifiers import DEFAULT_PATTERNS


@dataclasses.dataclass(frozen=True, kw_only=True)
class VisitDefinition(Record):
    """One visit of the protocol's schedule: a target day after enrolment and its window.

    Visit windows as in ICH E6(R2) 6.4.3 ("expected duration of subject
    participation, and a description of the sequence and duration of all trial
    periods"); a visit outside its window is a protocol deviation (ICH E3 10.2).
    """

    name: str = spec("str", label="visit name", pattern=CODE)
    target_day: int = spec("int", label="target day after enrolment", min=0, max=3650, unit="days")
    window_before: int = spec("int", label="days allowed before the target day", min=0, max=365, unit="days")
    window_after: int = spec("int", label="days allowed after the target day", min=0, max=365, unit="days")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Study(TableRecord):
    """A trial protocol: its id, arms and visit schedule."""

    TABLE: ClassVar[str] = "studies"

    id: str = spec("str", label="protocol identifier", pattern=CODE, code="record_id")
    title: str = spec("str", label="short study title", pattern=LABEL)
    arms: tuple = spec("strs", label="study arms", pattern=CODE)
    visit_schedule: tuple = spec("nested", label="visit schedule", item=VisitDefinition)

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        if "visit_schedule" in bad:
            return []
        names = [v.name for v in self.visit_schedule]
        if len(set(names)) != len(names):
            return [Problem("visit_schedule", names, "distinct visit names")]
        return []

    def plan_visits(self, participant) -> list:
        """The participant's visits as planned by the schedule (enrolment + target day).

        Returns new :class:`~workbench.records.Visit` records with status
        ``"planned"``, ready for ``store.add``.
        """
        from .visit import Visit

        if participant.study_id != self.id:
            raise ValidationError([Problem("participant.study_id", participant.study_id, f"{self.id!r}")],
                                  what="visit plan")
        return [
            Visit(participant_id=participant.id, name=v.name,
                  scheduled_date=participant.enrolment_date + timedelta(days=v.target_day),
                  window_before=v.window_before, window_after=v.window_after, status="planned")
            for v in self.visit_schedule
        ]

    def visit_definition(self, name: str) -> VisitDefinition | None:
        """The schedule entry called ``name``, or None."""
        return next((v for v in self.visit_schedule if v.name == name), None)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Site(TableRecord):
    """A clinical site taking part in a study."""

    TABLE: ClassVar[str] = "sites"

    id: str = spec("str", label="site code", pattern=DEFAULT_PATTERNS["site"], code="site")
    study_id: str = spec("str", label="protocol identifier", ref="studies")
    name: str = spec("str", label="institution name", pattern=LABEL)
    country: str = spec("str", label="country (ISO 3166-1 alpha-2)", pattern=r"[A-Z]{2}")
