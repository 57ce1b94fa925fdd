"""Instrument forms driven without a browser: live scores, markers, saving."""

from __future__ import annotations

from datetime import date

import pytest

from tests.outcomes.store_helpers import add_visit, make_store
from workbench.outcomes.instruments import list_instruments, load_instrument
from workbench.ui.forms import InstrumentForm, is_marked


@pytest.mark.parametrize("instrument_id", sorted(list_instruments()))
def test_every_instrument_has_a_working_form(instrument_id):
    form = InstrumentForm(instrument_id, save=lambda a: None)
    inst = load_instrument(instrument_id)
    assert set(form.inputs) == {i.id for i in inst.items}
    reasons = {r.item for r in inst.rules if r.kind == "unable"}  # "unable to walk" stays empty
    for item in inst.items:  # fill every item with its highest allowed value
        if item.id in reasons:
            continue
        box = form.inputs[item.id]
        box.value = item.values[-1] if item.kind in ("ordinal", "choice") else str(item.max)
    assert form.entry.complete and form.errors.value == ""
    for group in inst.subscales + inst.totals:
        assert form.entry.scores[group.id] == group.max
        assert f"<b>{group.max}</b>" in form.scores.value


def test_scim_form_scores_live():
    form = InstrumentForm("SCIM-III", save=lambda a: None)
    for item in load_instrument("SCIM-III").items:
        form.inputs[item.id].value = 0
    assert "<b>0</b>" in form.scores.value
    form.inputs["bladder"].value = 11
    form.inputs["feeding"].value = 2
    assert form.entry.scores == {"self_care": 2, "respiration_sphincter": 11, "mobility": 0, "total": 13}


def test_walk_form_marks_bad_number_in_place():
    form = InstrumentForm("10MWT", save=lambda a: None)
    box = form.inputs["comfortable_time_s"]
    box.value = "0.5"
    assert is_marked(box) and "from 1 to 600 s" in box.tooltip
    box.value = "12.5"
    assert not is_marked(box) and form.entry.scores["comfortable_speed"] == 0.8
    assert "0.8" in form.scores.value


def test_arat_form_disables_items_the_rule_scores():
    form = InstrumentForm("ARAT", save=lambda a: None)
    form.inputs["left.grip_1"].value = 3
    assert form.inputs["left.grip_4"].disabled and form.entry.scores["left.grip"] == 12
    assert "Scored by rule" in form.scores.value
    form.inputs["left.grip_1"].value = 2
    assert not form.inputs["left.grip_4"].disabled


def test_save_wisci_to_the_records_store(tmp_path):
    from workbench.records import OutcomeAssessment

    store = make_store(tmp_path)
    try:
        visit = add_visit(store, "SCI-001", "week12")
        form = InstrumentForm("WISCI-II", store=store, participant_id="SCI-001")
        form.inputs["level"].value = 12
        form.save_panel.button.click()
        assert "Visit</b>: empty" in form.save_panel.status.value  # refused: no visit chosen
        assert store.find(OutcomeAssessment) == []
        # The visit is chosen from the participant's own visits, with its date.
        assert [v for _, v in form.save_panel.visit.options] == [None, visit.id]
        form.save_panel.visit.value = visit.id
        assert form.save_panel.assessed_on.value == visit.actual_date
        form.save_panel.button.click()
        assert "Saved WISCI-II" in form.save_panel.status.value
        (stored,) = store.find(OutcomeAssessment, participant_id="SCI-001")
    finally:
        store.close()
    assert stored.scores == {"total": 12} and stored.item_values == {"level": 12}
    assert (stored.instrument_version, stored.assessed_on, stored.visit_id) == ("II", visit.actual_date, visit.id)


def test_participant_is_chosen_from_the_store_and_assessor_is_the_signed_in_user(tmp_path):
    store = make_store(tmp_path, participants=("SCI-001", "SCI-002"))
    try:
        form = InstrumentForm("SCIM-III", store=store)
    finally:
        store.close()
    assert [v for _, v in form.save_panel.participant.options] == [None, "SCI-001", "SCI-002"]
    assert form.save_panel.participant.value is None
    assert form.save_panel.assessor.value == store.user.name


def test_score_drop_downs_say_what_each_score_means():
    wisci = InstrumentForm("WISCI-II", save=lambda a: None)
    labels = [label for label, _ in wisci.inputs["level"].options]
    assert labels[1] == "0 = unable to stand or take part in assisted walking"
    assert labels[-1] == "20 = no devices, no braces, no assistance"
    grassp = InstrumentForm("GRASSP", save=lambda a: None)
    strength = next(k for k in grassp.inputs if "str_elbow_flexors" in k)
    assert "3 = active movement against gravity" in [lab for lab, _ in grassp.inputs[strength].options]
    scim = InstrumentForm("SCIM-III", save=lambda a: None)
    labels = [label for label, _ in scim.inputs["feeding"].options]
    assert labels[1].startswith("0 (lowest") and labels[-1].startswith("3 (highest")


def test_errors_are_named_by_the_form_labels():
    form = InstrumentForm("10MWT", save=lambda a: None)
    form.inputs["comfortable_time_s"].value = "abc"
    item = form.entry.instrument.item("comfortable_time_s")
    assert f"<b>{item.label}</b>" in form.errors.value
    assert "<b>comfortable_time_s</b>" not in form.errors.value


def test_save_callable_receives_the_assessment():
    got = []
    form = InstrumentForm("6MWT", save=got.append, participant_id="SCI-002", assessors=("b.assessor",),
                          visits=lambda pid: [("baseline", f"V-{pid}-baseline")])
    form.save_panel.visit.value = "V-SCI-002-baseline"
    form.inputs["distance_m"].value = "300"
    form.save_panel.assessor.value = "b.assessor"
    form.save_panel.button.click()
    assert "<b>Walking aid used</b>: empty" in form.save_panel.status.value and got == []  # device missing
    form.inputs["device"].value = "none"
    form.save_panel.button.click()
    (assessment,) = got
    assert assessment.scores == {"distance": 300, "speed": 0.833}
    assert assessment.visit_id == "V-SCI-002-baseline"
