"""Consent gates the work: no session, run, assessment or completed visit without consent in force."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.records import factories as f
from workbench.errors import ValidationError
from workbench.records import Consent, OutcomeAssessment, Run, Session, Visit
from workbench.records.types.consent import consent_overview, consent_status, status_from
from tests.budget import examples

DAY0 = date(2026, 1, 1)


def _consent(signed: int, withdrawn: int | None = None, pid: str = "SCI-001", **kw) -> Consent:
    return Consent(participant_id=pid, form_version=kw.pop("form_version", "ICF v1"),
                   consent_date=DAY0 + timedelta(days=signed),
                   withdrawn_date=None if withdrawn is None else DAY0 + timedelta(days=withdrawn),
                   data_sharing=True, **kw)


@settings(max_examples=examples(200), deadline=None)
@given(signed=st.integers(0, 60), withdrawn_after=st.one_of(st.none(), st.integers(0, 60)),
       day=st.integers(-10, 130))
def test_in_force_exactly_from_signature_until_withdrawal(signed, withdrawn_after, day):
    withdrawn = None if withdrawn_after is None else signed + withdrawn_after
    on = DAY0 + timedelta(days=day)
    status = status_from([_consent(signed, withdrawn)], "SCI-001", on)
    naive = signed <= day and (withdrawn is None or day < withdrawn)
    assert status.in_force is naive
    assert status.state == ("in force" if naive else "not yet given" if day < signed else "withdrawn")


def test_a_re_consent_supersedes_a_withdrawn_one_and_others_consents_do_not_count():
    consents = [_consent(0, 10), _consent(20, form_version="ICF v2"), _consent(0, pid="SCI-002")]
    assert status_from(consents, "SCI-001", DAY0 + timedelta(days=15)).state == "withdrawn"
    later = status_from(consents, "SCI-001", DAY0 + timedelta(days=25))
    assert later.in_force and later.consent.form_version == "ICF v2"
    assert status_from(consents, "SCI-003", DAY0).state == "none"


def _session(pid="SCI-001", day=90):
    when = datetime.combine(f.ENROLMENT + timedelta(days=day), datetime.min.time(), timezone.utc)
    return Session(participant_id=pid, started_at=when, device="amp", montage="16 ch", operator="e.ngineer")


def _data(pid="SCI-001", day=84):
    """A completed visit, its assessment, a session and a run, all dated ``day`` after enrolment."""
    visit = f.visit(pid, "week12", delay_days=day - 84)
    session = _session(pid, day)
    return [visit, f.assessment(pid, visit.id, assessed_on=visit.actual_date), session,
            Run(session_id=session.id, number=1, task="rest")]


def test_without_consent_every_data_record_is_refused_and_nothing_written(store):
    store.add(f.study(), f.site(), f.participant())
    with pytest.raises(ValidationError) as info:
        store.add(*_data())
    problems = {p.field: p for p in info.value.problems}
    assert set(problems) == {"Visit[0].actual_date", "OutcomeAssessment[1].assessed_on",
                             "Session[2].started_at", "Run[3].session_id"}
    assert all("no informed consent recorded" in p.allowed and "ICH E6(R2) 4.8.8" in p.allowed
               for p in problems.values())
    assert store.find(Visit) == [] and store.find(Session) == [] and store.find(OutcomeAssessment) == []


def test_consent_saved_in_the_same_batch_counts_and_planned_visits_need_none(store):
    store.add(f.study(), f.site(), f.participant())
    store.add(f.visit(status="planned", actual_date=None))  # planning is not a procedure
    store.add(f.consent(), *_data())
    assert len(store.find(Session)) == 1 and len(store.find(Run)) == 1


def test_data_before_the_signature_is_refused(store):
    store.add(f.study(), f.site(), f.participant(), f.consent(consent_date=f.ENROLMENT + timedelta(days=10)))
    with pytest.raises(ValidationError) as info:
        store.add(f.assessment(assessed_on=f.ENROLMENT + timedelta(days=9)))
    (p,) = info.value.problems
    assert p.field == "assessed_on" and "not yet given" in p.allowed
    store.add(f.assessment(assessed_on=f.ENROLMENT + timedelta(days=10)))


def test_withdrawal_stops_new_data_but_earlier_data_can_still_be_corrected(store):
    (p,) = f.seeded(store)
    (early,) = store.add(f.assessment(assessed_on=f.ENROLMENT + timedelta(days=30)))
    (consent,) = store.find(Consent, participant_id=p.id)
    withdrawn_on = f.ENROLMENT + timedelta(days=60)
    store.update(dataclasses.replace(consent, withdrawn_date=withdrawn_on), reason="participant withdrew")
    for day in (60, 61, 200):  # on the withdrawal date and after
        with pytest.raises(ValidationError) as info:
            store.add(f.assessment(assessed_on=f.ENROLMENT + timedelta(days=day)))
        assert "withdrawn on " + withdrawn_on.isoformat() in info.value.problems[0].allowed
    with pytest.raises(ValidationError):
        store.add(_session(day=61))
    fixed = store.update(dataclasses.replace(early, item_values={"level": 13}, scores={"total": 13}),
                         reason="level misread")
    assert fixed.version == 2
    assert consent_status(store, p.id, on=withdrawn_on - timedelta(days=1)).in_force
    assert consent_status(store, p, on=withdrawn_on).state == "withdrawn"


def test_a_run_is_dated_by_its_own_start_when_given(store):
    (p,) = f.seeded(store)
    (session,) = store.add(_session(day=10))
    (consent,) = store.find(Consent)
    store.update(dataclasses.replace(consent, withdrawn_date=f.ENROLMENT + timedelta(days=11)), reason="withdrew")
    late = datetime.combine(f.ENROLMENT + timedelta(days=11), datetime.min.time(), timezone.utc)
    with pytest.raises(ValidationError) as info:
        store.add(Run(session_id=session.id, number=2, task="rest", started_at=late))
    assert info.value.fields == ("started_at",)
    store.add(Run(session_id=session.id, number=1, task="rest"))


def test_demo_study_consent_query_and_overview(tmp_path):
    from workbench.records.demo import open_demo_store

    store = open_demo_store(tmp_path, role="monitor")
    try:
        assert consent_status(store, "SCI-004", on=date(2026, 6, 8)).in_force
        withdrawn = consent_status(store, "SCI-004", on=date(2026, 6, 9))
        assert withdrawn.state == "withdrawn" and "withdrawn on 2026-06-09" in withdrawn.describe()
        with pytest.raises(ValidationError):
            consent_status(store, "SCI-999", on=date(2026, 6, 9))
        frame = consent_overview(store, on=date(2026, 7, 1))
    finally:
        store.close()
    assert dict(zip(frame.participant_id, frame.state)) == {
        "SCI-001": "in force", "SCI-002": "in force", "SCI-003": "in force", "SCI-004": "withdrawn"}
