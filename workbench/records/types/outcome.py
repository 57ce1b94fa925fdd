"""Outcome assessments: an instrument's item values and the scores computed from them."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ...errors import Problem
from .base import TableRecord
from .fields import CODE, LABEL, id_field, spec
from .identifiers import DEFAULT_PATTERNS


@dataclasses.dataclass(frozen=True, kw_only=True)
class OutcomeAssessment(TableRecord):
    """One administration of an outcome instrument (ISNCSCI, SCIM III, WISCI II, ...).

    Scoring is the job of :mod:`workbench.outcomes`; this record keeps the
    instrument id and version with the raw item values and the computed scores,
    and is refused when they disagree: the instrument and version must be in
    the registry (:func:`workbench.outcomes.instruments.known_instruments`),
    every item known and in range, and every score equal to the one
    recomputed from the items. Problems are labelled as the form shows them.
    """

    TABLE: ClassVar[str] = "outcome_assessments"
    WRITERS: ClassVar[frozenset[str]] = frozenset({"investigator", "assessor"})

    id: str = id_field()
    participant_id: str = spec("str", label="pseudonym", ref="participants")
    visit_id: str = spec("str", required=False, label="visit identifier", ref="visits")
    instrument: str = spec("str", label="instrument identifier (e.g. SCIM-III)", pattern=CODE)
    instrument_version: str = spec("str", label="instrument version", pattern=LABEL)
    assessor: str = spec("str", label="assessor (staff user name)",
                        pattern=DEFAULT_PATTERNS["staff"], code="staff")
    assessed_on: object = spec("date", label="date of assessment")
    item_values: dict = spec("json", label="item values (item id -> value)")
    scores: dict = spec("json", label="computed scores (score name -> value)")
    notes: str = spec("str", required=False, label="notes", free_text=True)

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        if bad & {"instrument", "instrument_version", "item_values", "scores"}:
            return []
        from ...outcomes.instruments import check_assessment

        return check_assessment(self.instrument, self.instrument_version, self.item_values, self.scores)
