"""Visits: scheduled from the protocol, done (or missed) on an actual date."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import ClassVar

from ...errors import Problem
from .base import TableRecord
from .fields import CODE, id_field, spec

VISIT_STATUS = ("planned", "done", "missed")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Visit(TableRecord):
    """One participant's visit, with its window copied from the study's schedule.

    A visit done outside ``[scheduled_date - window_before, scheduled_date +
    window_after]`` needs a :class:`~workbench.records.ProtocolDeviation`
    (ICH E3 10.2); the store refuses it otherwise.
    """

    TABLE: ClassVar[str] = "visits"
    WRITERS: ClassVar[frozenset[str]] = frozenset({"investigator", "assessor"})

    id: str = id_field()
    participant_id: str = spec("str", label="pseudonym", ref="participants")
    name: str = spec("str", label="visit name (from the study's schedule)", pattern=CODE)
    scheduled_date: object = spec("date", label="scheduled date (enrolment + target day)")
    window_before: int = spec("int", label="days allowed before the scheduled date", min=0, max=365, unit="days")
    window_after: int = spec("int", label="days allowed after the scheduled date", min=0, max=365, unit="days")
    status: str = spec("str", label="visit status", choices=VISIT_STATUS)
    actual_date: object = spec("date", required=False, label="date the visit took place")
    notes: str = spec("str", required=False, label="notes", free_text=True)

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        if "status" in bad or "actual_date" in bad:
            return []
        if self.status == "done" and self.actual_date is None:
            return [Problem("actual_date", None, "a date when status is 'done'")]
        if self.status != "done" and self.actual_date is not None:
            return [Problem("actual_date", self.actual_date.isoformat(), f"None when status is {self.status!r}")]
        return []

    @property
    def window(self) -> tuple[date, date]:
        """First and last day of the visit window."""
        return (
            self.scheduled_date - timedelta(days=self.window_before),
            self.scheduled_date + timedelta(days=self.window_after),
        )

    @property
    def in_window(self) -> bool | None:
        """True/False once done; None while planned or missed."""
        if self.actual_date is None:
            return None
        first, last = self.window
        return first <= self.actual_date <= last
