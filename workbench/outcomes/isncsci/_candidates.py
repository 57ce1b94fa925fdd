"""Possible values of one result when not-testable scores leave several open.

ISNCSCI reports a result that NT scores leave undetermined (ND) as the list of
every value still possible; a value that a non-SCI flag decided carries a
trailing ``*`` (praxis ISNCSCI algorithm conventions, Rupp 2021). Which value
is listed and which starred is decided in :mod:`._star`.
"""

from __future__ import annotations

from ._star import NOT_APPLICABLE, Candidate, merge

__all__ = ["NOT_APPLICABLE", "Candidate", "format_candidates", "merge"]


def format_candidates(candidates) -> str:
    """Comma-join the candidate names, rostral to caudal (NA first)."""
    return ",".join(c.name for c in merge(candidates))
