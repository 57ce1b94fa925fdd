"""What each score on a form's drop-down means, written beside the number.

Only meanings stated by the instruments' own definitions are spelled out;
other ordinal items show the direction of their scale at both ends, so a bare
number never stands alone.
"""

from __future__ import annotations

from ...outcomes.instruments import Instrument, Item

#: Medical Research Council muscle grades, used by GRASSP's strength items
#: (Kalsi-Ryan et al. 2012, J Neurotrauma 29:905) and by ISNCSCI's key muscles.
MRC = {0: "no contraction", 1: "flicker or trace of contraction", 2: "active movement, gravity eliminated",
       3: "active movement against gravity", 4: "against gravity and some resistance", 5: "normal strength"}

#: Action Research Arm Test item scores (Lyle 1981, Int J Rehabil Res 4:483).
ARAT = {0: "can perform no part of the test", 1: "performs the test partially",
        2: "completes it with great difficulty or abnormally slowly", 3: "performs the test normally"}

#: WISCI II levels (Dittuno PL, Ditunno JF Jr. Walking index for spinal cord injury
#: (WISCI II): scale revision. Spinal Cord 2001;39:654-656): devices, braces and
#: physical assistance needed to walk 10 m.
WISCI = {
    0: "unable to stand or take part in assisted walking",
    1: "parallel bars, braces, assistance of 2 persons, less than 10 m",
    2: "parallel bars, braces, assistance of 2 persons, 10 m",
    3: "parallel bars, braces, assistance of 1 person",
    4: "parallel bars, no braces, assistance of 1 person",
    5: "parallel bars, braces, no assistance",
    6: "walker, braces, assistance of 1 person",
    7: "two crutches, braces, assistance of 1 person",
    8: "walker, no braces, assistance of 1 person",
    9: "walker, braces, no assistance",
    10: "one cane or crutch, braces, assistance of 1 person",
    11: "two crutches, no braces, assistance of 1 person",
    12: "two crutches, braces, no assistance",
    13: "walker, no braces, no assistance",
    14: "one cane or crutch, no braces, assistance of 1 person",
    15: "one cane or crutch, braces, no assistance",
    16: "two crutches, no braces, no assistance",
    17: "no devices, no braces, assistance of 1 person",
    18: "no devices, braces, no assistance",
    19: "one cane or crutch, no braces, no assistance",
    20: "no devices, no braces, no assistance",
}

#: ISNCSCI 2019 worksheet values (Rupp et al. 2021, Top Spinal Cord Inj Rehabil 27(2):1-22).
ISNCSCI_MOTOR = "0 total paralysis · 1 palpable or visible contraction · 2 active movement, gravity eliminated · " \
                "3 against gravity · 4 against some resistance · 5 normal · NT not testable · " \
                "0*-4* (or NT*) impaired by a non-SCI condition"
ISNCSCI_SENSORY = "0 absent · 1 altered · 2 normal · NT not testable · 0*/1*/NT* impaired by a non-SCI condition"


def _specific(instrument: Instrument, item: Item) -> dict | None:
    base = item.id.split(".", 1)[1] if "." in item.id else item.id
    if instrument.id == "WISCI-II":
        return WISCI
    if instrument.id == "ARAT":
        return ARAT
    if instrument.id == "GRASSP" and base.startswith("str_"):
        return MRC
    return None


def value_label(instrument: Instrument, item: Item, value) -> str:
    """``"3 = active movement against gravity"``, or the scale's direction at its ends."""
    meanings = _specific(instrument, item)
    if meanings is not None and value in meanings:
        return f"{value} = {meanings[value]}"
    if item.kind == "ordinal" and item.values:
        higher_better = instrument.higher_is_better.get("total", True) if instrument.higher_is_better else True
        low, high = ("lowest: most impaired", "highest: least impaired") if higher_better else \
            ("lowest: least impaired", "highest: most impaired")
        if value == item.values[0]:
            return f"{value} ({low})"
        if value == item.values[-1]:
            return f"{value} ({high})"
    return str(value)
