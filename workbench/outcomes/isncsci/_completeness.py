"""Complete or incomplete injury (Rupp 2021, "Sacral sparing").

Complete (C) means no sacral sparing: no voluntary anal contraction, no deep
anal pressure and no light touch or pin prick at S4-5 on either side. Any sacral
sparing makes the injury incomplete (I).

Rule: Rupp 2021, Classification step 4 and the definition of sacral sparing.
A '0*' at S4-5 (absent, but a non-SCI condition may hide sensation) leaves
both open, starred; a '0**' counts as sensation (incomplete, starred).
"""

from __future__ import annotations

from dataclasses import dataclass

from ._exam import Exam


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
    scores = sacral_scores(exam)
    if exam.vac == "Yes" or exam.dap == "Yes" or any(s.sensory_present() and s.stars < 2 for s in scores):
        return Completeness(False, True)
    if any(s.stars == 2 for s in scores):
        # '**' = consider normal: sparing, but only because of the flag.
        return Completeness(False, True, star=True)
    # Every S4-5 score is now 0, NT, 0* or NT*, and VAC/DAP are No or NT.
    flagged = any(s.stars == 1 for s in scores)
    untested = exam.vac == "NT" or exam.dap == "NT" or any(s.nt for s in scores)
    if not flagged and not untested:
        return Completeness(True, False)
    return Completeness(True, True, star=flagged)
