"""Level rules that changed for issue 12 (non-SCI flags at the motor level)."""

from __future__ import annotations

from tests.outcomes.isncsci.strategies import injured_exam
from workbench.outcomes.isncsci import classify


def test_flagged_weak_key_muscle_leaves_a_starred_possibility():
    exam = injured_exam("T1")
    exam["left"]["motor"]["C7"] = "2*"  # below 3, but the cord alone might give 3 or more
    assert classify(exam)["motor_level"]["left"] == "C6,C7*"


def test_flagged_antigravity_key_muscle_ends_the_walk_unstarred():
    # '4*' = not normal (so not 5) and >= 3: the motor level is C7, certainly.
    exam = injured_exam("T1")
    exam["left"]["motor"]["C7"] = "4*"
    result = classify(exam)
    assert result["motor_level"]["left"] == "C7" and result["nli"] == "C7"


def test_considered_normal_key_muscle_stars_the_levels_below_it():
    exam = injured_exam("C8")
    exam["right"]["motor"]["C6"] = "3**"
    assert classify(exam)["motor_level"]["right"] == "C8*"


def test_nt_star_limb_dermatome_stars_the_t1_motor_level():
    exam = injured_exam("S3", vac="Yes", dap="Yes")
    for side in ("right", "left"):
        exam[side]["light_touch"]["S4_5"] = exam[side]["pin_prick"]["S4_5"] = "2"
    assert classify(exam)["motor_level"]["left"] == "INT"
    exam["left"]["light_touch"]["C6"] = "NT*"  # cast: not testable, consider not normal
    result = classify(exam)
    assert result["sensory_level"]["left"] == "C5*" and result["motor_level"]["left"] == "T1*"


def test_motor_level_s3_without_vac_is_not_starred_by_s4_5_flags():
    exam = injured_exam("S3", dap="Yes")
    exam["right"]["light_touch"]["S4_5"], exam["right"]["pin_prick"]["S4_5"] = "NT*", "2"
    result = classify(exam)
    assert result["motor_level"]["right"] == "S3"
    assert result["sensory_level"]["right"] == "S3*"
