"""One worksheet score (sensory or motor) and what its flags mean.

2019 worksheet conventions (Rupp 2021, "Non-SCI condition" section): ``x*`` =
impairment not due to SCI, consider NOT normal for classification; ``x**`` =
impairment not due to SCI, consider normal for classification; ``NT`` = not
testable.
"""

from __future__ import annotations

from dataclasses import dataclass

SENSORY_ALLOWED: tuple[str, ...] = ("0", "1", "2", "0*", "1*", "0**", "1**", "NT", "NT*", "NT**")
MOTOR_ALLOWED: tuple[str, ...] = (
    ("0", "1", "2", "3", "4", "5")
    + tuple(f"{i}*" for i in range(5))
    + tuple(f"{i}**" for i in range(5))
    + ("NT", "NT*", "NT**")
)
ANAL_ALLOWED: tuple[str, ...] = ("Yes", "No", "NT")


@dataclass(frozen=True)
class Score:
    """A parsed score: number (None when not testable) and star count (0, 1, 2)."""

    value: int | None
    stars: int

    @classmethod
    def parse(cls, text: str) -> "Score":
        """Parse a worksheet string already checked against the allowed set."""
        base = text.rstrip("*")
        stars = len(text) - len(base)
        return cls(None if base == "NT" else int(base), stars)

    def __str__(self) -> str:
        return ("NT" if self.value is None else str(self.value)) + "*" * self.stars

    @property
    def nt(self) -> bool:
        return self.value is None

    @property
    def not_normal_star(self) -> bool:
        """``x*``: a non-SCI impairment the examiner says to treat as not normal."""
        return self.stars == 1

    def flagged_possibly_weak(self) -> bool:
        """'0*'-'2*' or 'NT*': flagged not normal, and the grade the cord alone would
        give may or may not reach 3. Only these leave a motor result open (a
        '3*'/'4*' is certainly >= 3 and, being 'not normal', certainly not 5)."""
        return self.stars == 1 and (self.value is None or self.value <= 2)

    @property
    def normal_star(self) -> bool:
        """``x**``: a non-SCI impairment the examiner says to treat as normal."""
        return self.stars == 2

    def stripped(self) -> "Score":
        """The same score without its non-SCI flag (used to see what a star decided)."""
        return Score(self.value, 0)

    def is_exactly(self, value: int) -> bool:
        return self.stars == 0 and self.value == value

    # --- sensory meaning ---------------------------------------------------
    def sensory_abnormal(self) -> bool:
        """Certainly abnormal sensation (0, 1, 0*, 1*)."""
        return self.value is not None and self.value < 2 and self.stars < 2

    def sensory_present(self) -> bool:
        """Certainly some sensation (1, 2, 1*, 1**, or a ``**`` score)."""
        return (self.value is not None and self.value > 0) or self.stars == 2

    def can_be_absent(self) -> bool:
        """Sensation (or motor function) could be absent: 0, NT, 0*, NT*."""
        return self.stars < 2 and (self.value is None or self.value == 0)

    # --- motor meaning -----------------------------------------------------
    def motor_weak(self) -> bool:
        """Certainly below antigravity (0, 1, 2 without a non-SCI flag)."""
        return self.stars == 0 and self.value is not None and self.value <= 2

    def motor_uncertain_weak(self) -> bool:
        """Could be below 3: NT, NT*, or 0*-2* (the true SCI grade is unknown)."""
        return (self.stars == 1 and (self.value is None or self.value <= 2)) or (
            self.stars == 0 and self.value is None
        )

    def motor_normal(self) -> bool:
        """Normal for classification: 5 or any ``**`` score."""
        return self.value == 5 or self.stars == 2

    def motor_at_least_3(self) -> bool:
        """Certainly antigravity or better (3-5, 3*-4*, or ``**``)."""
        return (self.value is not None and self.value >= 3) or self.stars == 2

    def motor_can_continue(self) -> bool:
        """A level walk may pass this muscle: 5, NT or a ``**`` score."""
        return self.value == 5 or self.stars == 2 or (self.value is None and self.stars == 0)
