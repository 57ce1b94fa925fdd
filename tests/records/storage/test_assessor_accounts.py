"""The store refuses an outcome assessment whose assessor is no active account allowed to record outcomes,
on SQLite and PostgreSQL alike, whatever the way in (issue 22 checked it only in the dashboard's form)."""

from __future__ import annotations

import dataclasses

import pytest

from tests.records import factories as f
from tests.records.accounts import password_of
from workbench.errors import ValidationError
from workbench.records import OutcomeAssessment, UserAccount


def _refusal(store, record) -> str:
    with pytest.raises(ValidationError) as err:
        store.add(record)
    (problem,) = err.value.problems
    assert problem.field == "Assessor" and problem.value == record.assessor
    assert "active account" in problem.allowed and "assessor or investigator" in problem.allowed
    return problem.allowed


def test_an_assessor_who_is_no_account_or_may_not_record_outcomes_is_refused(store):
    f.seeded(store)
    store.add_account(UserAccount(id="e.zh", role="engineer", site_id="ZH"), password_of("e.zh"))
    assert "no account has this user name" in _refusal(store, f.assessment(assessor="someone.else"))
    assert "the account's role is engineer" in _refusal(store, f.assessment(assessor="e.zh"))
    assert store.find(OutcomeAssessment) == []
    # An assessor's account and an investigator's (the one signed in) may both be named.
    store.add_account(UserAccount(id="a.assessor", role="assessor", site_id="ZH"), password_of("a.assessor"))
    store.add(f.assessment(assessor="a.assessor"), f.assessment(assessor=store.user.name, total=13))
    assert len(store.find(OutcomeAssessment)) == 2


def test_a_deactivated_assessor_is_refused_for_new_assessments_and_kept_on_old_ones(store):
    f.seeded(store)
    store.add_account(UserAccount(id="a.assessor", role="assessor", site_id="ZH"), password_of("a.assessor"))
    (kept,) = store.add(f.assessment(assessor="a.assessor"))
    store.deactivate_account("a.assessor", reason="left the study")
    assert "the account is deactivated" in _refusal(store, f.assessment(assessor="a.assessor", total=13))
    # A correction of what they assessed keeps their name; naming them anew is refused.
    fixed = store.update(dataclasses.replace(kept, item_values={"level": 11}, scores={"total": 11}),
                         reason="level misread")
    assert fixed.assessor == "a.assessor" and fixed.version == 2
    other = store.add(f.assessment(assessor=store.user.name, total=14))[0]
    with pytest.raises(ValidationError, match="Assessor"):
        store.update(dataclasses.replace(other, assessor="a.assessor"), reason="wrong assessor picked")
    report = store.verify_audit()
    assert report.ok, report.summary()
