"""Properties every classification must have, on generated exams."""

from __future__ import annotations

import copy
import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SHARED
from tests.outcomes.isncsci.strategies import exam_dicts, injured_exam_dicts
from workbench.outcomes.isncsci import classify
from workbench.outcomes.isncsci import (
    ANAL_ALLOWED, DERMATOMES, KEY_MUSCLES, LEVELS, MOTOR_ALLOWED, SENSORY_ALLOWED,
)
from tests.budget import examples

SETTINGS = settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
LEVEL_NAMES = set(LEVELS[:-1]) | {"INT"}
BOUNDS = {"uems": 25, "lems": 25, "motor": 50, "light_touch": 56, "pin_prick": 56}


def _total(value):
    return None if value == "ND" else int(value)


@SETTINGS
@given(exam_dicts(sensory=("0", "1", "2", "NT"), motor=("0", "1", "2", "3", "4", "5", "NT")))
def test_totals_within_bounds(exam):
    totals = classify(exam)["totals"]
    for side in ("right", "left"):
        for key, high in BOUNDS.items():
            value = _total(totals[side][key])
            assert value is None or 0 <= value <= high
    for key in ("uems", "lems"):
        value = _total(totals[key])
        assert value is None or 0 <= value <= 50
    for key in ("light_touch", "pin_prick"):
        value = _total(totals[key])
        assert value is None or 0 <= value <= 112


@SETTINGS
@given(exam_dicts(), st.sampled_from(("right", "left")), st.data())
def test_raising_one_score_never_lowers_a_total(exam, side, data):
    kind = data.draw(st.sampled_from(("motor", "light_touch", "pin_prick")))
    names = KEY_MUSCLES if kind == "motor" else DERMATOMES
    name = data.draw(st.sampled_from(names))
    top = 5 if kind == "motor" else 2
    current = int(exam[side][kind][name])
    raised = copy.deepcopy(exam)
    raised[side][kind][name] = str(data.draw(st.integers(current, top)))
    before, after = classify(exam)["totals"], classify(raised)["totals"]
    for key in BOUNDS:
        assert int(after[side][key]) >= int(before[side][key])
    for key in ("uems", "lems", "light_touch", "pin_prick"):
        assert int(after[key]) >= int(before[key])


@SETTINGS
@given(injured_exam_dicts())
def test_fully_tested_exam_has_single_results(exam):
    # Without NT scores (and no flags) nothing is undeterminable.
    result = classify(exam)
    flat = [result["nli"], result["ais"], result["injury_complete"]]
    flat += [result[k][s] for k in ("sensory_level", "motor_level") for s in ("right", "left")]
    flat += [result["zpp"][k][s] for k in ("sensory", "motor") for s in ("right", "left")]
    for value in flat:
        assert "," not in value and "*" not in value
    for key in ("sensory_level", "motor_level"):
        for s in ("right", "left"):
            assert result[key][s] in LEVEL_NAMES
    assert result["ais"] in set("ABCDE")


def _resolve_nt(exam, choose):
    """The exam with every NT replaced by a value ``choose(allowed)`` picks."""
    filled = copy.deepcopy(exam)
    for side in ("right", "left"):
        for kind, values in (("motor", "012345"), ("light_touch", "012"), ("pin_prick", "012")):
            for key, value in filled[side][kind].items():
                if value == "NT":
                    filled[side][kind][key] = choose(values)
    for key in ("vac", "dap"):
        if filled[key] == "NT":
            filled[key] = choose(("Yes", "No"))
    return filled


def _assert_within(resolved, listed):
    pairs = [(resolved["nli"], listed["nli"]), (resolved["ais"], listed["ais"]),
             (resolved["injury_complete"], listed["injury_complete"])]
    pairs += [(resolved[k][s], listed[k][s]) for k in ("sensory_level", "motor_level") for s in ("right", "left")]
    pairs += [(resolved["zpp"][k][s], listed["zpp"][k][s]) for k in ("sensory", "motor") for s in ("right", "left")]
    for value, candidates in pairs:
        assert value in candidates.split(","), (value, candidates)


@SETTINGS
@given(injured_exam_dicts(nt_rate=0.15, anal=("Yes", "No", "NT")), st.data())
def test_nd_lists_hold_every_resolution_of_the_nt_scores(exam, data):
    # Whatever the untested scores turn out to be, the classification of the
    # completed exam is one of the values listed for the exam with NT.
    resolved = classify(_resolve_nt(exam, lambda values: data.draw(st.sampled_from(values))))
    _assert_within(resolved, classify(exam))


def test_nd_lists_of_the_reference_cases_hold_their_resolutions():
    cases = json.loads((SHARED / "isncsci" / "cases_2019.json").read_text())["cases"]
    rng = random.Random(2019)
    checked = 0
    for case in cases:
        exam = case["input"]
        kinds = ("motor", "light_touch", "pin_prick")
        scores = [v for s in ("right", "left") for k in kinds for v in exam[s][k].values()]
        if any("*" in v for v in scores) or ("NT" not in scores and "NT" not in (exam["vac"], exam["dap"])):
            continue  # flags change what a resolution means; without NT there is nothing to resolve
        listed = classify(exam)
        for _ in range(25):
            _assert_within(classify(_resolve_nt(exam, rng.choice)), listed)
        checked += 1
    assert checked >= 15


@SETTINGS
@given(st.sampled_from(("right", "left")), st.sampled_from(DERMATOMES[:-1]))
def test_one_abnormal_dermatome_sets_the_sensory_level_above_it(side, dermatome):
    normal_side = {
        "motor": {m: "5" for m in KEY_MUSCLES},
        "light_touch": {d: "2" for d in DERMATOMES},
        "pin_prick": {d: "2" for d in DERMATOMES},
        "lowest_non_key_muscle_with_motor_function": None,
    }
    exam = {"vac": "Yes", "dap": "Yes", "right": copy.deepcopy(normal_side), "left": copy.deepcopy(normal_side)}
    assert classify(exam)["ais"] == "E"
    exam[side]["pin_prick"][dermatome] = "1"
    result = classify(exam)
    assert result["sensory_level"][side] == LEVELS[LEVELS.index(dermatome) - 1]
    assert result["nli"] == result["sensory_level"][side]
    assert result["ais"] == "D"


@SETTINGS
@given(exam_dicts(sensory=SENSORY_ALLOWED, motor=MOTOR_ALLOWED, anal=ANAL_ALLOWED))
def test_any_valid_exam_gives_well_formed_results(exam):
    result = classify(exam)

    def names(value):
        assert value, "empty result"
        return [v.rstrip("*") for v in value.split(",")]

    for key in ("sensory_level", "motor_level"):
        for s in ("right", "left"):
            assert set(names(result[key][s])) <= LEVEL_NAMES
    assert set(names(result["nli"])) <= LEVEL_NAMES
    for kind in ("sensory", "motor"):
        for s in ("right", "left"):
            assert set(names(result["zpp"][kind][s])) <= LEVEL_NAMES | {"NA"}
    assert set(names(result["ais"])) <= set("ABCDE")
    assert set(names(result["injury_complete"])) <= {"C", "I"}
