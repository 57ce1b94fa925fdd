"""Coded reasons for change: only a whole code is a code; anything else is free text (withheld)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from workbench.records.types.change_reasons import REASONS_FOR_CHANGE, coded_reason


def test_each_code_in_any_case_and_spacing_is_itself():
    for code in REASONS_FOR_CHANGE:
        assert coded_reason(code) == code
        assert coded_reason("  " + code.upper().replace(" ", "   ") + "\n") == code


@given(st.text(max_size=40))
def test_any_other_text_is_free_text(text):
    # Whatever a person types, only a whole code comes back, and then only the code itself: nothing
    # typed around it (a name, a date) can ride along into an export.
    got = coded_reason(text)
    assert got is None or (got in REASONS_FOR_CHANGE and " ".join(text.split()).casefold() == got)


def test_a_code_with_more_text_is_free_text():
    assert coded_reason("data entry error: Jane Doe, 1961-04-12") is None
    assert coded_reason(None) is None and coded_reason(3) is None
