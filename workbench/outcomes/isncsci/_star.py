"""Where a result becomes a list (ND) and where it carries a '*': the one place.

Two kinds of uncertainty reach a derived value, and the standard keeps them apart:

- *variable*: a score not testable (``NT``), or VAC/DAP ``NT``. The result is
  not determinable and lists every value some reading of the untested scores
  gives, without a star (Rupp 2021, worksheet: "ND"; ISNCSCI Algorithm,
  Praxis Spinal Cord Institute, multi-valued outputs).
- *uncertain because of a non-SCI condition*: a score the examiner flagged
  (``x*`` = impairment not due to SCI, consider NOT normal; ``x**`` = consider
  normal; Rupp 2021, "Documentation of non-SCI-related impairments" and the
  2019 worksheet; Kirshblum S et al., Phys Med Rehabil Clin N Am
  2020;31(3):319-330, on the taxonomy of non-SCI conditions and the '*').
  The value the flag decided is starred.

The rule every derived value follows (decided here, from Kirshblum 2020: the
'*' marks "a value that was determined with the help of a non-SCI
judgment"):

1. A flagged score is read as the examiner's judgment says. ``x*`` means not
   normal: its SCI-only grade may be anything from ``x`` up to the highest
   grade that is still not normal (sensory 1, motor 4); ``NT*`` anything not
   normal. ``x**`` is read as normal; its own grade ``x`` is not an admissible
   reading (the examiner ruled it out), so ``**`` adds no values.
2. A value is listed when some admissible reading gives it.
3. A value is starred only when it depends on a flagged score: every reading
   that gives it reads some flagged score away from the plain grade written
   (``x*`` above ``x``; ``x**`` as normal where ``x`` alone would not be).
   NT alone never stars: a value some reading gives without a flag stays
   plain even when other readings that also give it use a flag
   (:func:`merge`, the AND of the readings' stars).
4. Which role ``NT*`` plays depends on the question a rule asks:
   *normality* (levels, NLI, the >= 3 count of AIS C/D) -- it is flagged not
   normal, so a level that needs it normal or >= 3 is starred (public exam
   praxis2019-126: motor level ``C5,C6*``); *presence of any function*
   (sacral sparing, ZPP, motor function below the motor level for AIS B) --
   "consider not normal" says nothing about presence, the score simply was
   not tested: variable, unstarred (praxis2019-126: motor ZPP ``C5,C6``;
   RULES.md, Completeness: ``C,I`` with ``NT*`` at S4-5). ``0*`` in a
   presence question is recorded absent but may hide SCI-spared function:
   the values that need it present are starred (praxis2019-88, -130).

When both kinds occur, value by value: a value NT already gives is plain;
a value only a flag reading gives is starred (rule 3). So an 'NT*' beside a
plain NT stops a level walk unstarred (:func:`stop_decided_by_flag`), in the
NLI walk a level one side reaches without a flag stays plain although another
side's flag also stops there (``_walk.Step.decided_star``), and a sparing
'0**' beside an untested S4-5 gives a plain 'I'. Exceptions the reference
exams fix: completeness (:func:`completeness_star`), a B or C that counts a
'0*'-'2*' as written (:func:`weak_as_written`, praxis2019-130) and a sensory
ZPP found above a '0*' (praxis2019-88) are starred, although the written
reading gives them; NA is never starred.

Where the rules are checked: tests/outcomes/isncsci/test_asterisk_properties.py
against the brute-force enumerator tests/outcomes/isncsci/naive.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._levels import level_name
from ._values import Score

NOT_APPLICABLE = "NA"


@dataclass(frozen=True, order=True)
class Candidate:
    """One possible level: its index (INT past S3, -1 for NA) and its star."""

    index: int
    star: bool = False

    @property
    def name(self) -> str:
        base = NOT_APPLICABLE if self.index < 0 else level_name(self.index)
        return base + "*" * self.star


def merge(candidates) -> tuple[Candidate, ...]:
    """One entry per level, rostral to caudal; starred only if every reading that gives it is.

    Rule 3 above: a level some reading gives without relying on a flagged
    score is not starred, however many flagged readings also give it.
    """
    best: dict[int, bool] = {}
    for cand in candidates:
        best[cand.index] = best.get(cand.index, True) and cand.star
    return tuple(Candidate(i, s) for i, s in sorted(best.items()))


# --- normality (levels, NLI, the >= 3 count of AIS C/D) ---------------------------
def level_needs_flag(score: Score) -> bool:
    """A level at this key muscle needs a flag reading of the muscle itself (rule 3).

    A motor level needs its own key muscle >= 3 (Rupp 2021, Classification
    step 2). '0*'-'2*' and 'NT*' reach 3 only in the reading the flag leaves
    open (the SCI-only grade, not normal: 3 or 4; praxis2019-94 'C6,C7*',
    -126 'C5,C6*'); '0**'-'2**' reach it only because they are considered
    normal. '3**'/'4**' are >= 3 as written: the flag does not decide this
    level, only the levels the walk reaches past it.
    """
    return score.flagged_possibly_weak() or (score.normal_star and score.value is not None and score.value < 3)


def stop_decided_by_flag(scores) -> bool:
    """An 'NT*' (not normal by the examiner's call) stops a level walk, and no plain NT beside it does.

    RULES.md, sensory level: "either NT* -> current level with *". A plain NT
    among the same scores, read abnormal, stops the walk at the same level
    without any flag: the level is then variable, not starred (rule 3).
    """
    return any(s.nt and s.stars == 1 for s in scores) and not any(s.nt and s.stars == 0 for s in scores)


def weak_as_written(score: Score) -> bool:
    """'0*'-'2*': counted below 3 as the examiner wrote it, a C that counts it is starred.

    'NT*' is left out: read below 3 it is the plain reading of an untested,
    not normal muscle, as the motor level reads it (praxis2019-126: 'C5,C6*',
    the C5 that takes it below 3 unstarred). Only a grade written below 3 and
    flagged stars a C (praxis2019-130: '0*' muscles below the NLI, 'C*').
    """
    return score.flagged_possibly_weak() and score.value is not None


# --- presence of any function (sacral sparing, ZPP, motor function below) --------
def presence_certain(score: Score) -> bool:
    """Function certainly present as the examiner rules: 1-5 (any flag), or a '**' score."""
    return (score.value is not None and score.value > 0) or score.stars == 2


def presence_by_flag_only(score: Score) -> bool:
    """Present only because a '0**'/'NT**' is considered normal: a value this decides is starred.

    'NT**' is taken as "untested, considered normal": for presence it counts
    as present and stars what it decides, as '0**' does (praxis2019-100: two
    '0**' at S4-5 give 'I*').
    """
    return score.stars == 2 and not score.value


def presence_variable(score: Score) -> bool:
    """Presence unknown and not a flag question: NT and NT* (rule 4)."""
    return score.value is None and score.stars < 2


def presence_flag_absent(score: Score) -> bool:
    """Recorded absent ('0*') but a non-SCI condition may hide function: present is a starred reading."""
    return score.stars == 1 and score.value == 0


def completeness_star(untested: bool, flag_absent: bool) -> bool:
    """Whether 'C,I' carries stars.

    Rule (RULES.md, Completeness, as the reference applies it; Kirshblum
    2020): with VAC and DAP No and every S4-5 score 0 or '0*', only the flag
    leaves sparing open, and both C and I are starred ('C*,I*', praxis2019-88).
    When an NT (S4-5 NT/NT*, VAC or DAP NT) already leaves both open, the
    result is not determinable by NT and the flag changes nothing: 'C,I'.
    """
    return flag_absent and not untested
