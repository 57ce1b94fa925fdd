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


#: What makes two assessments the same one (a double click, a second Save of an unchanged form).
SAME_ASSESSMENT = ("instrument", "participant_id", "visit_id", "item_values")


def duplicate_problems(ctx, label) -> list[Problem]:
    """An OutcomeAssessment of the batch that repeats a stored one (or one earlier in the batch) exactly.

    Same instrument, participant, visit and item values is one assessment
    saved twice (issue 22: a double click on Save made three identical rows
    for one visit, and every change-from-baseline table counted it three
    times). A true repeat differs in some value; a correction is an update of
    the stored record with a reason. ``ctx`` is the store's BatchContext,
    ``label(i, field)`` names a field of the batch's i-th record.
    """
    import sqlalchemy as sa

    from ..tables import TABLES

    table = TABLES[OutcomeAssessment.TABLE]
    mine = [(i, r) for i, r in enumerate(ctx.batch) if isinstance(r, OutcomeAssessment) and r.visit_id is not None]
    # Without a visit there is no "this visit" to have been assessed twice (the forms always ask for one).
    if not mine:
        return []
    stored: dict[str, list] = {}
    visits = sorted({r.visit_id for _, r in mine})
    instruments = sorted({r.instrument for _, r in mine})
    cols = [table.c[f] for f in ("id", "assessed_on", "assessor", *SAME_ASSESSMENT)]
    for k in range(0, len(visits), 500):  # one query per 500 visits: batches of machine-made rows stay cheap
        # Plain rows, not records: re-validating each stored record would rescore every ISNCSCI exam.
        query = sa.select(*cols).where(table.c.visit_id.in_(visits[k:k + 500]), table.c.instrument.in_(instruments))
        for row in ctx.conn.execute(query).mappings():
            stored.setdefault(row["visit_id"], []).append(_Stored(**row))
    problems: list[Problem] = []
    earlier: list[OutcomeAssessment] = []
    for i, rec in mine:
        same = next((o for o in earlier if _same(o, rec)), None)
        earlier.append(rec)
        if same is None:
            same = next((o for o in stored.get(rec.visit_id, ()) if o.id != rec.id and _same(o, rec)), None)
        if same is not None:
            where = f"visit {rec.visit_id!r}"
            problems.append(Problem(
                label(i, "item_values"), "the same values",
                f"an assessment not yet stored: {rec.instrument} of {rec.participant_id} at {where} with these "
                f"item values is stored already ({same.id}, assessed on {same.assessed_on}, by {same.assessor}); "
                "same instrument, participant, visit and item values is one assessment saved twice. To change "
                "it, update that record with a reason (a correction); a repeat of the test has its own values"))
    return problems


@dataclasses.dataclass(frozen=True)
class _Stored:
    """The columns of a stored assessment the duplicate check reads."""

    id: str
    assessed_on: object
    assessor: str
    instrument: str
    participant_id: str
    visit_id: str
    item_values: dict


def _same(a, b: OutcomeAssessment) -> bool:
    # Dict equality, so 3 and 3.0 (a JSON round trip) are the same value.
    return all(getattr(a, f) == getattr(b, f) for f in SAME_ASSESSMENT)
