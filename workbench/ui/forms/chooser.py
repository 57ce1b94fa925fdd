"""Choose an instrument and get its form (the notebook's and the dashboard's way in)."""

from __future__ import annotations

import html

import ipywidgets as widgets

from ...outcomes.instruments import list_instruments, load_instrument
from ..closing import replace_children
from .instrument_form import InstrumentForm
from .isncsci_worksheet import IsncsciWorksheet

ISNCSCI = "ISNCSCI"


def instrument_options() -> list[tuple[str, str]]:
    """(label, id): the ISNCSCI worksheet first, then every instrument defined as data."""
    return [("ISNCSCI 2019 worksheet", ISNCSCI)] + [(f"{load_instrument(i).name} ({i})", i)
                                                    for i in list_instruments()]


def make_form(instrument: str, **kwargs):
    """The form of ``instrument`` (``"ISNCSCI"`` or an instrument id); kwargs go to the form."""
    return IsncsciWorksheet(**kwargs) if instrument == ISNCSCI else InstrumentForm(instrument, **kwargs)


class FormChooser:
    """A drop-down of instruments; choosing one shows its form, saving through ``store``.

    ``participant_id`` preselects the participant (the dashboard passes the one
    being viewed); ``on_saved`` is called with each saved assessment.
    """

    def __init__(self, store, *, participant_id: str | None = None, on_saved=None) -> None:
        self.store = store
        self.on_saved = on_saved
        self.form = None
        self.instrument = widgets.Dropdown(options=instrument_options(), value=None, description="Instrument",
                                           style={"description_width": "90px"}, layout=widgets.Layout(width="560px"))
        self.instrument.observe(lambda change: self.show(change["new"]), names="value")
        # Said while no form is open: an empty drop-down alone gave no clue what the tab was for.
        self.hint = widgets.HTML()
        self.area = widgets.VBox()
        self.widget = widgets.VBox([self.instrument, self.hint, self.area])
        self.participant_id = participant_id

    @property
    def participant_id(self) -> str | None:
        """Whom the next form opens for (the dashboard sets the participant being viewed)."""
        return self._participant_id

    @participant_id.setter
    def participant_id(self, value: str | None) -> None:
        self._participant_id = value
        who = f" for {html.escape(value)}" if value else ""
        self.hint.value = f"<p class='wb-dash-note'>Choose the instrument to enter{who}: its form opens here.</p>"

    def show(self, instrument: str | None):
        self.hint.layout.display = "none" if instrument is not None else None
        if instrument is None:
            self.form = None
            replace_children(self.area, ())
            return None
        self.form = make_form(instrument, store=self.store, participant_id=self.participant_id,
                              on_saved=self.on_saved)
        replace_children(self.area, (self.form.widget,))  # the previous form is closed
        return self.form

    def _ipython_display_(self):  # pragma: no cover - notebook display only
        from IPython.display import display

        display(self.widget)
