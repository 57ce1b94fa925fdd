"""Adverse events, device deficiencies and deviations as device trials report them (ISO 14155, MDCG 2020-10/1)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.records import factories as f
from workbench.errors import ValidationError
from workbench.records import AdverseEvent, DeviceDeficiency, ProtocolDeviation
from workbench.records.types.safety import RELATEDNESS, SERIOUSNESS_CRITERIA
from tests.budget import examples

ONSET = date(2026, 3, 2)


def _ae(**kw) -> AdverseEvent:
    values = dict(participant_id="SCI-001", term="autonomic dysreflexia", onset_date=ONSET, severity="severe",
                  serious=True, seriousness_criteria=["hospitalisation or prolonged hospitalisation"],
                  related_device="probable", related_procedure="not related", anticipated=True, usade=False,
                  awareness_date=ONSET + timedelta(days=1), action_taken="session interrupted",
                  outcome="recovering/resolving", follow_up="ongoing")
    values.update(kw)
    return AdverseEvent(**values)


def test_a_serious_device_effect_not_anticipated_is_a_usade_and_must_say_so():
    with pytest.raises(ValidationError) as info:
        _ae(anticipated=False)  # usade left False
    (p,) = info.value.problems
    assert (p.field, p.value) == ("usade", False) and p.allowed.startswith("True")
    assert _ae(anticipated=False, usade=True).usade


def test_seriousness_follows_its_criteria_both_ways():
    with pytest.raises(ValidationError) as info:
        _ae(seriousness_criteria=None)
    assert info.value.fields == ("seriousness_criteria",)
    with pytest.raises(ValidationError) as info:
        _ae(serious=False, anticipated=None, follow_up=None, awareness_date=None)
    assert info.value.fields == ("seriousness_criteria",)
    with pytest.raises(ValidationError) as info:
        _ae(seriousness_criteria=["very bad"])
    assert info.value.fields == ("seriousness_criteria",)
    with pytest.raises(ValidationError) as info:
        _ae(outcome="fatal", resolution_date=ONSET + timedelta(days=3))
    assert info.value.fields == ("seriousness_criteria",)  # a fatal event must list death


def test_a_serious_device_effect_needs_anticipated_and_a_reportable_event_its_awareness_date():
    with pytest.raises(ValidationError) as info:
        _ae(anticipated=None, awareness_date=None, follow_up=None)
    assert set(info.value.fields) == {"anticipated", "awareness_date", "follow_up"}


def test_reporting_deadline_two_days_with_imminent_risk_else_seven():
    ae = _ae()
    assert ae.reportable and ae.reporting_deadline == ae.awareness_date + timedelta(days=7)
    urgent = _ae(imminent_risk=True)
    assert urgent.reporting_deadline == urgent.awareness_date + timedelta(days=2)
    assert urgent.reporting_overdue(urgent.awareness_date + timedelta(days=3))
    assert not urgent.reporting_overdue(urgent.awareness_date + timedelta(days=2))
    on_time = _ae(imminent_risk=True, reported_on=ONSET + timedelta(days=2))
    assert not on_time.reporting_overdue(ONSET + timedelta(days=30))
    late = _ae(reported_on=ONSET + timedelta(days=9))
    assert late.reporting_overdue(ONSET + timedelta(days=30))


def test_not_reportable_events_have_no_deadline_and_no_imminent_risk():
    mild = _ae(serious=False, seriousness_criteria=None, severity="mild", anticipated=None, follow_up=None)
    assert not mild.reportable and mild.reporting_deadline is None
    unrelated = _ae(related_device="not related", related_procedure="not related", anticipated=None)
    assert not unrelated.reportable and unrelated.reporting_deadline is None
    with pytest.raises(ValidationError) as info:
        _ae(serious=False, seriousness_criteria=None, anticipated=None, imminent_risk=True)
    assert info.value.fields == ("imminent_risk",)


def test_dates_in_order():
    with pytest.raises(ValidationError) as info:
        _ae(awareness_date=ONSET - timedelta(days=1), reported_on=ONSET - timedelta(days=2))
    assert set(info.value.fields) == {"awareness_date", "reported_on"}


@settings(max_examples=examples(150), deadline=None)
@given(criteria=st.lists(st.sampled_from(SERIOUSNESS_CRITERIA[1:]), unique=True, max_size=2),  # not fatal
       device=st.sampled_from(RELATEDNESS), procedure=st.sampled_from(RELATEDNESS),
       anticipated=st.booleans(), imminent=st.booleans(), aware_after=st.integers(0, 30))
def test_usade_and_deadline_derive_from_the_rules(criteria, device, procedure, anticipated, imminent, aware_after):
    serious = bool(criteria)
    related = {"possible", "probable", "causal relationship"}
    reportable = serious and (device in related or procedure in related)
    usade = serious and device in related and not anticipated
    ae = _ae(serious=serious, seriousness_criteria=criteria or None,
             related_device=device, related_procedure=procedure, anticipated=anticipated, usade=usade,
             imminent_risk=imminent and reportable, awareness_date=ONSET + timedelta(days=aware_after),
             follow_up="ongoing" if serious else None)
    assert ae.reportable is reportable and ae.usade is usade
    days = 2 if imminent else 7
    assert ae.reporting_deadline == (ONSET + timedelta(days=aware_after + days) if reportable else None)


def test_device_deficiency_that_could_have_led_to_a_serious_event_is_reportable():
    dd = DeviceDeficiency(device="amp", observed_on=ONSET, deficiency_type="malfunction", could_have_led_to_sae=True,
                          awareness_date=ONSET, imminent_risk=True)
    assert dd.reportable and dd.reporting_deadline == ONSET + timedelta(days=2)
    with pytest.raises(ValidationError) as info:
        DeviceDeficiency(device="amp", observed_on=ONSET, deficiency_type="malfunction", could_have_led_to_sae=True)
    assert info.value.fields == ("awareness_date",)
    minor = DeviceDeficiency(device="amp", observed_on=ONSET, deficiency_type="usability", could_have_led_to_sae=False)
    assert not minor.reportable and minor.reporting_deadline is None


def test_protocol_deviations_are_graded_and_major_ones_need_corrective_action():
    base = dict(participant_id="SCI-001", category="procedure", occurred_on=ONSET)
    with pytest.raises(ValidationError) as info:
        ProtocolDeviation(**base, grade=None)
    assert info.value.fields == ("grade",)
    with pytest.raises(ValidationError) as info:
        ProtocolDeviation(**base, grade="major")
    assert info.value.fields == ("corrective_action",)
    assert ProtocolDeviation(**base, grade="major", corrective_action="staff retrained on the CIP").grade == "major"
    assert ProtocolDeviation(**base, grade="minor").corrective_action is None


def test_stored_and_read_back_with_every_field(store):
    f.seeded(store)
    ae = _ae(anticipated=False, usade=True, imminent_risk=True, reported_on=ONSET + timedelta(days=2))
    store.add(ae)
    again = store.get(AdverseEvent, ae.id)
    assert again.seriousness_criteria == ("hospitalisation or prolonged hospitalisation",)
    assert again.usade and again.reporting_deadline == ONSET + timedelta(days=3)
    assert store.verify_audit().ok


def test_reporting_overview_lists_reportable_events_with_deadlines(store):
    from workbench.records.types.safety import reporting_overview

    f.seeded(store)
    late = _ae(imminent_risk=True)  # aware ONSET+1, deadline ONSET+3, never reported
    on_time = _ae(reported_on=ONSET + timedelta(days=4))
    mild = _ae(serious=False, seriousness_criteria=None, severity="mild", anticipated=None, follow_up=None)
    dd = DeviceDeficiency(device="amp", observed_on=ONSET, deficiency_type="malfunction", could_have_led_to_sae=True,
                          awareness_date=ONSET + timedelta(days=2))
    store.add(late, on_time, mild, dd)
    frame = reporting_overview(store, on=ONSET + timedelta(days=5)).set_index("id")
    assert set(frame.index) == {late.id, on_time.id, dd.id}  # the mild event is not reportable
    assert frame.loc[late.id, "deadline"] == ONSET + timedelta(days=3) and frame.loc[late.id, "overdue"]
    assert not frame.loc[on_time.id, "overdue"] and not frame.loc[dd.id, "overdue"]
    assert frame.loc[dd.id, "deadline"] == ONSET + timedelta(days=9)
