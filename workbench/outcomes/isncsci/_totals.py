"""Motor and sensory totals (Rupp 2021, "Sensory and motor scores").

UEMS = C5-T1 key muscles, LEMS = L2-S1 (0-25 per side); LT and PP = C2-S4-5
(0-56 per side). A total is not determinable (None) when any contributing score
is NT, NT* or NT**; a flagged score counts at its number.

Rule: Rupp 2021, "Sensory and motor scores/subscores" (UEMS, LEMS, LT, PP).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ._exam import Exam, ExamSide
from ._levels import DERMATOMES, LOWER_KEY_MUSCLES, UPPER_KEY_MUSCLES
from ._values import Score


@dataclass(frozen=True)
class SideTotals:
    uems: int | None
    lems: int | None
    motor: int | None
    light_touch: int | None
    pin_prick: int | None


@dataclass(frozen=True)
class Totals:
    right: SideTotals
    left: SideTotals
    uems: int | None
    lems: int | None
    light_touch: int | None
    pin_prick: int | None


def _sum(values: Iterable[int | None]) -> int | None:
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


def _scores_sum(scores: Iterable[Score]) -> int | None:
    return _sum(s.value for s in scores)


def side_totals(side: ExamSide) -> SideTotals:
    uems = _scores_sum(side.motor[m] for m in UPPER_KEY_MUSCLES)
    lems = _scores_sum(side.motor[m] for m in LOWER_KEY_MUSCLES)
    return SideTotals(
        uems=uems,
        lems=lems,
        motor=_sum([uems, lems]),
        light_touch=_scores_sum(side.light_touch[d] for d in DERMATOMES),
        pin_prick=_scores_sum(side.pin_prick[d] for d in DERMATOMES),
    )


def compute_totals(exam: Exam) -> Totals:
    right, left = side_totals(exam.right), side_totals(exam.left)
    return Totals(
        right=right,
        left=left,
        uems=_sum([right.uems, left.uems]),
        lems=_sum([right.lems, left.lems]),
        light_touch=_sum([right.light_touch, left.light_touch]),
        pin_prick=_sum([right.pin_prick, left.pin_prick]),
    )
