"""Data locks per visit and per study: a locked record refuses every write until unlocked.

Locking freezes the data that were reviewed (a visit after its assessments
are signed; the whole study at database lock before analysis, ICH E9 5.1 and
ICH E6(R2) 5.5.3 on data handling): the store refuses to add, change or
delete anything the lock covers, naming the lock. Unlocking is itself a
change to the Lock record (who, when, why), kept in the audit trail. Locking and
unlocking as the store's user: ``trail/locks.py``.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ...errors import Problem
from .base import TableRecord, date_order
from .fields import LABEL, id_field, spec

LOCK_SCOPES = ("visit", "study")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Lock(TableRecord):
    """A lock on one visit (``visit_id`` set) or on a whole study; in force until ``unlocked_at``."""

    TABLE: ClassVar[str] = "locks"
    WRITERS: ClassVar[frozenset[str]] = frozenset({"investigator", "data_manager"})

    id: str = id_field()
    study_id: str = spec("str", label="study locked (or the visit's study)", ref="studies")
    visit_id: str = spec("str", required=False, label="visit locked (None: the whole study)", ref="visits")
    locked_by: str = spec("str", label="locked by (user name)", pattern=LABEL)
    locked_at: object = spec("datetime", label="locked at (UTC)")
    reason: str = spec("str", label="why locked (e.g. visit signed, database lock)", pattern=LABEL)
    unlocked_by: str = spec("str", required=False, label="unlocked by (user name)", pattern=LABEL)
    unlocked_at: object = spec("datetime", required=False, label="unlocked at (UTC)")
    unlock_reason: str = spec("str", required=False, label="why unlocked", pattern=LABEL)

    @property
    def scope(self) -> str:
        return "visit" if self.visit_id is not None else "study"

    @property
    def in_force(self) -> bool:
        return self.unlocked_at is None

    def describe(self) -> str:
        what = f"visit {self.visit_id}" if self.visit_id else f"study {self.study_id}"
        return (f"{what} locked on {self.locked_at:%Y-%m-%d %H:%M} UTC by {self.locked_by} "
                f"({self.reason}); an investigator or data manager must unlock it first")

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        problems = date_order(self, bad, "locked_at", "unlocked_at")
        unlock = (self.unlocked_by, self.unlocked_at, self.unlock_reason)
        if not bad & {"unlocked_by", "unlocked_at", "unlock_reason"} and any(unlock) and not all(unlock):
            problems.append(Problem("unlocked_by/unlocked_at/unlock_reason", [str(v) if v else None for v in unlock],
                                    "all three to unlock (who, when, why), or none while locked"))
        return problems
