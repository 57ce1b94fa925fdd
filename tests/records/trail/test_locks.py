"""Data locks per visit and per study: locked records refuse every write with the lock named."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from tests.records import factories as f
from workbench.errors import ValidationError
from workbench.records import Consent, Lock, OutcomeAssessment, Participant, Run, Session, Visit
from workbench.records.trail.locks import lock_study, lock_visit, locks_in_force, unlock


def _two_visits(store):
    f.seeded(store)
    week12, base = f.visit(), f.visit(name="baseline")
    store.add(week12, base, f.assessment(visit_id=week12.id))
    return store.get(Visit, week12.id), store.get(Visit, base.id)


def _session(visit):
    started = datetime.combine(visit.actual_date, datetime.min.time(), timezone.utc) + timedelta(hours=9)
    return Session(participant_id=visit.participant_id, visit_id=visit.id, started_at=started, device="amp",
                   montage="16 ch", operator="e.ngineer")


def test_a_locked_visit_refuses_adds_changes_and_deletes(store):
    week12, base = _two_visits(store)
    (oa,) = store.find(OutcomeAssessment)
    lock = lock_visit(store, week12.id, reason="visit signed")
    assert lock.scope == "visit" and lock.locked_by == store.user.name and lock.study_id == "BCI-SCI-01"
    attempts = [
        lambda: store.add(f.assessment(visit_id=week12.id, total=3)),
        lambda: store.update(dataclasses.replace(oa, notes="late note"), reason="add a note"),
        lambda: store.update(dataclasses.replace(week12, notes="late note"), reason="add a note"),
        lambda: store.delete(oa, reason="entered in error"),
        lambda: store.add(_session(week12)),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as info:
            attempt()
        (p,) = info.value.problems
        assert f"visit {week12.id} locked on" in p.allowed and "visit signed" in p.allowed
    assert store.find(OutcomeAssessment) == [oa] and store.find(Session) == []
    store.add(f.assessment(visit_id=base.id, total=2, assessed_on=base.actual_date))  # other visits stay open


def test_runs_of_a_locked_visits_session_are_refused_too(store):
    week12, _ = _two_visits(store)
    (session,) = store.add(_session(week12))
    lock_visit(store, week12.id, reason="visit signed")
    with pytest.raises(ValidationError, match="locked on"):
        store.add(Run(session_id=session.id, number=1, task="rest"))


def test_unlock_needs_who_when_why_and_reopens_writing(store):
    week12, _ = _two_visits(store)
    lock = lock_visit(store, week12.id, reason="visit signed")
    opened = unlock(store, lock, reason="query from the monitor: date of the assessment")
    assert not opened.in_force and opened.unlocked_by == store.user.name and opened.version == 2
    assert locks_in_force(store) == []
    store.add(f.assessment(visit_id=week12.id, total=4))
    with pytest.raises(ValidationError):
        unlock(store, opened, reason="again")
    with pytest.raises(ValidationError) as info:
        dataclasses.replace(lock, unlocked_at=datetime.now(timezone.utc))  # who and why missing
    assert info.value.fields == ("unlocked_by/unlocked_at/unlock_reason",)
    trail = store.audit_trail(opened)
    assert {"unlocked_by", "unlock_reason"} <= set(trail.field.dropna())


def test_a_study_lock_freezes_every_record_of_the_study(store):
    week12, base = _two_visits(store)
    (participant,) = store.find(Participant)
    (consent,) = store.find(Consent)
    lock = lock_study(store, "BCI-SCI-01", reason="database lock for the primary analysis")
    assert lock.scope == "study"
    attempts = [
        lambda: store.update(dataclasses.replace(participant, sex="M"), reason="typo"),
        lambda: store.update(dataclasses.replace(consent, data_sharing=False), reason="changed mind"),
        lambda: store.add(f.assessment(visit_id=base.id, total=1, assessed_on=base.actual_date)),
        lambda: store.add(f.participant("SCI-002"), f.consent("SCI-002")),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as info:
            attempt()
        assert all("study BCI-SCI-01 locked on" in p.allowed for p in info.value.problems)
    assert len(store.find(Participant)) == 1
    unlock(store, lock, reason="analysis plan amended")
    store.update(dataclasses.replace(participant, sex="M"), reason="typo")
    assert store.verify_audit().ok
