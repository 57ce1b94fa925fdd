"""Outcome entry is idempotent and attributable (issue 22): one assessment per Save, a named account as assessor."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from tests.outcomes.store_helpers import INVESTIGATOR, add_visit, make_store
from workbench.errors import ValidationError
from workbench.records import OutcomeAssessment, UserAccount
from workbench.ui.forms import InstrumentForm


@pytest.fixture
def store(tmp_path):
    store = make_store(tmp_path, participants=("SCI-001", "SCI-002"))
    yield store
    store.close()


def _bbt(store, pid="SCI-001", visit="week12", right=40, left=35):
    form = InstrumentForm("BBT", store=store, participant_id=pid)
    v = add_visit(store, pid, visit) if visit else None
    if v is not None:
        form.save_panel._load_visits()
        form.save_panel.visit.value = v.id
    for item in form.entry.instrument.items:
        form.inputs[item.id].value = str(right if item.id.startswith("right") else left)
    return form


def test_double_clicking_save_stores_one_record(store):
    form = _bbt(store)
    form.save_panel.button.click()
    form.save_panel.button.click()  # a double click
    form.save_panel.button.click()  # and one more
    assert len(store.find(OutcomeAssessment, participant_id="SCI-001")) == 1
    assert "nothing written" in form.save_panel.status.value
    # The form now edits the saved record.
    assert form.save_panel.record is not None and form.save_panel.button.description == "Save correction"


def test_a_change_after_saving_is_a_correction_with_a_reason(store):
    form = _bbt(store)
    first = form.save_panel.submit()
    changed_item = next(iter(form.inputs))
    form.inputs[changed_item].value = "44"
    form.save_panel.button.click()
    assert "<b>Reason for the correction</b>: empty" in form.save_panel.status.value
    form.save_panel.reason.value = "transcription error: counted 44 blocks"
    form.save_panel.button.click()
    (stored,) = store.find(OutcomeAssessment, participant_id="SCI-001")
    assert stored.id == first.id and stored.version == 2 and stored.item_values[changed_item] == 44
    trail = store.audit_trail(stored)
    assert "transcription error: counted 44 blocks" in set(trail["reason"].dropna())


def test_a_new_save_for_the_same_visit_asks_correction_or_repeat(store):
    form = _bbt(store)
    first = form.save_panel.submit()
    form.save_panel.start_new()
    assert form.save_panel.submit() is None  # asks first
    question = form.save_panel.question
    assert question.layout.display is None and "correction" in question.children[0].value
    # A repeat with the very same values is the same assessment: the store refuses it.
    form.save_panel.repeat_button.click()
    assert "stored already" in form.save_panel.status.value
    assert len(store.find(OutcomeAssessment, participant_id="SCI-001")) == 1
    # A real repeat has its own values.
    form.save_panel.start_new()
    form.inputs[next(iter(form.inputs))].value = "45"
    form.save_panel.submit()
    form.save_panel.repeat_button.click()
    assert len(store.find(OutcomeAssessment, participant_id="SCI-001")) == 2
    # "Correction" edits the last stored record instead.
    form.save_panel.start_new()
    form.inputs[next(iter(form.inputs))].value = "46"
    form.save_panel.submit()
    form.save_panel.correct_button.click()
    assert form.save_panel.record is not None
    form.save_panel.reason.value = "wrong count"
    saved = form.save_panel.submit()
    assert saved.version == 2 and len(store.find(OutcomeAssessment, participant_id="SCI-001")) == 2
    assert first.id in {a.id for a in store.find(OutcomeAssessment, participant_id="SCI-001")}


def test_the_store_refuses_an_exact_duplicate_naming_what_is_the_same(store):
    visit = add_visit(store, "SCI-001", "week12")
    one = OutcomeAssessment(participant_id="SCI-001", visit_id=visit.id, instrument="WISCI-II",
                            instrument_version="II", assessor=INVESTIGATOR, assessed_on=visit.actual_date,
                            item_values={"level": 12}, scores={"total": 12})
    store.add(one)
    again = dataclasses.replace(one, id="OA-again", assessed_on=visit.actual_date + timedelta(days=1))
    with pytest.raises(ValidationError) as err:
        store.add(again)
    message = str(err.value)
    for word in ("WISCI-II", "SCI-001", visit.id, "item values", one.id):
        assert word in message, word
    # In one batch too, and nothing of the batch is written.
    twin = dataclasses.replace(again, id="OA-twin")
    with pytest.raises(ValidationError, match="OutcomeAssessment\\[1\\].item_values"):
        store.add(dataclasses.replace(again, id="OA-x", item_values={"level": 13}, scores={"total": 13}),
                  dataclasses.replace(twin, item_values={"level": 13}, scores={"total": 13}))
    assert [a.id for a in store.find(OutcomeAssessment)] == [one.id]
    # Other values at the same visit (a repeat) and the same values at another visit are kept.
    store.add(dataclasses.replace(again, item_values={"level": 13}, scores={"total": 13}))
    later = add_visit(store, "SCI-002", "week12")
    store.add(dataclasses.replace(one, id="OA-other", participant_id="SCI-002", visit_id=later.id))
    assert len(store.find(OutcomeAssessment)) == 3


def test_the_assessor_is_chosen_from_accounts_that_may_assess(store):
    store.add_account(UserAccount(id="b.assessor", role="assessor", site_id="ZH"), "a-long-assessor-password-1")
    store.add_account(UserAccount(id="c.monitor", role="monitor"), "a-long-monitor-password-12")
    store.add_account(UserAccount(id="d.gone", role="assessor", site_id="ZH", active=False),
                      "a-long-assessor-password-2")
    form = InstrumentForm("WISCI-II", store=store, participant_id="SCI-001")
    choices = [v for _, v in form.save_panel.assessor.options]
    assert form.save_panel.assessor.value == INVESTIGATOR  # default: the signed-in user
    assert set(choices) == {None, INVESTIGATOR, "b.assessor"}  # no monitor, no inactive account
    with pytest.raises(Exception):
        form.save_panel.assessor.value = "Dr. Somebody Else"  # there is no box to type a name into
