"""The date box: ISO 8601 in and out whatever the browser's language, a typed non-date kept for the
record's validation to name (issue 22: the DatePicker read mm/dd/yyyy in an English (US) browser)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from workbench.ui.date_field import DateField, describe_date, parse_date_text


@given(st.dates(min_value=date(1000, 1, 1)))
def test_any_date_typed_as_iso_reads_back_as_that_date_and_shows_in_words(d):
    field = DateField("Date")
    field.text.value = d.isoformat()
    assert field.value == d
    assert str(d.year) in field.echo.value and d.strftime("%b") in field.echo.value
    field.value = None
    assert field.text.value == "" and field.echo.value == ""
    field.value = d  # set from code (a visit's own date): the box shows it as ISO
    assert field.text.value == d.isoformat()


@given(st.text(max_size=20))
def test_text_is_a_date_only_in_the_iso_calendar_shape(text):
    got = parse_date_text(text)
    if got is None:
        assert text.strip() == ""
    elif isinstance(got, date):
        assert got.isoformat() == text.strip()
    else:
        assert got == text.strip()


def test_other_shapes_and_impossible_days_are_kept_as_typed_and_said_to_be_no_date():
    # 03/04/2026 is March in one site and April in another; 20260304 and week dates are ISO but not what
    # anyone types into a form; 2026-02-30 has the shape but no such day
    arabic_indic = "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0661"  # 2026-01-01 in Arabic-Indic digits
    for typed in ("03/04/2026", "4.3.2026", "20260304", "2026-W10-3", "2026-02-30", "2026-3-4", "soon", arabic_indic):
        field = DateField("Date closed", value=date(2026, 1, 1))
        field.text.value = typed
        assert field.value == typed
        assert "not a date" in field.echo.value and "YYYY-MM-DD" in field.echo.value
    assert describe_date(date(2026, 3, 3)) == "Tue 3 Mar 2026"


def test_the_value_can_be_watched_like_a_widget_value():
    field, seen = DateField("Date"), []
    field.observe(lambda change: seen.append(change["new"]), names="value")
    field.text.value = "2026-07-14"
    field.text.value = "14/07/2026"
    field.value = date(2026, 7, 15)
    assert seen == [date(2026, 7, 14), "14/07/2026", date(2026, 7, 15)]
    assert field.description == "Date"
