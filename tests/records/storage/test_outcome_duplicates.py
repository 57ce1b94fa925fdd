"""The store refuses the same assessment saved twice, on SQLite and PostgreSQL alike (issue 22)."""

from __future__ import annotations

import dataclasses

import pytest

from tests.records import factories as f
from workbench.errors import ValidationError
from workbench.records import OutcomeAssessment


def test_the_same_assessment_twice_is_refused_and_a_correction_is_an_update(store):
    f.seeded(store)
    (visit,) = store.add(f.visit())
    (first,) = store.add(f.assessment(visit_id=visit.id, total=12))
    with pytest.raises(ValidationError) as err:
        store.add(f.assessment(visit_id=visit.id, total=12))  # a second click on Save
    (problem,) = err.value.problems
    assert problem.field == "item_values" and first.id in problem.allowed and visit.id in problem.allowed
    assert [a.id for a in store.find(OutcomeAssessment)] == [first.id]
    # A repeat with its own values is kept; a correction changes the stored record, with a reason.
    store.add(f.assessment(visit_id=visit.id, total=13))
    fixed = store.update(dataclasses.replace(first, item_values={"level": 11}, scores={"total": 11}),
                         reason="level misread")
    assert fixed.version == 2 and len(store.find(OutcomeAssessment)) == 2
    # A correction that would make it a copy of the repeat is refused too.
    with pytest.raises(ValidationError, match="stored already"):
        store.update(dataclasses.replace(fixed, item_values={"level": 13}, scores={"total": 13}), reason="x")
