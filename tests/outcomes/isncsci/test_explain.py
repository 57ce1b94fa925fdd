"""Each result says which rule produced it and which inputs made it variable."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings

from tests.conftest import SHARED
from tests.outcomes.isncsci.strategies import injured_exam_dicts
from workbench.outcomes.isncsci import ANAL_ALLOWED, classify_exam, parse_exam
from workbench.outcomes.isncsci._explain import flatten, uncertain_inputs
from tests.budget import examples


@pytest.fixture(scope="module")
def cases():
    return {c["id"]: c["input"] for c in json.loads((SHARED / "isncsci" / "cases_2019.json").read_text())["cases"]}


def _classify(exam):
    return classify_exam(parse_exam(exam))


def test_a_not_testable_muscle_explains_the_nd_motor_level(cases):
    result = _classify(cases["praxis2019-126"])  # left C6 'NT*'
    why = result.explain("motor_level.left")
    assert why.value == "C5,C6*" and why.variable
    assert why.variable_inputs == ("left.motor.C6",)
    assert "key muscle" in why.rule and "Rupp" in why.citation
    assert result.explain("nli").variable_inputs == ("left.motor.C6",)
    assert result.explain("motor_level.right").variable_inputs == ()


def test_a_flag_considered_normal_explains_the_starred_grade(cases):
    result = _classify(cases["praxis2019-104"])  # right L2 '0**' makes the injury motor incomplete
    ais = result.explain("ais")
    assert ais.value == "C*" and ais.variable_inputs == ("right.motor.L2",)
    assert "more than three levels below" in ais.rule
    assert result.explain("zpp.motor.right").variable_inputs == ("right.motor.L2",)


def test_inputs_that_only_together_decide_are_named(cases):
    # Two '0**' at left S4-5: either alone keeps the injury incomplete.
    why = _classify(cases["praxis2019-100"]).explain("injury_complete")
    assert why.value == "I*"
    assert set(why.variable_inputs) == {"left.light_touch.S4_5", "left.pin_prick.S4_5"}


def test_an_exam_without_uncertain_values_has_nothing_variable(cases):
    result = _classify(cases["praxis2019-2"])
    assert set(result.explanations) == set(flatten(result.to_dict()))
    assert all(not e.variable and e.variable_inputs == () for e in result.explanations.values())
    assert "S4-5" in result.explain("injury_complete").rule
    assert "Schuld" in result.explain("zpp.sensory.left").citation


def test_unknown_result_field_lists_the_known_ones(cases):
    with pytest.raises(KeyError, match="motor_level.left"):
        _classify(cases["praxis2019-2"]).explain("motor_level.middle")


@pytest.mark.slow
@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(injured_exam_dicts(nt_rate=0.08, anal=ANAL_ALLOWED, flag_rate=0.08))
def test_variable_results_name_only_uncertain_inputs(exam):
    parsed = parse_exam(copy.deepcopy(exam))
    result = classify_exam(parsed)
    uncertain = set(uncertain_inputs(parsed))
    for field, why in result.explanations.items():
        assert set(why.variable_inputs) <= uncertain
        if why.variable:
            assert why.variable_inputs, (field, why.value)
        else:
            assert why.variable_inputs == (), (field, why.value)


def test_a_star_beside_an_nt_list_names_the_flagged_scores_behind_it():
    # Found by the property test: AIS 'C*,D', where one NT muscle alone makes the list and only
    # several flagged muscles together star the C. Naming the NT muscle explains the list, not the star.
    from pathlib import Path

    exam = json.loads((Path(__file__).parent / "cases" / "star_beside_an_nt_list.json").read_text())
    why = classify_exam(parse_exam(copy.deepcopy(exam))).explanations["ais"]
    assert why.value == "C*,D"
    scores = {name: exam[name.split(".")[0]]["motor"][name.split(".")[2]] for name in why.variable_inputs}
    assert any(v == "NT" for v in scores.values())  # the list
    assert any("*" in v for v in scores.values())  # the star
