"""The store: one transaction per write, role checks, references, versions."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from tests.records import factories as f
from tests.records.accounts import as_user
from workbench.errors import ConflictError, PermissionDeniedError, ValidationError, WorkbenchError
from workbench.records import (
    OutcomeAssessment, Participant, ProtocolDeviation, Session, Store, User, Visit,
)


def _count(store, table):
    with store.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def test_add_get_update_delete_roundtrip(store):
    (p,) = f.seeded(store)
    assert p.version == 1 and p == f.participant(version=1)
    v = f.visit()
    saved_v, saved_oa = store.add(v, f.assessment(visit_id=v.id, total=12))
    assert store.get(Visit, v.id) == saved_v
    changed = store.update(dataclasses.replace(saved_oa, item_values={"level": 13}, scores={"total": 13}),
                           reason="level misread")
    assert changed.version == 2 and store.get(OutcomeAssessment, saved_oa.id).scores == {"total": 13}
    assert store.find(OutcomeAssessment, participant_id="SCI-001") == [changed]
    store.delete(changed, reason="entered for the wrong participant")
    assert store.find(OutcomeAssessment) == []
    assert store.verify_audit().ok


def test_changes_after_first_save_need_a_reason(store):
    (p,) = f.seeded(store)
    for reason in ("", "   ", None, "typo\x00", "typo\ud800"):  # no database stores them: refused on both
        with pytest.raises(ValidationError) as err:
            store.update(dataclasses.replace(p, age_years=35), reason=reason)
        assert err.value.fields == ("reason",)
        with pytest.raises(ValidationError):
            store.delete(p, reason=reason)
    assert store.get(Participant, "SCI-001").age_years == 34


def test_stale_update_is_a_conflict_and_loses_nothing(store):
    (p,) = f.seeded(store)
    mine = store.update(dataclasses.replace(p, age_years=35), reason="typo")
    with pytest.raises(ConflictError, match="version 1.*version 2"):
        store.update(dataclasses.replace(p, sex="M"), reason="typo")
    with pytest.raises(ConflictError):
        store.delete(p, reason="duplicate")
    again = store.update(dataclasses.replace(store.get(Participant, p.id), sex="M"), reason="typo")
    assert (again.age_years, again.sex, again.version) == (35, "M", 3)
    assert mine.version == 2


def test_invalid_batch_lists_every_problem_and_writes_nothing(store):
    f.seeded(store)
    n_audit = _count(store, "audit_log")
    late = f.visit(delay_days=20)  # out of window, and no deviation
    bad = [
        f.participant("SCI-002", arm="placebo"),                       # not an arm of the study
        f.participant("SCI-001"),                                      # pseudonym already used
        f.visit(pid="SCI-999"),                                        # unknown participant
        late,
        f.assessment(visit_id="no-such-visit"),                       # unknown visit
    ]
    with pytest.raises(ValidationError) as err:
        store.add(*bad)
    fields = set(err.value.fields)
    assert fields == {"Participant[0].arm", "Participant[1].id", "Visit[2].participant_id",
                      "Visit[3].actual_date", "OutcomeAssessment[4].visit_id"}
    assert "SCI-999" in str(err.value) and "ProtocolDeviation" in str(err.value)
    assert _count(store, "participants") == 1 and _count(store, "visits") == 0
    assert _count(store, "audit_log") == n_audit


def test_out_of_window_visit_is_accepted_with_a_deviation(store):
    f.seeded(store)
    late = f.visit(delay_days=20)
    dev = ProtocolDeviation(participant_id="SCI-001", visit_id=late.id, category="visit out of window",
                            occurred_on=late.actual_date, grade="minor")
    store.add(late, dev)
    assert store.get(Visit, late.id).in_window is False
    assert store.frame(Visit).in_window.tolist() == [False]
    # Moving a saved in-window visit out of its window needs a deviation too.
    ok = f.visit(name="baseline", delay_days=1)
    (ok,) = store.add(ok)
    with pytest.raises(ValidationError) as err:
        store.update(dataclasses.replace(ok, actual_date=ok.scheduled_date.replace(day=28)), reason="date typo")
    assert err.value.fields == ("actual_date",)


def test_visit_must_follow_the_schedule(store):
    f.seeded(store)
    wrong = f.visit(scheduled_date=f.ENROLMENT, status="planned", actual_date=None)
    unknown = f.visit(name="baseline", status="planned", actual_date=None)
    unknown = dataclasses.replace(unknown, name="week99")
    with pytest.raises(ValidationError) as err:
        store.add(wrong, unknown)
    assert set(err.value.fields) == {"Visit[0].scheduled_date", "Visit[1].name"}


def test_linked_visit_must_belong_to_the_same_participant(store):
    f.seeded(store, 2)
    v = f.visit("SCI-002")
    with pytest.raises(ValidationError) as err:
        store.add(v, f.assessment("SCI-001", visit_id=v.id))
    assert err.value.fields == ("OutcomeAssessment[1].visit_id",)


@pytest.mark.parametrize(
    "role, allowed, refused",
    [
        ("monitor", [], [OutcomeAssessment, Visit, Session, Participant]),
        ("assessor", [OutcomeAssessment, Visit], [Session, Participant]),
        ("engineer", [Session], [OutcomeAssessment, Participant]),
    ],
)
def test_every_write_checks_the_role(store, role, allowed, refused):
    (p,) = f.seeded(store)
    other = as_user(store, f"{role}.user", role, None if role == "monitor" else "ZH")
    try:
        samples = {
            OutcomeAssessment: f.assessment(),
            Visit: f.visit(),
            Session: Session(participant_id="SCI-001", started_at="2026-01-05T09:00:00+00:00", device="amp",
                             montage="C3 C4", operator="eng"),
            Participant: f.participant("SCI-002"),
        }
        for rt in allowed:
            (saved,) = other.add(samples[rt])
            assert other.get(rt, saved.id) == saved
        for rt in refused:
            with pytest.raises(PermissionDeniedError, match=role):
                other.add(samples[rt])
        with pytest.raises(PermissionDeniedError):
            other.update(dataclasses.replace(p, age_years=40), reason="x")
        assert other.get(Participant, "SCI-001").age_years == 34  # reading is always allowed
        assert store.verify_audit().ok
    finally:
        other.close()


def test_delete_of_a_referenced_record_is_refused(store):
    (p,) = f.seeded(store)
    store.add(f.visit())
    with pytest.raises(ValidationError):
        store.delete(p, reason="enrolled by mistake")
    assert store.get(Participant, "SCI-001") == p
    assert store.verify_audit().ok


def test_unknown_id_and_unmigrated_database(store, tmp_path):
    with pytest.raises(ValidationError, match="SCI-404"):
        store.get(Participant, "SCI-404")
    with pytest.raises(WorkbenchError, match="workbench db upgrade"):
        Store(f"sqlite:///{tmp_path / 'empty.sqlite'}", user="x.y", password="whatever-it-is")
