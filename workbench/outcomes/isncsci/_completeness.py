"""Complete or incomplete injury (Rupp 2021, "Sacral sparing").

Complete (C) means no sacral sparing: no voluntary anal contraction, no deep
anal pressure and no light touch or pin prick at S4-5 on either side. Any sacral
sparing makes the injury incomplete (I).

Rule: Rupp 2021, Classification step 4 and the definition of sacral sparing.
A '0*' at S4-5 (absent, but a non-SCI condition may hide sensation) leaves
both open, starred unless an NT already does; a '0**' counts as sensation
(incomplete, starred). See :mod:`._star` for the roles of NT and the flags.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._exam import Exam
from ._star import (
    completeness_star, presence_by_flag_only, presence_certain, presence_flag_absent, presence_variable,
)


@dataclass(frozen=True)
class Completeness:
    """Which of complete / incomplete remain possible, and whether a flag decided it."""

    complete: bool
    incomplete: bool
    star: bool = False

    def __str__(self) -> str:
        star = "*" * self.star
        return ",".join(name + star for name, ok in (("C", self.complete), ("I", self.incomplete)) if ok)


def sacral_scores(exam: Exam):
    return [side.light_touch["S4_5"] for side in exam.sides] + [side.pin_prick["S4_5"] for side in exam.sides]


def determine_completeness(exam: Exam) -> Completeness:
    """Complete / incomplete from VAC, DAP and S4-5 light touch and pin prick.

    Rule: Rupp 2021, Classification step 4 (sacral sparing = any of VAC, DAP,
    S4-5 LT or PP). Each S4-5 score answers a presence question, so its role
    is decided in :mod:`._star` (rule 4): NT and NT* are variable, '0*' is
    recorded absent but may hide sparing (a flag reading), '0**'/'NT**' are
    sparing only by the flag, and any score with a grade above 0 is sparing
    whatever its flag (the flag cannot change that value: no star).
    """
    scores = sacral_scores(exam)
    if exam.vac == "Yes" or exam.dap == "Yes" or any(presence_certain(s) and not presence_by_flag_only(s) for s in scores):
        return Completeness(False, True)
    untested = exam.vac == "NT" or exam.dap == "NT" or any(presence_variable(s) for s in scores)
    if any(presence_by_flag_only(s) for s in scores):
        # '0**' = consider normal: sparing, but only because of the flag --
        # unless an untested one could be sparing too (_star.py, rule 3).
        return Completeness(False, True, star=not untested)
    # Every S4-5 score is now 0, NT, 0* or NT*, and VAC/DAP are No or NT.
    flag_absent = any(presence_flag_absent(s) for s in scores)
    if not flag_absent and not untested:
        return Completeness(True, False)
    return Completeness(True, True, star=completeness_star(untested, flag_absent))
