"""ASIA Impairment Scale (Rupp 2021, "ASIA Impairment Scale").

A complete; B sensory but not motor incomplete (no motor function more than
three levels below the motor level on either side); C motor incomplete with
fewer than half of the key muscles below the single NLI graded >= 3; D at least
half >= 3; E normal (NLI INT with anal contraction). Motor incomplete needs
voluntary anal contraction, or sensory sparing with motor function (key or
non-key muscle) more than three levels below the motor level on either side.

Sources: Rupp 2021, "ASIA Impairment Scale" and Classification step 5 with its
footnote on motor incomplete status (2019: non-key muscle functions more than
three levels below the motor level may be used to decide B vs C);
Kirshblum S et al., Phys Med Rehabil Clin N Am 2020;31(3):319-330 (the '*').

Unclear, decided here: the standard does not say how a flagged weak score
('0*'-'2*', 'NT*') among the muscles below the NLI enters C vs D; it is read
as possibly >= 3 (D stays possible) and a C that counts a '0*'-'2*' below 3
is starred ('NT*' read below 3 is plain, as for the motor level). For B, a
'0*' read absent stars it, an 'NT*' does not (presence question). The roles
are decided in :mod:`._star` (rules 3-4).
ND lists are built per listed NLI and motor level, each on its own, as the
reference exams show (praxis2019-132): they may list a grade that no single
completion of the NT scores gives (e.g. 'C,D' where one NT muscle both sets
the NLI and is counted for D). The standard's "every possible value" would
be the exact set; the reference's superset is kept for conformance.
"""

from __future__ import annotations

from typing import Sequence

from ._candidates import Candidate
from ._completeness import Completeness, sacral_scores
from ._exam import Exam, ExamSide
from ._levels import INDEX, INTACT_INDEX, KEY_MUSCLES
from ._star import presence_flag_absent, weak_as_written

GRADES = ("A", "B", "C", "D", "E")
_KEY_INDEX = [(name, INDEX[name]) for name in KEY_MUSCLES]


def first_key_muscle_below(motor_level: int) -> int:
    """First segment 'more than three levels below' a motor level: motor level + 4.

    Rupp 2021, AIS definitions (B and C) and footnote on motor incomplete
    status: "more than three levels below the motor level on that side". The
    count is in segments, also through the thoracic cord: below a T11 motor
    level, L2 is only three levels down (T12, L1, L2) and does not count.
    """
    return motor_level + 4


def _scores_below(side: ExamSide, motor_level: int):
    start = first_key_muscle_below(motor_level)
    return [side.motor[name] for name, i in _KEY_INDEX if i >= start]


def _non_key_below(side: ExamSide, motor_level: int) -> bool:
    # A non-key muscle counts when it lies more than 3 segments below (Rupp 2021).
    return side.lowest_non_key_muscle is not None and side.lowest_non_key_muscle > motor_level + 3


def no_motor_below(side: ExamSide, motor_levels: Sequence[Candidate]) -> tuple[bool, bool]:
    """(possible, flagged): some motor level leaves every muscle more than 3
    levels below possibly at 0; flagged when each such level relies on a
    '0*'/'NT*' score being read as absent.

    Rule: AIS B needs "no motor function more than three levels below the
    motor level on either side of the body" (Rupp 2021, AIS B), key or
    non-key muscles (2019 footnote).
    """
    flags = []
    for ml in motor_levels:
        scores = _scores_below(side, ml.index)
        if all(s.can_be_absent() for s in scores) and not _non_key_below(side, ml.index):
            # Presence question (_star.py, rule 4): a '0*' read absent decides
            # B (praxis2019-130: 'B*'); an 'NT*' is only untested.
            flags.append(any(presence_flag_absent(s) for s in scores))
    return bool(flags), bool(flags) and all(flags)


def can_have_motor_below(side: ExamSide, motor_levels: Sequence[Candidate]) -> bool:
    """Some motor level has a muscle more than 3 levels below that may work.

    Rule: motor incomplete status (AIS C/D) with sensory sparing needs motor
    function more than three levels below the motor level on that side, key
    or non-key muscle (Rupp 2021, AIS C and its footnote).
    """
    for ml in motor_levels:
        if any(not s.is_exactly(0) for s in _scores_below(side, ml.index)) or _non_key_below(side, ml.index):
            return True
    return False


def sensory_sparing_possible(exam: Exam) -> bool:
    """Sensory incomplete status is possible: DAP not 'No' or an S4-5 LT/PP score not exactly 0.

    Rupp 2021, AIS B ("sensory but not motor function is preserved below the
    NLI, including the sacral segments S4-5 (light touch or pin prick at S4-5
    or deep anal pressure)"). A '0*' could hide sensation (a starred result),
    a '0**' counts as normal, an NT could be anything.
    """
    return exam.dap != "No" or any(not s.is_exactly(0) for s in sacral_scores(exam))


def _half_rule(exam: Exam, nli: int) -> tuple[bool, bool, bool]:
    """(C possible, D possible, C flagged) for one NLI: key muscles below it graded >= 3.

    Rule: C = fewer than half, D = at least half of the key muscle functions
    below the single NLI graded >= 3 (Rupp 2021, AIS C and D); non-key
    muscles do not count here (2019 footnote: they decide B vs C only).

    C is flagged when a weak score with a 'not normal' non-SCI flag is among
    the muscles counted below 3.
    """
    below = [side.motor[name] for side in exam.sides for name, i in _KEY_INDEX if i > nli]
    if not below:
        return False, True, False
    certain = sum(s.motor_at_least_3() for s in below)
    possible = sum(not s.motor_weak() for s in below)
    return 2 * certain < len(below), 2 * possible >= len(below), any(weak_as_written(s) for s in below)


def possible_grades(
    exam: Exam, completeness: Completeness, motor_levels: Sequence[Sequence[Candidate]], nli: Sequence[Candidate]
) -> dict[str, bool]:
    """Every AIS grade the exam leaves possible -> whether a '*' score decided it.

    Rule: A = complete; B, C, D as above; E = normal in all segments (NLI INT)
    with VAC (Rupp 2021, ASIA Impairment Scale, Classification step 5).

    The flag covers scores read at face value although marked 'not normal'
    for a non-SCI reason (B from absent 0* muscles, C from weak 0*-2*
    muscles); what '**' scores decided is found by classifying again without
    the flags (see ``classify_exam``).
    """
    grades: dict[str, bool] = {}
    if completeness.complete:
        grades["A"] = False
    if completeness.incomplete:
        sensory_sparing = sensory_sparing_possible(exam)
        sides = [no_motor_below(s, m) for s, m in zip(exam.sides, motor_levels)]
        # B is sensory incomplete: it needs sensory sparing (S4-5 LT/PP or DAP);
        # an injury incomplete only because VAC was not testable cannot be B.
        if exam.vac != "Yes" and sensory_sparing and all(possible for possible, _ in sides):
            grades["B"] = any(flagged for _, flagged in sides)
        # ND lists hold the grades of each listed NLI and motor level taken
        # one by one, as the reference does: praxis2019-132 lists C although
        # no single completion of its NT scores gives C (the motor level that
        # makes it motor incomplete and the NLI that makes it C need different
        # completions). A superset of the possible grades, never a subset.
        motor_incomplete = exam.vac in ("Yes", "NT") or (
            sensory_sparing and any(can_have_motor_below(s, m) for s, m in zip(exam.sides, motor_levels))
        )
        if motor_incomplete:
            c_flags = []
            for level in nli:
                if level.index < INTACT_INDEX:
                    c, d, flagged = _half_rule(exam, level.index)
                    if c:
                        c_flags.append(flagged)
                    if d:
                        grades["D"] = False
            if c_flags:
                grades["C"] = all(c_flags)
    if exam.vac in ("Yes", "NT") and any(level.index == INTACT_INDEX for level in nli):
        grades["E"] = False
    return grades
