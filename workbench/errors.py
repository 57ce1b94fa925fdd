"""Exceptions that speak to the user.

Every error raised at a public boundary names the field, the value received and
what is allowed, so a clinician or engineer can fix the input without reading
code. :class:`ValidationError` collects *every* problem of one input at once:
a form with three bad fields reports three problems, not the first one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable


class WorkbenchError(Exception):
    """Base class of every error the workbench raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One invalid field: where, what was received, what is allowed."""

    field: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        return f"{self.field}: got {self.value!r}; allowed: {self.allowed}"


class ValidationError(WorkbenchError, ValueError):
    """Input that breaks one or more rules; lists every problem found.

    Parameters
    ----------
    problems : iterable of Problem
        Every invalid field, in the order they were found.
    what : str
        What was being validated, e.g. ``"Participant"`` or ``"ISNCSCI exam"``.
    """

    def __init__(self, problems: Iterable[Problem], what: str = "input") -> None:
        self.problems = tuple(problems)
        self.what = what
        if not self.problems:
            raise ValueError("ValidationError needs at least one Problem")
        lines = "\n".join(f"  - {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(f"invalid {what} ({n} problem{'s' * (n != 1)}):\n{lines}")

    def __reduce__(self):
        # Pickled with its problems (a recalibration in a helper process raises it in the session's), not
        # re-made from the message as an exception's args would be.
        return type(self), (self.problems, self.what)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(p.field for p in self.problems)


class StreamNotFoundError(WorkbenchError, LookupError):
    """No LSL stream matched what was asked for within the time allowed."""


class RecordingFileError(WorkbenchError, OSError):
    """A recording file is missing, unreadable, truncated or holds no signal."""


class ConflictError(WorkbenchError):
    """A record was changed by someone else since it was read (optimistic lock)."""


class PermissionDeniedError(WorkbenchError, PermissionError):
    """The user's role does not allow this action."""
