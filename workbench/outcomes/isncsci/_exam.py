"""The typed ISNCSCI exam and its validation from the worksheet dict.

Validation collects every problem (unknown keys, missing dermatomes or
muscles, values outside the allowed set) and raises one
:class:`~workbench.errors.ValidationError`, so nothing is classified from a
partly valid exam.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from ...errors import Problem, ValidationError
from ._levels import DERMATOMES, INDEX, KEY_MUSCLES, NON_KEY_MUSCLE_LEVELS
from ._values import ANAL_ALLOWED, MOTOR_ALLOWED, SENSORY_ALLOWED, Score

SIDES = ("right", "left")
SIDE_KEYS = ("motor", "light_touch", "pin_prick", "lowest_non_key_muscle_with_motor_function")
EXAM_KEYS = ("vac", "dap") + SIDES


@dataclass(frozen=True)
class ExamSide:
    """One side of the worksheet."""

    motor: Mapping[str, Score]
    light_touch: Mapping[str, Score]
    pin_prick: Mapping[str, Score]
    lowest_non_key_muscle: int | None  # level index, None when not given

    def stripped(self) -> "ExamSide":
        strip = lambda scores: {k: v.stripped() for k, v in scores.items()}  # noqa: E731
        return ExamSide(
            strip(self.motor), strip(self.light_touch), strip(self.pin_prick), self.lowest_non_key_muscle
        )


@dataclass(frozen=True)
class Exam:
    """A validated exam: anal findings and both sides."""

    vac: str
    dap: str
    right: ExamSide
    left: ExamSide

    @property
    def sides(self) -> tuple[ExamSide, ExamSide]:
        return (self.right, self.left)

    def has_stars(self) -> bool:
        return any(
            score.stars
            for side in self.sides
            for scores in (side.motor, side.light_touch, side.pin_prick)
            for score in scores.values()
        )

    def stripped(self) -> "Exam":
        """The exam with every non-SCI flag removed (to see what the flags decided)."""
        return Exam(self.vac, self.dap, self.right.stripped(), self.left.stripped())


def with_values(exam: Exam, changes: Mapping[str, Score | str]) -> Exam:
    """The exam with some worksheet fields read differently."""
    anal = {k: v for k, v in changes.items() if k in ("vac", "dap")}
    sides = {}
    for side_name in SIDES:
        side: ExamSide = getattr(exam, side_name)
        kinds = {}
        for kind in ("motor", "light_touch", "pin_prick"):
            prefix = f"{side_name}.{kind}."
            mine = {k[len(prefix):]: v for k, v in changes.items() if k.startswith(prefix)}
            if mine:
                kinds[kind] = {**getattr(side, kind), **mine}
        if kinds:
            sides[side_name] = replace(side, **kinds)
    return replace(exam, **anal, **sides)


def _one_of(values) -> str:
    return "one of " + ", ".join(repr(v) for v in values)


def _parse_scores(
    raw: Any, field: str, names: tuple[str, ...], allowed: tuple[str, ...], problems: list[Problem]
) -> dict[str, Score]:
    if not isinstance(raw, Mapping):
        problems.append(Problem(field, raw, f"a mapping of {names[0]}..{names[-1]} to scores"))
        return {}
    for key in raw:
        if key not in names:
            problems.append(Problem(f"{field}.{key}", raw[key], "no such key; allowed keys: " + ", ".join(names)))
    scores = {}
    for name in names:
        if name not in raw:
            problems.append(Problem(f"{field}.{name}", "<missing>", _one_of(allowed)))
        elif not isinstance(raw[name], str) or raw[name] not in allowed:
            problems.append(Problem(f"{field}.{name}", raw[name], _one_of(allowed)))
        else:
            scores[name] = Score.parse(raw[name])
    return scores


def _parse_side(raw: Any, side: str, problems: list[Problem]) -> ExamSide | None:
    if not isinstance(raw, Mapping):
        problems.append(Problem(side, raw, "a mapping with keys " + ", ".join(SIDE_KEYS)))
        return None
    for key in raw:
        if key not in SIDE_KEYS:
            problems.append(Problem(f"{side}.{key}", raw[key], "no such key; allowed keys: " + ", ".join(SIDE_KEYS)))
    motor = _parse_scores(raw.get("motor"), f"{side}.motor", KEY_MUSCLES, MOTOR_ALLOWED, problems)
    lt = _parse_scores(raw.get("light_touch"), f"{side}.light_touch", DERMATOMES, SENSORY_ALLOWED, problems)
    pp = _parse_scores(raw.get("pin_prick"), f"{side}.pin_prick", DERMATOMES, SENSORY_ALLOWED, problems)
    nkm_field = f"{side}.lowest_non_key_muscle_with_motor_function"
    nkm = raw.get("lowest_non_key_muscle_with_motor_function")
    nkm_index = None
    if nkm is not None:
        if isinstance(nkm, str) and nkm in NON_KEY_MUSCLE_LEVELS:
            nkm_index = INDEX[nkm]
        else:
            problems.append(Problem(nkm_field, nkm, "None or " + _one_of(NON_KEY_MUSCLE_LEVELS)))
    return ExamSide(motor, lt, pp, nkm_index)


def parse_exam(exam: Any) -> Exam:
    """Validate a worksheet dict and return the typed :class:`Exam`.

    Raises
    ------
    ValidationError
        Listing every invalid field at once (e.g. ``right.motor.C5``).
    """
    problems: list[Problem] = []
    if not isinstance(exam, Mapping):
        raise ValidationError([Problem("exam", exam, "a mapping with keys " + ", ".join(EXAM_KEYS))], "ISNCSCI exam")
    for key in exam:
        if key not in EXAM_KEYS:
            problems.append(Problem(str(key), exam[key], "no such key; allowed keys: " + ", ".join(EXAM_KEYS)))
    for key in ("vac", "dap"):
        value = exam.get(key, "<missing>")
        if value not in ANAL_ALLOWED:
            problems.append(Problem(key, value, _one_of(ANAL_ALLOWED)))
    sides = {}
    for side in SIDES:
        if side not in exam:
            problems.append(Problem(side, "<missing>", "a mapping with keys " + ", ".join(SIDE_KEYS)))
        else:
            sides[side] = _parse_side(exam[side], side, problems)
    if problems:
        raise ValidationError(problems, "ISNCSCI exam")
    return Exam(exam["vac"], exam["dap"], sides["right"], sides["left"])
