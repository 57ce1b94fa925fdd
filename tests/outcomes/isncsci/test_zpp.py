"""ZPP rules that changed for issue 12."""

from __future__ import annotations

from tests.outcomes.isncsci.strategies import injured_exam
from workbench.outcomes.isncsci import classify


def test_sensation_only_from_a_considered_normal_score_stars_the_sensory_zpp():
    exam = injured_exam("T10")
    exam["left"]["light_touch"]["L4"] = "0**"
    assert classify(exam)["zpp"]["sensory"] == {"right": "T10", "left": "L4*"}
    exam["left"]["pin_prick"]["L4"] = "1"  # real sensation there: nothing left to the flag
    assert classify(exam)["zpp"]["sensory"]["left"] == "L4"


def test_possibly_complete_injury_lists_na_with_the_zpp():
    exam = injured_exam("T10", vac="NT", dap="NT")
    result = classify(exam)
    assert result["zpp"]["motor"] == {"right": "NA,T10", "left": "NA,T10"}
    assert result["zpp"]["sensory"] == {"right": "NA,T10", "left": "NA,T10"}


def test_non_key_muscle_counts_for_the_motor_zpp_only_where_it_applies():
    # VAC NT: the motor ZPP applies only if VAC is absent, and then this exam
    # is complete (no DAP, no S4-5 sensation), so the non-key muscle (AIS C
    # only) does not enter it.
    exam = injured_exam("C6", vac="NT")
    exam["right"]["lowest_non_key_muscle_with_motor_function"] = "L4"
    assert classify(exam)["zpp"]["motor"]["right"] == "NA,C6"
    exam["dap"] = "Yes"  # now sensory incomplete, and L4 makes it C
    assert classify(exam)["zpp"]["motor"]["right"] == "NA,L4"
