"""The study's identifier policy as a stored record (issue 24, item 7).

The patterns that codes are checked against (:mod:`.identifiers`) belong to
the study, not to whoever runs the workbench: stored in the study database
(migration 0014, one row), written through the store's keyed trail like every
record, so the database itself says which patterns it was kept under and who
changed them, when and why. ``Store.set_identifier_policy`` writes it,
``Store.identifier_policy`` reads it (every role).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from .base import TableRecord
from .fields import spec
from .identifiers import IdentifierPolicy

#: The one row's id: one policy per study database.
POLICY_ID = "study"


@dataclasses.dataclass(frozen=True, kw_only=True)
class StoredIdentifierPolicy(TableRecord):
    """The identifier policy a study database is kept under: every code kind's pattern, and the shown labels.

    All kinds are stored (defaults included), so a later workbench whose
    defaults differ still applies the patterns the study chose.
    """

    TABLE: ClassVar[str] = "identifier_policy"
    #: Changing the patterns decides what every site may write: the investigator's alone.
    WRITERS: ClassVar[frozenset[str]] = frozenset({"investigator"})

    id: str = spec("str", label="policy", choices=(POLICY_ID,), default=POLICY_ID)
    patterns: dict = spec("json", label="regular expression per code kind")
    shown_labels: tuple | None = spec("strs", required=False, label="'table.field' labels exported with spaces",
                                      pattern=r"[a-z_]+\.[a-z_0-9]+")

    def _cross_check(self, bad: set[str]) -> list:
        if bad:
            return []
        from ...errors import Problem, ValidationError

        try:
            self.policy()
        except ValidationError as err:  # named by this record's field; the kind stays in the message
            return [Problem(p.field.split(".")[0], p.value,
                            p.allowed if "." not in p.field else f"{p.field}: {p.allowed}") for p in err.problems]
        return []

    def policy(self) -> IdentifierPolicy:
        """The :class:`~.identifiers.IdentifierPolicy` this row holds."""
        return IdentifierPolicy(patterns=dict(self.patterns), shown_labels=frozenset(self.shown_labels or ()))

    @classmethod
    def of(cls, policy: IdentifierPolicy, **kw) -> "StoredIdentifierPolicy":
        """The row holding ``policy`` (every kind's pattern written out)."""
        return cls(patterns=dict(policy.patterns), shown_labels=tuple(sorted(policy.shown_labels)) or None, **kw)
