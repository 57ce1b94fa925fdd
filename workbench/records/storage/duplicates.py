"""The duplicate check on outcome assessments: one exam saved twice is refused (issue 22).

A batch rule (``rules.BatchContext.check_rules`` calls it): it compares the
batch with the stored rows, so it lives in storage, not in the record type.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from ...errors import Problem
from ..types.outcome import OutcomeAssessment
from .tables import TABLES

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
