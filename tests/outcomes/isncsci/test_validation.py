"""Bad exams: one error naming every bad field and its allowed values."""

from __future__ import annotations

import copy
import json

import pytest

from tests.conftest import SHARED
from workbench.errors import ValidationError
from workbench.outcomes.isncsci import classify


@pytest.fixture(scope="module")
def good_exam():
    return json.loads((SHARED / "isncsci" / "cases_2019.json").read_text())["cases"][0]["input"]


def test_every_problem_reported_at_once(good_exam):
    exam = copy.deepcopy(good_exam)
    exam["vac"] = "yes"  # wrong case
    exam["dap"] = "Maybe"
    exam["right"]["motor"]["C5"] = "6"
    del exam["left"]["light_touch"]["T4"]
    exam["left"]["pin_prick"]["S4_5"] = "2*"  # sensory stars stop at 1*
    exam["right"]["lowest_non_key_muscle_with_motor_function"] = "X9"
    exam["extra"] = 1
    exam["left"]["motor"]["T2"] = "5"  # not a key muscle
    with pytest.raises(ValidationError) as info:
        classify(exam)
    problems = {p.field: p for p in info.value.problems}
    assert set(problems) == {
        "vac",
        "dap",
        "right.motor.C5",
        "left.light_touch.T4",
        "left.pin_prick.S4_5",
        "right.lowest_non_key_muscle_with_motor_function",
        "extra",
        "left.motor.T2",
    }
    assert problems["vac"].value == "yes" and "'Yes'" in problems["vac"].allowed and "'NT'" in problems["vac"].allowed
    assert problems["right.motor.C5"].value == "6" and "'NT**'" in problems["right.motor.C5"].allowed
    assert "'1**'" in problems["left.pin_prick.S4_5"].allowed
    assert "'2*'" not in problems["left.pin_prick.S4_5"].allowed
    assert problems["left.light_touch.T4"].value == "<missing>"
    assert "right.motor.C5" in str(info.value)


def test_missing_side_and_non_mapping(good_exam):
    exam = copy.deepcopy(good_exam)
    del exam["left"]
    exam["right"]["motor"] = ["5"] * 10
    with pytest.raises(ValidationError) as info:
        classify(exam)
    assert set(info.value.fields) == {"left", "right.motor"}


def test_numbers_instead_of_strings_are_rejected(good_exam):
    exam = copy.deepcopy(good_exam)
    exam["right"]["motor"]["C6"] = 5
    with pytest.raises(ValidationError) as info:
        classify(exam)
    assert info.value.fields == ("right.motor.C6",)


def test_input_is_not_modified(good_exam):
    before = copy.deepcopy(good_exam)
    classify(good_exam)
    assert good_exam == before


def test_missing_sacral_fields_and_contradictory_flags_in_one_error(good_exam):
    # A normal score cannot be impaired by a non-SCI condition ('5*', '5**',
    # '2**'), and S4-5 and the anal findings are required: every one is named.
    exam = copy.deepcopy(good_exam)
    exam["right"]["motor"]["C5"] = "5*"
    exam["left"]["motor"]["S1"] = "5**"
    exam["right"]["pin_prick"]["C6"] = "2**"
    del exam["left"]["light_touch"]["S4_5"]
    del exam["right"]["pin_prick"]["S4_5"]
    del exam["dap"]
    with pytest.raises(ValidationError) as info:
        classify(exam)
    assert set(info.value.fields) == {
        "right.motor.C5", "left.motor.S1", "right.pin_prick.C6", "left.light_touch.S4_5", "right.pin_prick.S4_5", "dap",
    }
    assert all("'NT'" in p.allowed for p in info.value.problems)
