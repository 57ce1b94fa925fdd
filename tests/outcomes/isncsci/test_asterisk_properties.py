"""The '*' and the ND list, as the standard separates them, for any exam.

Written from the standard, not from the reference exams: NT makes a result
*variable* (every possible value listed, no star; Rupp 2021 worksheet, ND),
a score flagged for a non-SCI condition makes the value it decides *starred*
(Rupp 2021, "Documentation of non-SCI-related impairments"; Kirshblum 2020).
The brute-force enumerator in ``naive.py`` is the judge: it reads every NT
and every flagged score every admissible way and classifies each reading from
the definitions.
"""

from __future__ import annotations

import copy
import json
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.outcomes.isncsci import naive
from tests.outcomes.isncsci.strategies import exam_dicts, injured_exam_dicts
from workbench.outcomes.isncsci import (
    ANAL_ALLOWED, DERMATOMES, KEY_MUSCLES, LEVELS, classify, classify_exam, parse_exam,
)
from workbench.outcomes.isncsci._explain import flatten
from tests.budget import examples

SETTINGS = settings(
    max_examples=int(os.environ.get("ISNCSCI_EXAMPLES", examples(80))), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
SIDES = ("right", "left")
SENSORY_UNCERTAIN = ("NT", "0*", "1*", "NT*", "0**", "1**", "NT**")
MOTOR_UNCERTAIN = ("NT", "0*", "1*", "2*", "3*", "4*", "NT*", "0**", "2**", "3**", "NT**")
ORDER = {name: i for i, name in enumerate(("NA",) + LEVELS[:-1] + ("INT",))}
#: Results the enumerator classifies: every level, the NLI, completeness, sensory ZPP
#: (and the motor ZPP where no non-key muscle is given; AIS only as a superset, see _ais.py).
LEVEL_FIELDS = [f"{k}.{s}" for k in ("sensory_level", "motor_level") for s in SIDES] + ["nli"]


def _values(text: str) -> dict[str, bool]:
    """'C5,C6*' -> {'C5': False, 'C6': True}."""
    return {v.rstrip("*"): v.endswith("*") for v in text.split(",")}


@st.composite
def few_uncertain(draw, most=4):
    """A plain injured exam with a few NT or flagged scores near the injury (small enough to enumerate)."""
    exam = draw(injured_exam_dicts(anal=ANAL_ALLOWED))
    exam["right"]["lowest_non_key_muscle_with_motor_function"] = None
    exam["left"]["lowest_non_key_muscle_with_motor_function"] = None
    for _ in range(draw(st.integers(0, most))):
        side = draw(st.sampled_from(SIDES))
        kind = draw(st.sampled_from(("motor", "light_touch", "pin_prick")))
        name = draw(st.sampled_from(KEY_MUSCLES if kind == "motor" else DERMATOMES))
        exam[side][kind][name] = draw(st.sampled_from(MOTOR_UNCERTAIN if kind == "motor" else SENSORY_UNCERTAIN))
    assume(naive.n_readings(exam) <= 1500)
    return exam


def _judged(exam: dict) -> dict[str, str]:
    flat = flatten(classify(exam))
    return {k: v for k, v in flat.items() if not k.startswith("totals")}


# --- NT is variable, never starred ----------------------------------------------
@SETTINGS
@given(injured_exam_dicts(nt_rate=0.2, anal=ANAL_ALLOWED) | exam_dicts(sensory=("0", "1", "2", "NT"),
       motor=("0", "1", "2", "3", "4", "5", "NT"), anal=ANAL_ALLOWED))
def test_an_exam_without_flags_has_no_star_anywhere(exam):
    assert "*" not in json.dumps(classify(exam))


@SETTINGS
@given(injured_exam_dicts(nt_rate=0.05, anal=ANAL_ALLOWED, flag_rate=0.08), st.data())
def test_a_value_listed_plain_stays_plain_when_a_plain_score_becomes_nt(exam, data):
    # NT adds readings, never a flag: a value some reading already gave
    # without a non-SCI flag deciding it cannot need one once more readings
    # are admitted (_star.py, rule 3).
    plain_fields = [(s, k, n) for s in SIDES for k in ("motor", "light_touch", "pin_prick")
                    for n, v in exam[s][k].items() if "*" not in v and v != "NT"]
    assume(plain_fields)
    s, k, n = data.draw(st.sampled_from(plain_fields))
    before = _judged(exam)
    exam[s][k][n] = "NT"
    after = _judged(exam)
    for field, text in before.items():
        now = _values(after[field])
        for value, starred in _values(text).items():
            if not starred and value in now:
                assert not now[value], (field, text, after[field], f"{s}.{k}.{n}")


# --- a flag stars only what it can change ----------------------------------------
def _stop_index(text: str) -> int:
    return max(ORDER[v] for v in _values(text))


@SETTINGS
@given(injured_exam_dicts(nt_rate=0.05, anal=ANAL_ALLOWED, flag_rate=0.05), st.data())
def test_flagging_a_score_below_every_level_leaves_the_levels_alone(exam, data):
    # A level is decided by the segments down to the one below it (Rupp 2021,
    # Classification steps 1-3; T1/S1 look down to T2/S2): a score further down
    # cannot change it, so flagging it ('x*' or 'x**') changes neither the level
    # nor its star.
    before = _judged(exam)
    lowest = max(_stop_index(before[f]) for f in LEVEL_FIELDS)  # ORDER = level index + 1
    below = [(s, k, n) for s in SIDES for k in ("motor", "light_touch", "pin_prick")
             for n, v in exam[s][k].items() if LEVELS.index(n) > lowest and "*" not in v]
    assume(below)
    s, k, n = data.draw(st.sampled_from(below))
    value = exam[s][k][n]
    base = value if value != "NT" else "NT"
    if k == "motor":
        base = base if base == "NT" else str(min(int(base), 4))
    else:
        base = base if base == "NT" else str(min(int(base), 1))
    exam[s][k][n] = base + data.draw(st.sampled_from(("*", "**")))
    after = _judged(exam)
    for field in LEVEL_FIELDS:
        assert after[field] == before[field], (field, before[field], after[field], f"{s}.{k}.{n}={exam[s][k][n]}")


# --- lists hold exactly the values some reading gives ------------------------------
@SETTINGS
@given(few_uncertain())
def test_lists_hold_exactly_what_some_reading_gives(exam):
    judged = _judged(exam)
    possible = naive.possible_values(exam)
    for field, values in possible.items():
        listed = list(_values(judged[field]))
        assert len(listed) == len(set(listed)), (field, judged[field])
        assert listed == sorted(listed, key=lambda v: ORDER.get(v, ord(v[0]))), (field, judged[field])
        if field == "ais":
            assert values <= set(listed), (field, judged[field], values)
        else:
            assert set(listed) == values, (field, judged[field], sorted(values, key=ORDER.get))


@SETTINGS
@given(few_uncertain())
def test_stars_sit_exactly_where_a_flag_decides(exam):
    # A value is starred only when a flagged score could change it: for some
    # reading of the untested scores, reading the flagged ones differently
    # (judgment dropped) gives another value. A value that some reading of the
    # untested scores gives whatever the flagged scores are stays plain
    # (NT dominates; _star.py rules 3-4).
    judged = _judged(exam)
    per_world = []
    for world in naive.worlds(exam):
        per_world.append([naive.determinate(plain) for plain in world])
    for field, text in judged.items():
        if field == "ais" or field not in per_world[0][0]:
            continue
        for value, starred in _values(text).items():
            if starred:
                assert any(
                    value in {r[field] for r in world} and len({r[field] for r in world}) > 1 for world in per_world
                ), (field, text, value)
            independent = any({r[field] for r in world} == {value} for world in per_world)
            if independent:
                assert not starred, (field, text, value)


def test_a_whole_limb_flagged_normal_adds_no_level():
    # An amputated arm marked 'NT**' (untested, considered normal) with the
    # legs weak: the flag carries the motor level past the arm, starred, and
    # adds no T1 beside it (Rupp 2021 worksheet: '**' = consider normal).
    from tests.outcomes.isncsci.strategies import injured_exam

    exam = injured_exam("T10")
    for name in ("C5", "C6", "C7", "C8", "T1"):
        exam["right"]["motor"][name] = "NT**"
    for name in ("C5", "C6", "C7", "C8", "T1", "T2"):
        exam["right"]["light_touch"][name] = exam["right"]["pin_prick"][name] = "NT**"
    result = classify(exam)
    assert result["motor_level"]["right"] == "T10*"
    assert result["sensory_level"]["right"] == "T10*"
    assert result["nli"] == "T10*"


def test_a_key_muscle_at_its_level_only_by_a_flag_is_starred():
    # C5 graded '2**' (considered normal) and C6 absent: C5 is the motor level
    # only because the flag makes it >= 3 (without it the level is C4): starred.
    from tests.outcomes.isncsci.strategies import injured_exam

    exam = injured_exam("C5")
    exam["left"]["motor"]["C5"] = "2**"
    result = classify(exam)
    assert result["motor_level"] == {"right": "C5", "left": "C5*"}
    assert result["nli"] == "C5*"


def test_nt_beside_a_flag_at_s4_5_leaves_completeness_plain():
    # Sacral sparing is open because S4-5 was not tested: the flag changes
    # nothing, 'C,I' (RULES.md, Completeness). Without the NT the flag alone
    # leaves it open: 'C*,I*'.
    from tests.outcomes.isncsci.strategies import injured_exam

    exam = injured_exam("T4")
    exam["right"]["light_touch"]["S4_5"] = "0*"
    assert classify(exam)["injury_complete"] == "C*,I*"
    exam["left"]["pin_prick"]["S4_5"] = "NT"
    assert classify(exam)["injury_complete"] == "C,I"
    both = copy.deepcopy(exam)
    both["left"]["pin_prick"]["S4_5"] = "NT*"
    assert classify(both)["injury_complete"] == "C,I"


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("ISNCSCI_EXAMPLES", examples(30))), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(injured_exam_dicts(nt_rate=0.05, anal=ANAL_ALLOWED, flag_rate=0.06))
def test_explain_names_a_flagged_input_behind_every_star(exam):
    # explain(field) names the inputs behind a result: a star is there because
    # a flagged score decided the value, so at least one named input is flagged;
    # a list is there because of NT or flags, so some input is named.
    result = classify_exam(parse_exam(copy.deepcopy(exam)))
    for field, why in result.explanations.items():
        if "*" in why.value:
            side_scores = [name.split(".") for name in why.variable_inputs if name not in ("vac", "dap")]
            assert any("*" in exam[s][k][n] for s, k, n in side_scores), (field, why.value, why.variable_inputs)
        if "," in why.value:
            assert why.variable_inputs, (field, why.value)


def test_a_non_key_muscle_below_s1_is_the_motor_zpp():
    # AIS C through a non-key muscle (Rupp 2021, AIS footnote): the motor ZPP is
    # the most caudal segment with motor function, even below S1 (Schuld 2024).
    from tests.outcomes.isncsci.strategies import injured_exam

    exam = injured_exam("T4", dap="Yes")
    exam["left"]["lowest_non_key_muscle_with_motor_function"] = "S2"
    result = classify(exam)
    assert result["ais"] == "C"
    assert result["zpp"]["motor"]["left"] == "S2"
