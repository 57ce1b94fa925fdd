"""Why each result is what it is: the rule, its citation, and the inputs that made it variable.

A result is *variable* when it lists several values (ND, from NT scores) or
carries a ``*`` (a score flagged for a non-SCI condition decided it; Rupp 2021,
"Documentation of non-SCI-related impairments"; Kirshblum S et al., 2020, on
the taxonomy of non-SCI conditions). The inputs that made it variable are
found by asking the classification itself: an uncertain input (NT, ``x*``,
``x**``, VAC/DAP NT) is named when reading it another way it could be read,
all else unchanged, changes that result. Readings tried:

- ``NT``, ``NT*``, ``NT**``: every grade (motor 0-5, sensory 0-2);
- ``x*`` (not normal, non-SCI): every grade from x up, the grade the spinal
  cord alone might have allowed (a non-SCI condition can only lower a grade);
- ``x**`` (considered normal, non-SCI): the grade x as written;
- VAC/DAP ``NT``: Yes and No.

These are the readings with the examiner's judgment dropped, the ones the
star rule of :mod:`._star` is stated in (a star marks a value a flagged
score decides), so every star names at least one flagged input
(tests/outcomes/isncsci/test_asterisk_properties.py).

One input at a time first; a result no single input changes is explained
against a base reading of every uncertain input, then by groups, then step by
step (see :func:`explain_all`): there the names are those that decided, not
necessarily every input involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from ._exam import SIDES, Exam, ExamSide, with_values
from ._values import Score

_BOOKLET = "Rupp R et al., ISNCSCI: Revised 2019, Top Spinal Cord Inj Rehabil 2021;27(2):1-22"
_ZPP = "Schuld C et al., Spinal Cord 2024;62:79-87 (revised ZPP)"
_NON_SCI = "non-SCI conditions: 'x*' not normal, 'x**' normal, worksheet 2019 (Rupp 2021; Kirshblum 2020)"


@dataclass(frozen=True)
class Explanation:
    """Why one result is what it is.

    Attributes
    ----------
    field : str
        The result, named like the flat result keys (``motor_level.left``, ``ais``,
        ``zpp.sensory.right``, ``totals.uems``).
    value : str
        The result as shown (``"C5,C6*"``).
    rule : str
        The rule of the standard that produced it, in words.
    citation : str
        Where the rule is written.
    variable_inputs : tuple of str
        Worksheet fields (``left.motor.C6``, ``vac``) whose uncertain value made
        the result variable; empty when the result is a single unstarred value.
    """

    field: str
    value: str
    rule: str
    citation: str
    variable_inputs: tuple[str, ...]

    @property
    def variable(self) -> bool:
        return "," in self.value or "*" in self.value or self.value == "ND"


_SIDE_RULES = {
    "sensory_level": (
        "Most caudal dermatome with normal light touch and pin prick (both 2) on this side, every "
        "rostral dermatome normal; INT when normal through S4-5. An NT dermatome makes the level "
        "above it possible and the search goes on (ND list); 'x**' counts as normal and stars what "
        "follows, 'x*' and 'NT*' count as not normal.",
        f"{_BOOKLET}, Classification step 1 (sensory levels); {_NON_SCI}",
    ),
    "motor_level": (
        "Lowest key muscle graded >= 3 with every key muscle above graded 5; where no key muscle "
        "can be tested (C1-C4, T2-L1, S2-S3) the motor level follows the sensory level when the "
        "motor function above is normal; T1 and S1 pass on only with the limb's dermatomes normal; "
        "below S3 VAC decides (No: S3, Yes: INT). A weak score flagged 'x*' leaves the next level "
        "possible (starred).",
        f"{_BOOKLET}, Classification step 2 (motor levels); ASIA ruling on T1/S1 (2013); {_NON_SCI}",
    ),
    "zpp.sensory": (
        "Most caudal dermatome on this side with any light touch or pin prick, from the sensory level "
        "down. Applicable only when DAP and S4-5 light touch and pin prick are absent on this side "
        "(otherwise NA); NA is one of the values when they are only possibly absent.",
        f"{_BOOKLET}, Zone of partial preservation; {_ZPP}",
    ),
    "zpp.motor": (
        "Most caudal key muscle on this side with any motor function, from the motor level down "
        "(segments without key muscles count at the motor level only). Applicable only without VAC "
        "(otherwise NA; with VAC NT, NA is one of the values). A non-key muscle more than three levels "
        "below the motor level counts when the AIS is C.",
        f"{_BOOKLET}, Zone of partial preservation; {_ZPP}",
    ),
}
_NLI = (
    "Most caudal segment with normal sensation and antigravity (>= 3) motor function on both sides, "
    "all rostral segments normal: the most rostral of the two sensory and two motor levels.",
    f"{_BOOKLET}, Classification step 3 (neurological level of injury)",
)
_COMPLETENESS = (
    "Complete (C) only without sacral sparing: VAC No, DAP No and S4-5 light touch and pin prick 0 "
    "on both sides; any sparing makes it incomplete (I). 'C,I' when untested or flagged S4-5 values "
    "leave both open.",
    f"{_BOOKLET}, Classification step 4 (complete or incomplete)",
)
_GRADES = {
    "A": "A (complete): no sensory or motor function in S4-5.",
    "B": "B (sensory incomplete): sensory sparing in S4-5 (LT, PP or DAP), no VAC, and no key or non-key motor "
    "function more than three levels below the motor level on either side.",
    "C": "C (motor incomplete): VAC, or sensory sparing with key or non-key motor function more than three "
    "levels below the motor level on a side; fewer than half of the key muscles below the NLI graded >= 3.",
    "D": "D (motor incomplete): as C, with at least half of the key muscles below the NLI graded >= 3.",
    "E": "E (normal): sensation and motor function normal in all segments (NLI INT) with VAC.",
}
_AIS_CITATION = (
    f"{_BOOKLET}, Classification step 5 and ASIA Impairment Scale (non-key muscles decide B vs C, 2019); {_NON_SCI}"
)
_TOTALS = (
    "Sum of the contributing scores (UEMS C5-T1, LEMS L2-S1, LT/PP C2-S4-5); a flagged score counts at its "
    "number; ND when any contributing score is NT.",
    f"{_BOOKLET}, Sensory and motor scores/subscores",
)


def rule_for(field: str, value: str) -> tuple[str, str]:
    """(rule, citation) of one result field."""
    if field == "nli":
        return _NLI
    if field == "injury_complete":
        return _COMPLETENESS
    if field == "ais":
        grades = [g.rstrip("*") for g in value.split(",")]
        return " ".join(_GRADES[g] for g in grades), _AIS_CITATION
    if field.startswith("totals."):
        return _TOTALS
    family = field.rsplit(".", 1)[0]
    return _SIDE_RULES[family]


# --- uncertain inputs and their other readings ---------------------------------
def _readings(score: Score, top: int) -> list[Score]:
    if score.nt:
        return [Score(v, 0) for v in range(top + 1)]
    if score.stars == 1:
        return [Score(v, 0) for v in range(score.value, top + 1)]
    if score.stars == 2:
        return [Score(score.value, 0)]
    return []


def uncertain_inputs(exam: Exam) -> dict[str, list[Score | str]]:
    """Every uncertain worksheet field -> the other readings of its value."""
    found: dict[str, list[Score | str]] = {}
    for key in ("vac", "dap"):
        if getattr(exam, key) == "NT":
            found[key] = ["Yes", "No"]
    for side_name in SIDES:
        side: ExamSide = getattr(exam, side_name)
        for kind, top in (("motor", 5), ("light_touch", 2), ("pin_prick", 2)):
            for name, score in getattr(side, kind).items():
                options = _readings(score, top)
                if options:
                    found[f"{side_name}.{kind}.{name}"] = options
    return found


def flatten(result: Mapping) -> dict[str, str]:
    """The nested result dict as ``{"zpp.motor.left": "T1", ...}``."""
    flat: dict[str, str] = {}

    def walk(prefix: str, node) -> None:
        if isinstance(node, Mapping):
            for key, child in node.items():
                walk(f"{prefix}.{key}" if prefix else key, child)
        else:
            flat[prefix] = node

    walk("", result)
    return flat


def explain_all(exam: Exam, result: Mapping, classify: Callable[[Exam], Mapping]) -> dict[str, Explanation]:
    """An :class:`Explanation` for every result field of one classification.

    First one input at a time (its other readings, all else as written). A
    variable result that no single input changes (two '0**' at S4-5 each
    keep the injury incomplete without the other) is then explained against
    a base exam with every uncertain input at its first other reading: the
    inputs whose own value, put back alone, changes that result are named.
    """
    flat = flatten(result)
    variable_fields = {f for f, v in flat.items() if "," in v or "*" in v or v == "ND"}
    culprits: dict[str, list[str]] = {f: [] for f in variable_fields}
    uncertain = uncertain_inputs(exam) if variable_fields else {}
    for name, readings in uncertain.items():
        changed: set[str] = set()
        for reading in readings:
            other = flatten(classify(with_values(exam, {name: reading})))
            changed |= {f for f in variable_fields if other[f] != flat[f]}
            if changed == variable_fields:
                break
        for f in changed:
            culprits[f].append(name)
    _explain_jointly({f for f in variable_fields if not culprits[f]}, uncertain, exam, flat, classify, culprits)
    # A star is there because a flagged score decided the value (see ._star): when the inputs named so
    # far are only NT scores that make it a list ('C*,D' from one NT muscle), the flagged scores that
    # star it are found the same way, among the flagged inputs alone.
    flagged = {name: uncertain[name] for name in _flagged_inputs(exam) if name in uncertain}
    star_unexplained = {f for f in variable_fields if "*" in flat[f] and not set(culprits[f]) & set(flagged)}
    _explain_jointly(star_unexplained, flagged, exam, flat, classify, culprits,
                     named_yet=lambda names: any(name in flagged for name in names))
    order = {name: i for i, name in enumerate(uncertain)}
    return {
        f: Explanation(f, v, *rule_for(f, v), tuple(sorted(culprits.get(f, ()), key=order.__getitem__)))
        for f, v in flat.items()
    }


def _flagged_inputs(exam: Exam) -> set[str]:
    """Worksheet scores flagged for a non-SCI condition ('x*', 'x**', 'NT*', 'NT**')."""
    return {
        f"{side_name}.{kind}.{name}"
        for side_name in SIDES
        for kind in ("motor", "light_touch", "pin_prick")
        for name, score in getattr(getattr(exam, side_name), kind).items()
        if score.stars
    }


def _explain_jointly(unexplained, uncertain, exam, flat, classify, culprits, named_yet=bool) -> None:
    """Name the inputs behind results no single input changes (``culprits`` is extended in place).

    Against a base reading of every input of ``uncertain`` first, then by groups, then step by step;
    a field counts as explained once ``named_yet(its culprits)`` is true.
    """
    if unexplained:
        base_values = {name: readings[0] for name, readings in uncertain.items()}
        base = flatten(classify(with_values(exam, base_values)))
        for name in uncertain:
            alone = {k: v for k, v in base_values.items() if k != name}
            other = flatten(classify(with_values(exam, alone)))
            for f in unexplained:
                if other[f] != base[f]:
                    culprits[f].append(name)
    unexplained = {f for f in unexplained if not named_yet(culprits[f])}
    if unexplained:
        # Many NT scores that only together decide (C or D from ten NT muscles):
        # name every uncertain score of a side's motor / LT / PP group whose
        # joint reading changes the result.
        groups: dict[str, list[str]] = {}
        for name in uncertain:
            groups.setdefault(name.rsplit(".", 1)[0], []).append(name)
        for members in groups.values():
            for pick in (0, -1):
                other = flatten(classify(with_values(exam, {m: uncertain[m][pick] for m in members})))
                for f in unexplained:
                    if other[f] != flat[f] and not set(members) <= set(culprits[f]):
                        culprits[f].extend(m for m in members if m not in culprits[f])
    unexplained = {f for f in unexplained if not named_yet(culprits[f])}
    if unexplained:
        # Last resort (the C2 dermatome 'NT*' on both sides, LT and PP): read
        # the uncertain inputs one after another and name each input whose
        # reading changes the result at that step. The fully read exam has no
        # NT and no flag (in the star pass: no flag, so no star), so at least
        # one input is named.
        changes: dict[str, Score | str] = {}
        previous = flat
        for name, readings in uncertain.items():
            changes[name] = readings[0]
            current = flatten(classify(with_values(exam, changes)))
            for f in unexplained:
                if current[f] != previous[f]:
                    culprits[f].append(name)
            previous = current
