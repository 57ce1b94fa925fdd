"""AIS rules that changed for issue 12, each on a small exam built from the standard."""

from __future__ import annotations

from tests.outcomes.isncsci.strategies import injured_exam
from workbench.outcomes.isncsci import classify


def test_more_than_three_levels_is_counted_in_segments_through_the_thoracic_cord():
    # Rupp 2021, AIS B/C: motor function "more than three levels below the
    # motor level". Below T11, L2 is three levels down (T12, L1, L2): B;
    # L3 is four: C.
    exam = injured_exam("T11", dap="Yes")
    for side in ("right", "left"):
        exam[side]["motor"]["L2"] = "1"
    result = classify(exam)
    assert result["motor_level"] == {"right": "T11", "left": "T11"} and result["ais"] == "B"
    exam["left"]["motor"]["L3"] = "1"
    assert classify(exam)["ais"] == "C"


def test_non_key_muscle_more_than_three_levels_below_makes_it_c():
    exam = injured_exam("C6", dap="Yes")
    exam["right"]["lowest_non_key_muscle_with_motor_function"] = "C8"  # two levels below C6
    assert classify(exam)["ais"] == "B"
    exam["right"]["lowest_non_key_muscle_with_motor_function"] = "T2"  # four levels below
    assert classify(exam)["ais"] == "C"


def test_b_needs_possible_sensory_sparing():
    # VAC not testable, no DAP, S4-5 absent: complete or (if VAC were
    # present) motor incomplete, never sensory incomplete.
    exam = injured_exam("C6", vac="NT")
    assert classify(exam)["ais"] == "A,C"
    exam["dap"] = "NT"
    assert classify(exam)["ais"] == "A,B,C"


def test_flagged_s4_5_values_star_the_grades_they_decide():
    exam = injured_exam("C6")
    exam["left"]["light_touch"]["S4_5"] = "0*"  # absent, but a non-SCI condition may hide sensation
    result = classify(exam)
    assert result["injury_complete"] == "C*,I*" and result["ais"] == "A*,B*"
