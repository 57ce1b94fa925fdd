"""Sensory level, motor level and NLI: one rostral-to-caudal walk, three checks.

Rupp 2021 defines the sensory level as the most caudal dermatome with normal
light touch and pin prick with all rostral ones normal, the motor level as the
lowest key muscle graded >= 3 with all rostral key muscles 5 (in segments with
no testable key muscle the motor level is presumed to follow the sensory level),
and the NLI as the most caudal segment where both are normal on both sides.

The walk stands at a level and checks the next one. Each check answers with a
:class:`Step`: stop here or go on, and whether the current level is a possible
answer. An NT score makes the current level possible and lets the walk go on,
which yields the list of every possible level (ND).

Sources: Rupp 2021 (the 2019 booklet), "Classification", steps 1-3
(sensory levels, motor levels, NLI) and the definitions of sensory level,
motor level and NLI; the worksheet's non-SCI notation (``x*`` consider not
normal, ``x**`` consider normal) from the same booklet and Kirshblum S et al.,
Phys Med Rehabil Clin N Am 2020;31(3):319-330.

Unclear in the standard, decided here and listed in the issue note:
- T1 and S1 graded 5: the booklet does not say how far a motor level may pass
  into segments without key muscles; the walk goes on only when the limb's
  dermatomes (C5-T2, L2-S2) are normal (ASIA committee ruling, 2013).
- A weak key muscle flagged ``0*``-``2*``/``NT*``: the grade the cord alone
  would give is unknown, so the next level is a starred possibility; ``3*``
  and ``4*`` are certainly >= 3 and, "not normal", certainly not 5, so they
  end the walk unstarred (as ``0*``/``1*`` dermatomes end the sensory walk).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from ._candidates import Candidate
from ._exam import Exam, ExamSide
from ._levels import INDEX, LEVELS, S3
from ._star import level_needs_flag, stop_decided_by_flag

_UPPER_START, _UPPER_END = INDEX["C4"], INDEX["T1"]
_LOWER_START, _LOWER_END = INDEX["L1"], INDEX["S1"]


@dataclass(frozen=True)
class Step:
    """The answer of one check at the current level."""

    stop: bool
    possible: bool
    star: bool = False  # this side reaches the level only through a flagged score
    #: the flag decided that this side stops here, but its level is this one in
    #: every reading the judgment allows ('NT*' dermatome): another check that
    #: makes the level possible without a flag leaves it plain (NLI, _star.py rule 3)
    decided_star: bool = False
    normal_star: bool = False  # a '**' score was passed as normal: later results are starred


Check = Callable[[int], Step]


def sensory_check(side: ExamSide) -> Check:
    """Check of the next dermatome's light touch and pin prick.

    Rule: sensory level = most caudal dermatome with normal (2) LT and PP, all
    rostral normal (Rupp 2021, Classification step 1). NT: the current level
    is possible and the walk goes on (ND); ``NT*`` is not normal, so it stops
    with a star; ``x**`` is normal and stars every later level.
    """

    def check(i: int) -> Step:
        scores = (side.light_touch[LEVELS[i + 1]], side.pin_prick[LEVELS[i + 1]])
        if any(s.sensory_abnormal() for s in scores):
            return Step(stop=True, possible=True)
        if any(s.nt and s.stars == 1 for s in scores):
            # NT*: not testable for a non-SCI reason, considered not normal:
            # the walk stops, starred -- unless the other modality is a plain
            # NT: read abnormal, it stops the walk here whatever the flag says,
            # so the level is variable, not decided by the flag (_star.py, rule 3).
            return Step(stop=True, possible=True, decided_star=stop_decided_by_flag(scores))
        return Step(
            stop=False,
            possible=any(s.nt and s.stars == 0 for s in scores),
            normal_star=any(s.stars == 2 for s in scores),
        )

    return check


def _dermatomes_check(side: ExamSide, first: str, last: str) -> Step:
    """Whether a whole span of dermatomes is normal (continue), abnormal (stop) or ND."""
    span = range(INDEX[first], INDEX[last] + 1)
    scores = [getattr(side, kind)[LEVELS[j]] for j in span for kind in ("light_touch", "pin_prick")]
    if any(s.sensory_abnormal() for s in scores):
        return Step(stop=True, possible=True)
    if any(s.nt and s.stars == 1 for s in scores):
        # 'NT*' is "not normal" only by the examiner's non-SCI call: it stops
        # the walk, and the stop carries its star as in the sensory walk, unless
        # a plain NT in the span stops it as well (_star.py, rule 3).
        return Step(stop=True, possible=True, decided_star=stop_decided_by_flag(scores))
    # Only a plain NT leaves the span open: 'NT**' is considered normal
    # (Rupp 2021, worksheet) and adds no value, it only stars what follows
    # (_star.py, rule 1). Counting it as NT listed T1*/S1* beside the real
    # level when a whole limb was flagged (an amputation marked 'NT**').
    return Step(
        stop=False,
        possible=any(s.nt and s.stars == 0 for s in scores),
        normal_star=any(s.stars == 2 for s in scores),
    )


def motor_check(side: ExamSide, vac: str, *, limb_dermatomes: bool = True) -> Check:
    """Motor-level check at each level of one side.

    Rule: motor level = lowest key muscle graded >= 3 with all rostral key
    muscles 5; in C1-C4, T2-L1 and S2-S3, where no key muscle can be tested,
    the motor level is presumed to follow the sensory level when the motor
    function above is normal (Rupp 2021, Classification step 2). Below S3,
    VAC decides between S3 and INT (2019: INT = normal through S4-5).

    ``limb_dermatomes=False`` drops the T1/S1 dermatome rule: the NLI walk
    checks sensation itself, level by level.
    """
    sensory = sensory_check(side)

    def key_muscle(i: int) -> Step:
        current, following = side.motor[LEVELS[i]], side.motor[LEVELS[i + 1]]
        # The current muscle is the level when it is >= 3 and not normal, or
        # the next one is below 3; NT and 0*-2* leave it possible (ND).
        # A '3*'/'4*' ends the walk here with no star: 'x*' means "consider not
        # normal" (Rupp 2021, worksheet), so the level is certain, as a '1*'
        # dermatome ends the sensory walk unstarred. Only a flagged score that
        # may be below 3 (0*-2*, NT*) makes this level a starred possibility.
        stop = not current.motor_can_continue() or following.motor_weak()
        possible = not (current.motor_normal() and following.motor_at_least_3())
        return Step(stop, possible, star=level_needs_flag(current), normal_star=current.normal_star)

    def before_key_muscles(i: int) -> Step:
        # C4 and L1: decided by the next key muscle (C5 or L2).
        following = side.motor[LEVELS[i + 1]]
        if following.motor_weak():
            return Step(stop=True, possible=True)
        return Step(stop=False, possible=following.motor_uncertain_weak())

    def last_key_muscle(i: int, last_dermatome: str) -> Step:
        # T1 and S1: a 5 only lets the walk go on when the dermatomes of the
        # limb and the next segment are all normal (2013 expert ruling quoted
        # in RULES.md: the motor level below a limb follows sensation).
        current = side.motor[LEVELS[i]]
        first = "C5" if LEVELS[i] == "T1" else "L2"
        dermatomes = _dermatomes_check(side, first, last_dermatome) if limb_dermatomes else Step(False, False)
        stop = not current.motor_can_continue() or dermatomes.stop
        possible = not (current.motor_normal() and not dermatomes.possible and not dermatomes.stop)
        return Step(
            stop,
            possible,
            # An 'NT*' dermatome that alone stops a normal muscle stars the level.
            star=level_needs_flag(current),
            decided_star=current.motor_can_continue() and dermatomes.decided_star,
            normal_star=current.normal_star or dermatomes.normal_star,
        )

    def check(i: int) -> Step:
        name = LEVELS[i]
        if name in ("C4", "L1"):
            return before_key_muscles(i)
        if name == "T1":
            return last_key_muscle(i, "T2")
        if name == "S1":
            return last_key_muscle(i, "S2")
        if _UPPER_START < i < _UPPER_END or _LOWER_START < i < _LOWER_END:
            return key_muscle(i)
        if i == S3:
            # Below S3 the motor level depends on voluntary anal contraction.
            # Without VAC the motor level is S3 whatever S4-5 sensation is, so
            # a flag there cannot star it; with VAC NT, S3 is possible anyway.
            step = sensory(i)
            if vac == "No":
                return Step(stop=True, possible=True)
            if vac == "NT":
                return Step(stop=step.stop, possible=True, normal_star=step.normal_star)
            return step
        return sensory(i)

    return check


def walk(checks: Sequence[Check], positions: Sequence[Sequence[int]] | None = None) -> tuple[Candidate, ...]:
    """Walk C1 -> S3 applying every check; return the possible levels.

    Parameters
    ----------
    checks : sequence of callables
        Each takes the current level index and returns a :class:`Step`.
    positions : sequence of sets of level indices, optional
        ``positions[k]`` limits where ``checks[k]`` applies (all levels if None).
    """
    found: list[Candidate] = []
    starred = False
    for i in range(S3 + 1):
        steps = [c(i) for k, c in enumerate(checks) if positions is None or i in positions[k]]
        stop = any(s.stop for s in steps)
        adders = [s for s in steps if s.possible or s.stop]
        if adders:
            # Starred when a '**' passed above decided every later level, when
            # some side reaches this level only through a flag, or when every
            # check that puts the level here does so by a flag (_star.py, rule 3).
            plain = [s for s in adders if not (s.star or s.decided_star)]
            found.append(Candidate(i, starred or any(s.star for s in adders) or not plain))
        if stop:
            return tuple(found)
        starred = starred or any(s.normal_star for s in steps)
    found.append(Candidate(S3 + 1, starred))
    return tuple(found)


def sensory_level(side: ExamSide) -> tuple[Candidate, ...]:
    return walk([sensory_check(side)])


def motor_level(side: ExamSide, vac: str) -> tuple[Candidate, ...]:
    return walk([motor_check(side, vac)])


def neurological_level(exam: Exam) -> tuple[Candidate, ...]:
    """Most rostral level normal for both sides' sensation and (C4-T1, L1-S1) motor.

    Rule: NLI = most caudal segment with normal sensation and antigravity
    motor function on both sides, rostral segments normal (Rupp 2021,
    Classification step 3). VAC is not part of it: with S4-5 normal the NLI
    is INT even when the motor level is S3 for absent VAC.
    """
    every = set(range(S3 + 1))
    motor_levels = set(range(_UPPER_START, _UPPER_END + 1)) | set(range(_LOWER_START, _LOWER_END + 1))
    checks = [
        sensory_check(exam.right),
        sensory_check(exam.left),
        motor_check(exam.right, exam.vac, limb_dermatomes=False),
        motor_check(exam.left, exam.vac, limb_dermatomes=False),
    ]
    return walk(checks, [every, every, motor_levels, motor_levels])
