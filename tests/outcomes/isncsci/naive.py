"""Slow, obvious reference versions of the ISNCSCI level rules, for tests only.

Two parts, written from the standard and kept apart from the package's walk:

- :func:`determinate` classifies an exam whose every score is a plain grade
  (no NT, no flag, VAC/DAP Yes or No) straight from the definitions
  (Rupp 2021, Classification steps 1-4; the ZPP as Schuld 2024; RULES.md for
  the C4/L1 and T1/S1 conventions).
- :func:`readings` enumerates every admissible reading of an exam's NT and
  flagged scores: NT may be any grade; ``x*`` any grade from x up that is still
  not normal (the examiner's "consider not normal"); ``NT*`` any grade not
  normal; ``x**``/``NT**`` normal ("consider normal"). A value some reading gives
  must be listed, and nothing else (the ND convention, "every possible value").

Motor grades are enumerated by representatives: 1 and 2 act alike in every
rule (some function, below 3), so do 3 and 4 (antigravity, not normal).
"""

from __future__ import annotations

import copy
import itertools

from workbench.outcomes.isncsci import DERMATOMES, KEY_MUSCLES, LEVELS

SIDES = ("right", "left")
INT = len(LEVELS) - 1  # index of S4_5, output as INT
_MOTOR_REPS = (0, 1, 3, 5)


def _score_readings(text: str, kind: str) -> tuple[int, ...]:
    base = text.rstrip("*")
    stars = len(text) - len(base)
    top = 5 if kind == "motor" else 2
    if stars == 2:
        return (top,)
    if base == "NT":
        values = range(top) if stars == 1 else range(top + 1)
    elif stars == 1:
        values = range(int(base), top)
    else:
        return (int(base),)
    if kind == "motor":
        # The written grade itself, then one representative of each class above it.
        return tuple(sorted({min(values)} | {v for v in _MOTOR_REPS if v in values}))
    return tuple(values)


def readings(exam: dict):
    """Every admissible plain exam (dict of ints and Yes/No) an uncertain exam may stand for."""
    slots, options = [], []
    for key in ("vac", "dap"):
        slots.append((key,))
        options.append(("Yes", "No") if exam[key] == "NT" else (exam[key],))
    for side in SIDES:
        for kind in ("motor", "light_touch", "pin_prick"):
            for name, text in exam[side][kind].items():
                slots.append((side, kind, name))
                options.append(_score_readings(text, kind))
    for combo in itertools.product(*options):
        plain = copy.deepcopy(exam)
        for slot, value in zip(slots, combo):
            if len(slot) == 1:
                plain[slot[0]] = value
            else:
                plain[slot[0]][slot[1]][slot[2]] = value
        yield plain


def _flag_readings(text: str, kind: str) -> tuple[int, ...] | None:
    """Readings of a flagged score with the judgment dropped too, or None when not flagged.

    ``x*``: x as written and every grade above it up to normal; ``x**``: normal
    and x as written; ``NT*``/``NT**``: any grade. Used to see what a flag decides.
    """
    base = text.rstrip("*")
    if base == text:
        return None
    top = 5 if kind == "motor" else 2
    values = range(top + 1) if base == "NT" else ({int(base), top} if text.endswith("**") else range(int(base), top + 1))
    if kind == "motor":
        return tuple(sorted({min(values)} | {v for v in _MOTOR_REPS if v in values} | ({top} & set(values))))
    return tuple(sorted(values))


def worlds(exam: dict):
    """Group readings by the untested scores: yield, per reading of every plain NT
    (and VAC/DAP NT), the list of plain exams over every reading of the flagged
    scores, judgment dropped (:func:`_flag_readings`)."""
    nt_slots, nt_options, flag_slots, flag_options = [], [], [], []
    for key in ("vac", "dap"):
        if exam[key] == "NT":
            nt_slots.append((key,))
            nt_options.append(("Yes", "No"))
    for side in SIDES:
        for kind in ("motor", "light_touch", "pin_prick"):
            for name, text in exam[side][kind].items():
                flagged = _flag_readings(text, kind)
                if flagged is not None:
                    flag_slots.append((side, kind, name))
                    flag_options.append(flagged)
                elif text == "NT":
                    nt_slots.append((side, kind, name))
                    nt_options.append(_score_readings(text, kind))
    plain = copy.deepcopy(exam)
    for side in SIDES:
        for kind in ("motor", "light_touch", "pin_prick"):
            for name, text in plain[side][kind].items():
                if "*" not in text and text != "NT":
                    plain[side][kind][name] = int(text)
    for nt_combo in itertools.product(*nt_options):
        world = []
        for flag_combo in itertools.product(*flag_options):
            one = copy.deepcopy(plain)
            for slot, value in zip(nt_slots + flag_slots, nt_combo + flag_combo):
                if len(slot) == 1:
                    one[slot[0]] = value
                else:
                    one[slot[0]][slot[1]][slot[2]] = value
            world.append(one)
        yield world


def n_readings(exam: dict) -> int:
    count = 1
    for key in ("vac", "dap"):
        count *= 2 if exam[key] == "NT" else 1
    for side in SIDES:
        for kind in ("motor", "light_touch", "pin_prick"):
            for text in exam[side][kind].values():
                count *= len(_score_readings(text, kind))
    return count


def _name(index: int) -> str:
    return "INT" if index >= INT else LEVELS[index]


def _normal_dermatome(side: dict, name: str) -> bool:
    return side["light_touch"][name] == 2 and side["pin_prick"][name] == 2


def sensory_level(side: dict) -> int:
    """Most caudal dermatome with every dermatome from C2 to it normal (C1 counts normal)."""
    level = 0
    for name in DERMATOMES:
        if not _normal_dermatome(side, name):
            return level
        level += 1
    return INT


def motor_level(side: dict, vac: str) -> int:
    """The lowest key muscle >= 3 with every key muscle above 5; sensation where none is testable."""
    m = side["motor"]
    i = 0
    while True:
        name = LEVELS[i]
        nxt = LEVELS[i + 1]
        if name in ("C4", "L1"):
            if m[nxt] < 3:
                return i
        elif name in ("T1", "S1"):
            first, last = ("C5", "T2") if name == "T1" else ("L2", "S2")
            span = LEVELS[LEVELS.index(first):LEVELS.index(last) + 1]
            if m[name] < 5 or not all(_normal_dermatome(side, d) for d in span):
                return i
        elif name in KEY_MUSCLES:
            if m[name] < 5 or m[nxt] < 3:
                return i
        elif name == "S3":
            if vac == "No" or not _normal_dermatome(side, "S4_5"):
                return i
            return INT
        elif not _normal_dermatome(side, nxt):
            return i
        i += 1


def determinate(exam: dict) -> dict[str, str]:
    """Levels, NLI, completeness and sensory ZPP of a plain exam, as flat result keys."""
    out: dict[str, str] = {}
    levels = []
    for s in SIDES:
        side = exam[s]
        sl = sensory_level(side)
        out[f"sensory_level.{s}"] = _name(sl)
        out[f"motor_level.{s}"] = _name(motor_level(side, exam["vac"]))
        # The NLI ignores VAC (normal through S4-5 is INT): motor levels read with VAC present.
        levels += [sl, motor_level(side, "Yes")]
        out[f"zpp.sensory.{s}"] = _sensory_zpp(side, exam["dap"])
    nli = min(levels)
    out["nli"] = _name(nli)
    sacral = [exam[s][k]["S4_5"] for s in SIDES for k in ("light_touch", "pin_prick")]
    complete = exam["vac"] == "No" and exam["dap"] == "No" and not any(sacral)
    out["injury_complete"] = "C" if complete else "I"
    out["ais"] = _ais(exam, complete, nli)
    for s in SIDES:
        if exam[s].get("lowest_non_key_muscle_with_motor_function") is None:
            out[f"zpp.motor.{s}"] = _motor_zpp(exam[s], exam["vac"])
    return out


def _ais(exam: dict, complete: bool, nli: int) -> str:
    """Rupp 2021, ASIA Impairment Scale, with the 2019 non-key muscle footnote."""
    if nli >= INT and exam["vac"] == "Yes":
        return "E"
    if complete:
        return "A"
    sparing = exam["dap"] == "Yes" or any(exam[s][k]["S4_5"] for s in SIDES for k in ("light_touch", "pin_prick"))
    below_any = False
    for s in SIDES:
        ml = motor_level(exam[s], exam["vac"])
        non_key = exam[s].get("lowest_non_key_muscle_with_motor_function")
        keys = [m for m in KEY_MUSCLES if LEVELS.index(m) > ml + 3 and exam[s]["motor"][m] > 0]
        below_any |= bool(keys) or (non_key is not None and LEVELS.index(non_key) > ml + 3)
    if exam["vac"] != "Yes" and not (sparing and below_any):
        return "B"
    below = [exam[s]["motor"][m] for s in SIDES for m in KEY_MUSCLES if LEVELS.index(m) > nli]
    return "D" if 2 * sum(v >= 3 for v in below) >= len(below) else "C"


def _motor_zpp(side: dict, vac: str) -> str:
    """Schuld 2024: most caudal key muscle with function, from S1 up to the motor level; NA with VAC."""
    if vac == "Yes":
        return "NA"
    ml = motor_level(side, vac)
    for i in range(min(max(LEVELS.index("S1"), ml), LEVELS.index("S3")), ml, -1):
        if LEVELS[i] in KEY_MUSCLES and side["motor"][LEVELS[i]] > 0:
            return LEVELS[i]
    return _name(ml)


def _sensory_zpp(side: dict, dap: str) -> str:
    # Schuld 2024: applicable only without DAP and without S4-5 sensation on that side.
    if dap == "Yes" or side["light_touch"]["S4_5"] or side["pin_prick"]["S4_5"]:
        return "NA"
    for i in range(LEVELS.index("S3"), 0, -1):
        if side["light_touch"][LEVELS[i]] or side["pin_prick"][LEVELS[i]]:
            return LEVELS[i]
    return "C1"


def possible_values(exam: dict) -> dict[str, set[str]]:
    """Every value each result takes over the admissible readings of ``exam``."""
    seen: dict[str, set[str]] = {}
    for plain in readings(exam):
        for key, value in determinate(plain).items():
            seen.setdefault(key, set()).add(value)
    return seen
