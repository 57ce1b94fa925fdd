"""The ISNCSCI entry model: live classification, in-place validation, flat output."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SHARED
from workbench.errors import ValidationError
from workbench.outcomes.entry import IsncsciEntry
from workbench.outcomes.isncsci import classify


@pytest.fixture(scope="module")
def cases():
    return json.loads((SHARED / "isncsci" / "cases_2019.json").read_text())["cases"]


def test_classifies_once_complete_and_on_every_change():
    entry = IsncsciEntry()
    calls = []
    entry.listeners.add(lambda: calls.append(entry.result))
    entry.set("right.motor.C5", "5")
    assert entry.result is None and len(entry.missing) == 133 and entry.problems == {}
    entry.fill_normal()
    assert entry.result["ais"] == "E" and entry.result["nli"] == "INT"
    entry.set("left.light_touch.C7", "1")
    assert entry.result["sensory_level"]["left"] == "C6" and entry.result["ais"] == "D"
    assert len(calls) == 3


def test_reference_exam_through_the_model(cases):
    case = next(c for c in cases if c["id"] == "praxis2019-126")
    entry = IsncsciEntry()
    entry.load_exam(case["input"])
    assert entry.exam_dict() == case["input"]
    assert entry.result == case["expected"] == classify(case["input"])


def test_bad_value_marks_only_that_field(cases):
    entry = IsncsciEntry()
    entry.load_exam(cases[0]["input"])
    entry.set("right.motor.C6", "6")
    entry.set("vac", "yes")
    assert set(entry.problems) == {"right.motor.C6", "vac"}
    assert "'NT**'" in entry.problems["right.motor.C6"].allowed
    assert entry.result is None  # no partial result
    with pytest.raises(ValidationError) as info:
        entry.scores()
    assert set(info.value.fields) == {"right.motor.C6", "vac"}
    entry.set("right.motor.C6", "4")
    entry.set("vac", "No")
    assert entry.problems == {} and entry.result is not None


def test_scores_are_flat_json_scalars(cases):
    entry = IsncsciEntry()
    entry.load_exam(cases[0]["input"])
    scores = entry.scores()
    assert scores["ais"] == cases[0]["expected"]["ais"]
    assert scores["totals.uems"] == int(cases[0]["expected"]["totals"]["uems"])
    assert scores["zpp.motor.left"] == cases[0]["expected"]["zpp"]["motor"]["left"]
    assert all(isinstance(v, (str, int, type(None))) for v in scores.values())
    assert entry.item_values()["left.pin_prick.S4_5"] == cases[0]["input"]["left"]["pin_prick"]["S4_5"]


def test_unknown_field_is_refused():
    with pytest.raises(KeyError, match="right.motor.T5"):
        IsncsciEntry().set("right.motor.T5", "5")


def test_explain_names_the_rule_and_the_inputs_that_made_a_result_variable(cases):
    entry = IsncsciEntry()
    assert entry.explain("ais") is None  # nothing to explain before the worksheet is complete
    entry.load_exam(next(c for c in cases if c["id"] == "praxis2019-126")["input"])
    why = entry.explain("motor_level.left")
    assert why.value == entry.scores()["motor_level.left"] == "C5,C6*"
    assert why.variable_inputs == ("left.motor.C6",) and "Rupp" in why.citation
    entry.set("left.motor.C6", "5")  # the examiner could test it after all
    assert entry.explain("motor_level.left").variable_inputs == ()
