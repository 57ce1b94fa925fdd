"""What every entry model shares: change listeners and the save details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from ...errors import Problem


class Listeners:
    """Callbacks run after every change of a model (the views redraw there)."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[], None]] = []

    def add(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def notify(self) -> None:
        for callback in list(self._callbacks):
            callback()


@dataclass(frozen=True)
class SaveDetails:
    """Who assessed whom and when: needed before a form can be saved."""

    participant_id: str | None
    visit_id: str | None
    assessor: str | None
    assessed_on: date | None

    def problems(self) -> list[Problem]:
        out = []
        if not self.participant_id:
            out.append(Problem("participant_id", self.participant_id, "the participant's pseudonym"))
        if not self.assessor:
            out.append(Problem("assessor", self.assessor, "the assessor's user name"))
        if not isinstance(self.assessed_on, date):
            out.append(Problem("assessed_on", self.assessed_on, "the date of the assessment"))
        return out


def empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
