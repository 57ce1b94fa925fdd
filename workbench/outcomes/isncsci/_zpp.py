"""Zones of partial preservation, 2019 rules.

Rupp 2021 ("Zone of partial preservation") and the revision by Schuld C et al.,
Spinal Cord 2024;62:79-87: the ZPP is the most caudal segment with preserved
function below the sensory/motor level, reported when there is no sacral
sparing of that modality (no DAP/S4-5 sensation for sensory ZPP, no VAC for
motor ZPP); otherwise NA. A non-key muscle counts for the motor ZPP only in an
AIS C injury.

Unclear, decided here: the 2019 booklet defines the ZPP as the most caudal
segment with any function below the level; it does not say how NT and
flagged scores enter, nor how a non-key muscle and a thoracic motor level
do. Here a '0**' (function only because considered normal) stars the ZPP
(sensory and motor alike), an 'NT**' does not (public exam praxis2019-84);
a thoracic motor ZPP is the motor level itself: no myotome can be tested
there, and motor function is not inferred from sensation below the motor
level (public exam praxis2019-124; the question is discussed as case 2 of
Kirshblum S et al., Spinal Cord 2021, doi:10.1038/s41393-021-00648-y, "Classification challenges
of the 2019 revised ISNCSCI" -- check the wording there before relying on it).
"""

from __future__ import annotations

from typing import Sequence

from ._candidates import Candidate, merge
from ._exam import ExamSide
from ._levels import INDEX, KEY_MUSCLES, LEVELS, S1, S3
from ._star import presence_flag_absent

NA = Candidate(-1)
_KEY = {INDEX[name] for name in KEY_MUSCLES}


def sensory_zpp(side: ExamSide, dap: str) -> tuple[Candidate, ...]:
    """Sensory ZPP of one side: walk up from S3 to the first dermatome with sensation.

    Applicable with DAP No/NT and S4-5 light touch and pin prick possibly absent;
    NA is one of the values when DAP is NT or S4-5 is not certainly 0.
    """
    if dap == "Yes":
        return (NA,)
    sacral = (side.light_touch["S4_5"], side.pin_prick["S4_5"])
    if not all(s.can_be_absent() for s in sacral):
        return (NA,)
    found = [] if dap == "No" and all(s.is_exactly(0) for s in sacral) else [NA]
    # Once a '0*' was passed (recorded absent, but the non-SCI condition may
    # hide sensation), every level above depends on reading it absent: starred
    # (praxis2019-88: 'NA,T5*,S3*'). 'NT*' is only untested for this presence
    # question (_star.py, rule 4): it lists values, unstarred. Unclear: a '0*'
    # at S4-5 alone decides that the ZPP applies (C*,I*); the values found
    # above are not starred for it (no public exam shows it either way).
    flagged = False
    for i in range(S3, 0, -1):
        scores = (side.light_touch[LEVELS[i]], side.pin_prick[LEVELS[i]])
        flagged = flagged or any(presence_flag_absent(s) for s in scores)
        if any(s.sensory_present() for s in scores):
            # Sensation that exists only because a '0**' is considered normal:
            # the flag decided this ZPP, as a '0**' key muscle does for the
            # motor ZPP (public exam praxis2019-104; an 'NT**' stays unstarred
            # there, praxis2019-84, and so here).
            # A plain NT beside it could be sensation without any flag: the
            # level is then variable, not decided by the '0**' (_star.py, rule 3).
            by_flag_only = not any(s.value or s.nt for s in scores)
            found.append(Candidate(i, star=flagged or by_flag_only))
            return tuple(found)
        if not all(s.is_exactly(0) for s in scores):
            found.append(Candidate(i, star=flagged))
    found.append(Candidate(0, star=flagged))  # C1 is always considered normal
    return tuple(found)


def motor_zpp(side: ExamSide, vac: str, motor_levels: Sequence[Candidate], grades) -> tuple[Candidate, ...]:
    """Motor ZPP of one side; ``grades`` are the possible AIS grades.

    The non-key muscle counts only for AIS C (Rupp 2021): when the AIS is
    undetermined, the ZPP lists the values of both readings.
    """
    if vac == "Yes":
        return (NA,)
    found = [NA] if vac == "NT" else []
    readings = []
    if "C" in grades:
        readings.append(True)
    non_key = side.lowest_non_key_muscle
    lowest = max(c.index for c in motor_levels)
    if any(g != "C" for g in grades) or (non_key is not None and non_key <= lowest + 3):
        readings.append(False)
    for use_non_key in readings:
        found += _motor_zpp_walk(side, motor_levels, use_non_key)
    return merge(found)


def _motor_zpp_walk(side: ExamSide, motor_levels: Sequence[Candidate], use_non_key: bool) -> list[Candidate]:
    """Walk up from S1 (or the lowest motor level) to the motor level."""
    found = []
    levels = {c.index: c.star for c in motor_levels}
    top = min(levels)
    non_key = side.lowest_non_key_muscle
    use_non_key = use_non_key and non_key is not None and non_key > top + 3
    # The walk starts low enough to meet a non-key muscle given below S1
    # (the form allows S2/S3): the ZPP is the most caudal segment with function.
    start = min(max(S1, max(levels), non_key if use_non_key else 0), S3)
    for i in range(start, top - 1, -1):
        score = side.motor[LEVELS[i]] if i in _KEY else None
        if use_non_key and i == non_key:
            found.append(Candidate(i))
            break
        if score is not None and ((score.value is not None and score.value > 0) or score.stars == 2):
            # '0**': function only because the flag says "consider normal".
            found.append(Candidate(i, star=score.stars == 2 and score.value == 0))
            break
        if score is not None and not score.is_exactly(0):
            # NT, NT* or 0*: function unknown, the walk goes on; a 0* decided it.
            found.append(Candidate(i, star=score.stars == 1 and score.value == 0))
        elif i in levels:
            found.append(Candidate(i, levels[i]))
        if i == top:
            break
    return found
