"""Segment names and their order, as ISNCSCI 2019 uses them.

Source: Rupp R et al., International Standards for Neurological Classification
of Spinal Cord Injury: Revised 2019, Top Spinal Cord Inj Rehabil 2021;27(2):1-22
(worksheet: dermatomes C2-S4-5, key muscles C5-T1 and L2-S1).
"""

from __future__ import annotations

#: Every segment from C1 to S4-5, rostral to caudal; the index is the order.
LEVELS: tuple[str, ...] = (
    ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8")
    + tuple(f"T{i}" for i in range(1, 13))
    + ("L1", "L2", "L3", "L4", "L5", "S1", "S2", "S3", "S4_5")
)
INDEX: dict[str, int] = {name: i for i, name in enumerate(LEVELS)}

#: Dermatomes scored on the worksheet (C1 is not scored and counts as normal).
DERMATOMES: tuple[str, ...] = LEVELS[1:]
#: Key muscles, upper (C5-T1) then lower limb (L2-S1).
UPPER_KEY_MUSCLES: tuple[str, ...] = ("C5", "C6", "C7", "C8", "T1")
LOWER_KEY_MUSCLES: tuple[str, ...] = ("L2", "L3", "L4", "L5", "S1")
KEY_MUSCLES: tuple[str, ...] = UPPER_KEY_MUSCLES + LOWER_KEY_MUSCLES
#: Levels a lowest non-key muscle with motor function may be given at.
NON_KEY_MUSCLE_LEVELS: tuple[str, ...] = LEVELS[:-1]

#: The output name for "normal through S4-5" (2019 revision).
INTACT = "INT"
#: Index used for INT: the S4-5 position, after every output segment.
INTACT_INDEX = INDEX["S4_5"]

L2 = INDEX["L2"]
S1 = INDEX["S1"]
S3 = INDEX["S3"]


def level_name(index: int) -> str:
    """Return the output name of a level index (``INT`` past S3)."""
    return INTACT if index >= INDEX["S4_5"] else LEVELS[index]

