"""The ISNCSCI worksheet being filled in, classified live as values change."""

from __future__ import annotations

from typing import Any

from ...errors import Problem, ValidationError
from ..isncsci import (
    ANAL_ALLOWED, DERMATOMES, KEY_MUSCLES, MOTOR_ALLOWED, SENSORY_ALLOWED, SIDES, Classification, Explanation,
    classify_exam, parse_exam,
)
from ._base import Listeners, empty

INSTRUMENT = "ISNCSCI"
VERSION = "2019"
NON_KEY = "lowest_non_key_muscle_with_motor_function"


def _score_fields() -> dict[str, tuple[str, ...]]:
    fields = {}
    for side in SIDES:
        for m in KEY_MUSCLES:
            fields[f"{side}.motor.{m}"] = MOTOR_ALLOWED
        for kind in ("light_touch", "pin_prick"):
            for d in DERMATOMES:
                fields[f"{side}.{kind}.{d}"] = SENSORY_ALLOWED
    fields["vac"] = ANAL_ALLOWED
    fields["dap"] = ANAL_ALLOWED
    return fields


class IsncsciEntry:
    """State of one ISNCSCI worksheet.

    Fields are named like the validation errors: ``right.motor.C5``,
    ``left.pin_prick.S4_5``, ``vac``, ``right.lowest_non_key_muscle_with_motor_function``.
    A missing value is not an error while typing; :attr:`classification` is
    available once every field is filled and valid.
    """

    FIELDS: dict[str, tuple[str, ...]] = _score_fields()

    def __init__(self) -> None:
        self._values: dict[str, str | None] = {name: None for name in self.FIELDS}
        self._non_key: dict[str, str | None] = {side: None for side in SIDES}
        self.comments = ""
        self.listeners = Listeners()
        self._problems: dict[str, Problem] = {}
        self._classification: Classification | None = None

    # -- editing ---------------------------------------------------------------
    def set(self, field: str, value: Any) -> None:
        """Set one field (a worksheet string, '' or None to clear) and reclassify."""
        self._assign(field, value)
        self._update()

    def update(self, values: dict[str, Any]) -> None:
        """Set several fields at once (one reclassification)."""
        for field, value in values.items():
            self._assign(field, value)
        self._update()

    def _assign(self, field: str, value: Any) -> None:
        value = None if empty(value) else value
        side, _, rest = field.partition(".")
        if side in SIDES and rest == NON_KEY:
            self._non_key[side] = value
        elif field in self._values:
            self._values[field] = value
        else:
            raise KeyError(f"no ISNCSCI worksheet field {field!r}")

    def load_exam(self, exam: dict) -> None:
        """Fill every field from an exam dict (the shape :func:`classify` takes)."""
        values = {"vac": exam.get("vac"), "dap": exam.get("dap")}
        for side in SIDES:
            for kind in ("motor", "light_touch", "pin_prick"):
                for key, value in exam.get(side, {}).get(kind, {}).items():
                    values[f"{side}.{kind}.{key}"] = value
            values[f"{side}.{NON_KEY}"] = exam.get(side, {}).get(NON_KEY)
        self.update(values)

    def fill_normal(self) -> None:
        """Set every still-empty score to normal (motor 5, sensory 2, VAC/DAP Yes)."""
        normal = {"vac": "Yes", "dap": "Yes"}
        self.update({f: normal.get(f, "5" if ".motor." in f else "2") for f, v in self._values.items() if v is None})

    def value(self, field: str) -> str | None:
        side, _, rest = field.partition(".")
        if side in SIDES and rest == NON_KEY:
            return self._non_key[side]
        return self._values[field]

    # -- derived state -----------------------------------------------------------
    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(f for f, v in self._values.items() if v is None)

    @property
    def problems(self) -> dict[str, Problem]:
        """Invalid fields (not the empty ones) with their allowed values."""
        return dict(self._problems)

    @property
    def classification(self) -> Classification | None:
        return self._classification

    @property
    def result(self) -> dict | None:
        """The classification as the worksheet-string dict, or None until complete."""
        return None if self._classification is None else self._classification.to_dict()

    def explain(self, result_field: str) -> Explanation | None:
        """Why one result is what it is, for display next to it; None until the worksheet is complete.

        ``result_field`` is a key of :meth:`scores` (``ais``, ``motor_level.left``,
        ``zpp.sensory.right``, ``totals.uems``); the :class:`Explanation` gives the
        rule, its citation and the worksheet fields that made the result variable.
        """
        return None if self._classification is None else self._classification.explain(result_field)

    def exam_dict(self) -> dict:
        """The exam in the shape :func:`workbench.outcomes.isncsci.classify` takes."""
        exam: dict[str, Any] = {"vac": self._values["vac"], "dap": self._values["dap"]}
        for side in SIDES:
            exam[side] = {
                "motor": {m: self._values[f"{side}.motor.{m}"] for m in KEY_MUSCLES},
                "light_touch": {d: self._values[f"{side}.light_touch.{d}"] for d in DERMATOMES},
                "pin_prick": {d: self._values[f"{side}.pin_prick.{d}"] for d in DERMATOMES},
                NON_KEY: self._non_key[side],
            }
        return exam

    def _update(self) -> None:
        exam = self.exam_dict()
        try:
            parsed = parse_exam(exam)
        except ValidationError as err:
            # Empty fields are not mistakes while the form is being filled.
            self._problems = {p.field: p for p in err.problems if p.value is not None}
            self._classification = None
        else:
            self._problems = {}
            self._classification = classify_exam(parsed)
        self.listeners.notify()

    # -- what gets saved -----------------------------------------------------------
    def item_values(self) -> dict[str, Any]:
        """Flat item values (JSON scalars) as stored with the assessment."""
        values = {f: v for f, v in self._values.items()}
        values.update({f"{side}.{NON_KEY}": self._non_key[side] for side in SIDES})
        return values

    def scores(self) -> dict[str, Any]:
        """Flat results (levels, AIS, ZPP, totals); totals as numbers, ND as None."""
        if self._classification is None:
            raise ValidationError(
                list(self._problems.values()) or [Problem(f, None, "a value") for f in self.missing[:20]],
                what="ISNCSCI worksheet (not complete)",
            )
        flat: dict[str, Any] = {}

        def walk(prefix: str, node: Any) -> None:
            if isinstance(node, dict):
                for key, child in node.items():
                    walk(f"{prefix}.{key}" if prefix else key, child)
            elif prefix.startswith("totals."):
                flat[prefix] = None if node == "ND" else int(node)
            else:
                flat[prefix] = node

        walk("", self.result)
        return flat
