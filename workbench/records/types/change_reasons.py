"""Coded reasons for a change: what an export may carry of a reason without carrying free text.

A reason for change is free text (21 CFR 11.10(e) asks for it, not for its
form), and free text can hold anything, a participant's name included, so
every export withholds it. Most corrections give one of a few reasons,
though, and a sponsor's data manager reads an ODM AuditRecord's
``ReasonForChange`` to tell a typing slip from a re-assessment. A reason that
*is* one of these codes (whole, ignoring case and surrounding spaces) is
exported as the code; any other reason stays withheld. The codes are the
usual reasons of EDC correction workflows (ICH E6(R3) 4.2.2 and 21 CFR
11.10(e) ask that changes be explained; neither fixes a list).
"""

from __future__ import annotations

#: The codes, in the order a form offers them.
REASONS_FOR_CHANGE = (
    "data entry error",
    "transcription error",
    "source document corrected",
    "late entry",
    "query resolution",
    "unit conversion",
    "duplicate entry",
    "re-assessment",
)


def coded_reason(reason) -> str | None:
    """The code ``reason`` is (whole, any case, stripped), or None for free text."""
    if not isinstance(reason, str):
        return None
    text = " ".join(reason.split()).casefold()
    return text if text in REASONS_FOR_CHANGE else None
