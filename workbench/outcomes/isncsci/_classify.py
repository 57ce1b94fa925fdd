"""ISNCSCI 2019 classification: the public entry point and its result record."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from ._ais import GRADES, possible_grades
from ._candidates import Candidate, format_candidates
from ._completeness import Completeness, determine_completeness
from ._exam import Exam, parse_exam
from ._explain import Explanation, explain_all
from ._levels import INTACT_INDEX
from ._totals import SideTotals, Totals, compute_totals
from ._walk import motor_level, neurological_level, sensory_level
from ._zpp import motor_zpp, sensory_zpp

ND = "ND"


@dataclass(frozen=True)
class Classification:
    """Every result of one exam, as possible values (ND lists) with stars."""

    sensory_level: tuple[tuple[Candidate, ...], tuple[Candidate, ...]]  # right, left
    motor_level: tuple[tuple[Candidate, ...], tuple[Candidate, ...]]
    nli: tuple[Candidate, ...]
    completeness: Completeness
    ais: tuple[str, ...]  # grades, each possibly with a trailing '*'
    sensory_zpp: tuple[tuple[Candidate, ...], tuple[Candidate, ...]]
    motor_zpp: tuple[tuple[Candidate, ...], tuple[Candidate, ...]]
    totals: Totals
    exam: Exam | None = field(default=None, compare=False, repr=False)  # what was classified

    @cached_property
    def explanations(self) -> dict[str, Explanation]:
        """Every result field (flat keys: ``nli``, ``motor_level.left``, ``zpp.sensory.right``,
        ``totals.uems``...) -> its :class:`Explanation` (rule, citation, variable inputs)."""
        if self.exam is None:
            raise ValueError("this Classification was built without its exam; use classify_exam")
        return explain_all(self.exam, self.to_dict(), lambda exam: classify_exam(exam).to_dict())

    def explain(self, field_name: str) -> Explanation:
        """The rule, citation and variable inputs of one result field.

        Raises
        ------
        KeyError
            When ``field_name`` is not a result field (the message lists them).
        """
        try:
            return self.explanations[field_name]
        except KeyError:
            raise KeyError(f"no ISNCSCI result {field_name!r}; results: {', '.join(self.explanations)}") from None

    def to_dict(self) -> dict[str, Any]:
        """The result in the worksheet-string shape of the reference cases."""

        def pair(values):
            return {"right": format_candidates(values[0]), "left": format_candidates(values[1])}

        def total(value):
            return ND if value is None else str(value)

        def side(t: SideTotals):
            return {k: total(getattr(t, k)) for k in ("uems", "lems", "motor", "light_touch", "pin_prick")}

        t = self.totals
        return {
            "sensory_level": pair(self.sensory_level),
            "motor_level": pair(self.motor_level),
            "nli": format_candidates(self.nli),
            "injury_complete": str(self.completeness),
            "ais": ",".join(self.ais),
            "zpp": {"sensory": pair(self.sensory_zpp), "motor": pair(self.motor_zpp)},
            "totals": {
                "right": side(t.right),
                "left": side(t.left),
                **{k: total(getattr(t, k)) for k in ("uems", "lems", "light_touch", "pin_prick")},
            },
        }


def _levels_and_grades(exam: Exam):
    completeness = determine_completeness(exam)
    motor = tuple(motor_level(s, exam.vac) for s in exam.sides)
    nli = neurological_level(exam)
    return completeness, motor, nli, possible_grades(exam, completeness, motor, nli)


def classify_exam(exam: Exam) -> Classification:
    """Classify a validated :class:`Exam`."""
    completeness, motor, nli, grades = _levels_and_grades(exam)
    # A grade is starred when a non-SCI flag decided it: it is not possible
    # once the flags are removed (RULES.md, AIS).
    plain = _levels_and_grades(exam.stripped())[3] if exam.has_stars() else grades
    starred = {g for g, flagged in grades.items() if flagged or g not in plain}
    if completeness.star and "A" in grades:
        starred.add("A")
    if "E" in grades and any(c.star for c in nli if c.index == INTACT_INDEX):
        starred.add("E")
    ais = tuple(g + "*" * (g in starred) for g in GRADES if g in grades)
    # The motor ZPP only applies without VAC (Schuld 2024), so whether the AIS
    # can be C there (and a non-key muscle counts) is judged with VAC absent.
    zpp_grades = set(grades) if exam.vac != "NT" else set(_levels_and_grades(replace(exam, vac="No"))[3])
    return Classification(
        sensory_level=tuple(sensory_level(s) for s in exam.sides),
        motor_level=motor,
        nli=nli,
        completeness=completeness,
        ais=ais,
        sensory_zpp=tuple(sensory_zpp(s, exam.dap) for s in exam.sides),
        motor_zpp=tuple(motor_zpp(s, exam.vac, m, zpp_grades) for s, m in zip(exam.sides, motor)),
        totals=compute_totals(exam),
        exam=exam,
    )


def classify(exam: dict) -> dict:
    """Classify an ISNCSCI 2019 exam.

    Parameters
    ----------
    exam : dict
        ``vac``, ``dap`` ('Yes', 'No', 'NT') and ``right``/``left`` each with
        ``motor`` (C5-T1, L2-S1), ``light_touch`` and ``pin_prick`` (C2-S4_5)
        as worksheet strings, and ``lowest_non_key_muscle_with_motor_function``
        (a level or None).

    Returns
    -------
    result : dict
        ``sensory_level``, ``motor_level``, ``nli``, ``injury_complete``,
        ``ais``, ``zpp`` and ``totals`` as strings; undeterminable results list
        every possible value comma-joined, a trailing ``*`` marks a value a
        non-SCI flag decided, ``NA`` = not applicable, ``ND`` = total not
        determinable.

    Raises
    ------
    ValidationError
        Naming every invalid field with its allowed values; nothing is classified.
    """
    return classify_exam(parse_exam(exam)).to_dict()
