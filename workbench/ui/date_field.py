"""A date box that reads and shows ISO 8601 dates (YYYY-MM-DD) whatever the browser's language.

ipywidgets' DatePicker is the browser's own ``<input type="date">``, whose
format follows the language of the browser, not the study: the dashboard read
mm/dd/yyyy in an English (US) Chromium while every date around it was ISO
(issue 22). A multi-site trial has no one locale, and 03/04/2026 means two
dates in two of its sites. So every date the workbench shows is ISO 8601, the
format of ICH E6 records and CDISC (ODM, SDTM), and this box is entered the
same way, with the date echoed beside it in words (``Tue 3 Mar 2026``) so a
slip is seen before it is saved.

The box's ``value`` is a :class:`datetime.date`, None when empty, or the text
as typed when it is not a date: the record's own validation then refuses it,
naming the field by its label and saying what is allowed (one validation
style), and nothing is saved.
"""

from __future__ import annotations

import html
import re
from datetime import date

import ipywidgets as widgets
import traitlets

#: What the box accepts: a calendar date, four-digit year, two-digit month and day.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits: \d also matches other scripts' digits


def parse_date_text(text: str) -> date | str | None:
    """``text`` as a date; None when blank; the stripped text itself when it is not an ISO calendar date."""
    text = (text or "").strip()
    if not text:
        return None
    if ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:  # 2026-02-30: the shape is right, the day does not exist
            pass
    return text


def describe_date(value: date | str | None) -> str:
    """The echo beside the box: the date in words, or why the text is not one."""
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%a} {value.day} {value:%b %Y}"
    return f"not a date: {value!r}; write YYYY-MM-DD, e.g. {date.today().isoformat()}"


class DateField(widgets.HBox):
    """A labelled text box for one date (YYYY-MM-DD) and its echo in words; ``value`` as the module says."""

    value = traitlets.Any(None)

    def __init__(self, description: str, value: date | None = None, *, style: dict | None = None,
                 width: str = "230px") -> None:
        self.text = widgets.Text(description=description, placeholder="YYYY-MM-DD", continuous_update=False,
                                 style=style or {}, layout=widgets.Layout(width=width))
        self.echo = widgets.HTML()
        super().__init__([self.text, self.echo])
        self.add_class("wb-date-field")
        self._syncing = False
        self.text.observe(self._typed, names="value")
        self.observe(self._set, names="value")
        self.value = value
        self._show()

    @property
    def description(self) -> str:
        return self.text.description

    def _typed(self, change) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.value = parse_date_text(change["new"])
        finally:
            self._syncing = False
        self._show()

    def _set(self, change) -> None:
        if self._syncing:
            return
        new = change["new"]
        self._syncing = True
        try:
            self.text.value = "" if new is None else new.isoformat() if isinstance(new, date) else str(new)
        finally:
            self._syncing = False
        self._show()

    def _show(self) -> None:
        bad = self.value is not None and not isinstance(self.value, date)
        css = "wb-form-errors" if bad else "wb-dash-note"
        words = describe_date(self.value)
        self.echo.value = f"<span class='{css}'>{html.escape(words)}</span>" if words else ""
