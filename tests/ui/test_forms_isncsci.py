"""The ISNCSCI worksheet driven like a user would, without a browser."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.conftest import SHARED
from tests.outcomes.store_helpers import INVESTIGATOR, add_visit, make_store
from workbench.ui.forms import IsncsciWorksheet, is_marked


@pytest.fixture(scope="module")
def case():
    cases = json.loads((SHARED / "isncsci" / "cases_2019.json").read_text())["cases"]
    return next(c for c in cases if c["id"] == "praxis2019-8")


def _type_exam(sheet, exam):
    """Type every value of an exam into the worksheet cells."""
    sheet.inputs["vac"].value = exam["vac"]
    sheet.inputs["dap"].value = exam["dap"]
    for side in ("right", "left"):
        for kind in ("motor", "light_touch", "pin_prick"):
            for key, value in exam[side][kind].items():
                sheet.inputs[f"{side}.{kind}.{key}"].value = value


def test_typing_an_exam_classifies_live(case):
    sheet = IsncsciWorksheet(save=lambda a: None)
    assert "appears when every field is filled" in sheet.results.value
    _type_exam(sheet, case["input"])
    expected = case["expected"]
    html = sheet.results.value
    assert f"<b>{expected['nli']}</b>" in html and f"<b>{expected['ais']}</b>" in html
    assert f"{expected['zpp']['motor']['right']} / {expected['zpp']['motor']['left']}" in html
    t = expected["totals"]
    assert f"{t['right']['lems']} + {t['left']['lems']} = {t['lems']}" in html
    # Changing one cell reclassifies at once.
    sheet.inputs["left.motor.L2"].value = "0"
    sheet.inputs["left.motor.L3"].value = "0"
    sheet.inputs["left.motor.L4"].value = "0"
    assert sheet.entry.result["ais"] == "B"
    assert "<b>B</b>" in sheet.results.value


def test_wrong_value_marked_in_place_with_allowed_values():
    sheet = IsncsciWorksheet(save=lambda a: None)
    sheet.fill_normal_button.click()
    assert sheet.entry.result["ais"] == "E"
    cell = sheet.inputs["right.pin_prick.T4"]
    cell.value = "3"
    assert is_marked(cell) and "allowed: one of '0', '1', '2'" in cell.tooltip
    assert "<b>Right pin prick T4</b>: got &#x27;3&#x27;" in sheet.errors.value  # the worksheet's name, not the id
    assert "marked red is corrected" in sheet.results.value  # no partial result, and why
    assert not any(is_marked(b) for f, b in sheet.inputs.items() if f != "right.pin_prick.T4")
    cell.value = "1"
    assert not is_marked(cell) and sheet.errors.value == ""
    assert sheet.entry.result["sensory_level"]["right"] == "T3"


def test_save_to_the_records_store(tmp_path, case):
    from workbench.records import OutcomeAssessment

    store = make_store(tmp_path)
    try:
        visit = add_visit(store, "SCI-001", "baseline")
        sheet = IsncsciWorksheet(store=store, participant_id="SCI-001", visit_id=visit.id)
        _type_exam(sheet, case["input"])
        sheet.comments.value = "L4 left weak"
        assert sheet.save_panel.assessor.value == INVESTIGATOR  # the signed-in user, chosen, never typed
        sheet.save_panel.assessed_on.value = date(2026, 3, 2)
        sheet.save_panel.button.click()
        assert "Saved ISNCSCI for SCI-001" in sheet.save_panel.status.value
        (stored,) = store.find(OutcomeAssessment, participant_id="SCI-001")
    finally:
        store.close()
    assert (stored.instrument, stored.instrument_version, stored.assessor) == ("ISNCSCI", "2019", INVESTIGATOR)
    assert stored.assessed_on == date(2026, 3, 2)
    # Weeks after the baseline window closed: kept, and marked so (issue 22).
    assert stored.notes.startswith("L4 left weak\n") and "outside the baseline window" in stored.notes
    assert stored.scores["ais"] == case["expected"]["ais"]
    assert stored.scores["totals.lems"] == int(case["expected"]["totals"]["lems"])
    assert stored.item_values["left.motor.L2"] == case["input"]["left"]["motor"]["L2"]


def test_incomplete_or_anonymous_form_is_not_saved(tmp_path):
    from workbench.records import OutcomeAssessment

    store = make_store(tmp_path)
    try:
        sheet = IsncsciWorksheet(store=store, participant_id="SCI-001")
        sheet.save_panel.assessor.value = None
        sheet.save_panel.button.click()
        assert "assessor" in sheet.save_panel.status.value
        sheet.save_panel.assessor.value = INVESTIGATOR
        sheet.inputs["vac"].value = "No"
        sheet.save_panel.button.click()  # 133 fields still empty
        assert "not complete" in sheet.save_panel.status.value or "Fix before saving" in sheet.save_panel.status.value
        sheet.fill_normal_button.click()
        sheet.save_panel.button.click()  # complete, but no visit chosen
        assert "Saved" not in sheet.save_panel.status.value and "<b>Visit</b>" in sheet.save_panel.status.value
        # Only enrolled participants can be chosen.
        assert [v for _, v in sheet.save_panel.participant.options] == [None, "SCI-001"]
        assert store.find(OutcomeAssessment) == []
    finally:
        store.close()


def _starred_case():
    """A public exam whose result is variable because of a flagged or untested input."""
    cases = json.loads((SHARED / "isncsci" / "cases_2019.json").read_text())["cases"]
    return next(c for c in cases if c["id"] == "praxis2019-126")


def test_each_result_shows_its_rule_and_on_request_the_inputs_that_made_it_variable():
    case = _starred_case()
    sheet = IsncsciWorksheet(save=lambda a: None)
    _type_exam(sheet, case["input"])
    html = sheet.results.value
    # The rule of the standard sits next to every result, with its citation.
    assert html.count("<details>") >= 11 and "Classification step 3" in html
    assert "Variable because of" not in html  # the search for inputs runs only on request
    sheet.explain_toggle.value = True
    html = sheet.results.value
    assert "Variable because of" in html
    # The inputs are named as the worksheet names them, never by internal ids.
    expected = sheet.entry.explain("motor_level.left").variable_inputs
    assert expected, "praxis2019-126's left motor level is variable"
    assert all(sheet.labels[f] in html for f in expected)
    assert "left.motor.C6" not in html
