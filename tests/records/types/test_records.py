"""Record types: validated when made, every invalid field listed in one error."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.records import factories as f
from workbench.errors import ValidationError
from workbench.records import (
    LEVELS, AdverseEvent, OutcomeAssessment, Participant, Session, Study, User,
)
from tests.budget import examples


def test_participant_refuses_identifying_fields_without_echoing_them():
    with pytest.raises(ValidationError) as err:
        f.participant(name="Jane Roe", birth_date="1961-03-14")
    assert set(err.value.fields) == {"name", "birth_date"}
    assert "Jane" not in str(err.value) and "1961" not in str(err.value)


def test_from_mapping_refuses_unknown_and_identifying_columns():
    row = {**f.participant().to_plain(), "date_of_birth": "1961-03-14", "colour": "red"}
    with pytest.raises(ValidationError) as err:
        Participant.from_mapping(row)
    assert set(err.value.fields) == {"date_of_birth", "colour"}


@pytest.mark.parametrize("pseudonym", ["Jane Roe", "SCI001", "sci-001", "SCI-1", ""])
def test_pseudonym_must_be_a_study_code(pseudonym):
    with pytest.raises(ValidationError) as err:
        f.participant(pseudonym)
    assert err.value.fields == ("id",)


def test_every_problem_listed_at_once():
    with pytest.raises(ValidationError) as err:
        f.participant(age_years=130, injury_level="C9", baseline_ais=3, enrolment_date="2026-13-01",
                      sex="female")
    assert set(err.value.fields) == {"age_years", "injury_level", "baseline_ais", "enrolment_date", "sex"}
    text = str(err.value)
    assert "5 problems" in text and "130" in text and "[0, 90]" in text


def test_dates_out_of_order_are_named():
    with pytest.raises(ValidationError) as err:
        f.participant(injury_date=date(2026, 2, 1), withdrawal_date=date(2025, 1, 1))
    # injury after enrolment, withdrawal before enrolment
    assert set(err.value.fields) == {"enrolment_date", "withdrawal_date"}


def test_visit_status_and_window():
    v = f.visit(delay_days=7)
    assert v.in_window is True
    assert f.visit(delay_days=8).in_window is False
    assert f.visit(delay_days=-8).in_window is False
    assert f.visit(status="planned", actual_date=None).in_window is None
    with pytest.raises(ValidationError) as err:
        f.visit(status="done", actual_date=None)
    assert err.value.fields == ("actual_date",)


def test_adverse_event_rules():
    base = dict(participant_id="SCI-001", term="skin redness", onset_date="2026-02-01", severity="mild",
                serious=False, related_device="possible", related_procedure="not related", action_taken="none",
                outcome="recovered/resolved", resolution_date="2026-02-03")
    assert AdverseEvent(**base).resolution_date == date(2026, 2, 3)
    with pytest.raises(ValidationError) as err:
        AdverseEvent(**{**base, "outcome": "fatal", "resolution_date": "2026-01-01", "related_device": "likely"})
    assert set(err.value.fields) == {"resolution_date", "serious", "related_device"}


def test_session_needs_aware_times_and_hex_hashes():
    kw = dict(participant_id="SCI-001", device="amp", montage="C3 C4", operator="eng")
    s = Session(**kw, started_at="2026-01-05T10:00:00+01:00", recording_files=[{"path": "a.xdf", "sha256": "0" * 64}])
    assert s.started_at == datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    assert s.recording_files[0].sha256 == "0" * 64
    with pytest.raises(ValidationError) as err:
        Session(**kw, started_at=datetime(2026, 1, 5, 10), decoder_sha256="xyz",
                recording_files=[{"path": "a.xdf", "sha256": "bad"}])
    assert set(err.value.fields) == {"started_at", "decoder_sha256", "recording_files[0].sha256"}


def test_study_schedule_names_must_be_distinct():
    plan = [dict(name="v1", target_day=0, window_before=0, window_after=1)] * 2
    with pytest.raises(ValidationError) as err:
        Study(id="S1", title="t", arms=("a",), visit_schedule=plan)
    assert err.value.fields == ("visit_schedule",)


def test_user_role_checked():
    with pytest.raises(ValidationError) as err:
        User("x", "pharmacist")
    assert err.value.fields == ("user.role",)


# -- property tests ----------------------------------------------------------------
VALID = {
    "arm": st.sampled_from(["BCI", "control"]),
    "injury_level": st.sampled_from(LEVELS),
    "baseline_ais": st.sampled_from("ABCDE"),
    "age_years": st.one_of(st.none(), st.integers(0, 90)),
    "sex": st.one_of(st.none(), st.sampled_from(["F", "M", "X"])),
}
INVALID = {
    "arm": st.one_of(st.just(""), st.integers(), st.just("a\nb")),
    "injury_level": st.one_of(st.text(max_size=4).filter(lambda s: s not in LEVELS), st.integers()),
    "baseline_ais": st.one_of(st.sampled_from(["F", "a", "AB", ""]), st.integers(), st.none()),
    "age_years": st.one_of(st.integers(max_value=-1), st.integers(min_value=91), st.floats(), st.booleans(),
                           st.just("34")),
    "sex": st.one_of(st.sampled_from(["f", "male", ""]), st.integers()),
}


@settings(max_examples=examples(150), deadline=None)
@given(data=st.data(), bad=st.sets(st.sampled_from(sorted(VALID))), days=st.integers(0, 4000),
       withdraw_before=st.booleans())
def test_participant_reports_exactly_the_invalid_fields(data, bad, days, withdraw_before):
    values = {k: data.draw((INVALID if k in bad else VALID)[k], label=k) for k in VALID}
    enrol = date(2020, 1, 1) + timedelta(days=days)
    values["enrolment_date"] = enrol
    values["injury_date"] = enrol - timedelta(days=data.draw(st.integers(0, 20000), label="since_injury"))
    values["withdrawal_date"] = enrol + timedelta(days=-1 if withdraw_before else 30)
    expected = set(bad) | ({"withdrawal_date"} if withdraw_before else set())
    if not expected:
        p = f.participant(**values)
        assert p.age_years == values["age_years"] and p.injury_level == values["injury_level"]
        assert Participant.from_mapping({**p.to_plain(), "version": 0}) == p
        return
    with pytest.raises(ValidationError) as err:
        f.participant(**values)
    assert set(err.value.fields) == expected


text = f.STORABLE_CHARS  # the others are refused (below)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(text, max_size=10),
                         st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=examples(100), deadline=None)
@given(items=st.dictionaries(st.text(text, min_size=1, max_size=8), json_scalars, max_size=8),
       scores=st.dictionaries(st.text(text, min_size=1, max_size=8), json_scalars, max_size=4))
def test_outcome_assessment_keeps_any_json_item_values(items, scores):
    try:
        oa = f.assessment(item_values=items, scores=scores)
    except ValidationError as err:  # JSON scalars pass; only the instrument check may refuse them
        assert not {"item_values", "scores"} & set(err.fields), err
        return
    assert oa.item_values == items and oa.scores == scores
    assert OutcomeAssessment.from_mapping({**oa.to_plain(), "version": 0}) == oa


@pytest.mark.parametrize("value", [math.nan, math.inf, [1, 2], {"x": 1}, "a\x00b", "a\ud800b"])
def test_outcome_assessment_refuses_non_scalar_or_non_finite_items(value):
    with pytest.raises(ValidationError) as err:
        f.assessment(item_values={"a": value})
    assert err.value.fields == ("item_values",)


@settings(max_examples=examples(100), deadline=None)
@given(delay=st.integers(-60, 60), status=st.sampled_from(["planned", "done", "missed"]))
def test_visit_window_matches_a_naive_reading(delay, status):
    actual = f.ENROLMENT + timedelta(days=84 + delay) if status == "done" else None
    v = f.visit(status=status, actual_date=actual)
    expected = None if actual is None else -7 <= delay <= 7
    assert v.in_window is expected
    assert dataclasses.replace(v) == v


def test_trial_correct_must_agree_with_cue_and_output():
    from workbench.records import Trial

    assert Trial(run_id="r", number=1, cue="left", onset_s=1.0, decoded="left", correct=True).correct
    with pytest.raises(ValidationError) as err:
        Trial(run_id="r", number=1, cue="left", onset_s=1.0, decoded="right", correct=True)
    assert err.value.fields == ("correct",)
