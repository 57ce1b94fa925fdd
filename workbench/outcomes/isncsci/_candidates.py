"""Possible values of one result when not-testable scores leave several open.

ISNCSCI reports a result that NT scores leave undetermined (ND) as the list of
every value still possible; a value that a non-SCI flag decided carries a
trailing ``*`` (praxis ISNCSCI algorithm conventions, Rupp 2021).
"""

from __future__ import annotations

from dataclasses import dataclass

from ._levels import level_name

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
    """Sort by level and keep one entry per level (starred if any entry is)."""
    best: dict[int, bool] = {}
    for cand in candidates:
        best[cand.index] = best.get(cand.index, False) or cand.star
    return tuple(Candidate(i, s) for i, s in sorted(best.items()))


def format_candidates(candidates) -> str:
    """Comma-join the candidate names, rostral to caudal (NA first)."""
    return ",".join(c.name for c in merge(candidates))
