"""Entering outcomes from the dashboard with the workbench's own forms (read-only roles see why not)."""

from __future__ import annotations

import html

import ipywidgets as widgets

from ...outcomes.instruments import list_instruments, load_instrument
from ..forms import InstrumentForm, IsncsciWorksheet

ISNCSCI = "ISNCSCI"


class OutcomeEntryPanel:
    """Choose an instrument; its form saves through the dashboard's store, then the views reload."""

    def __init__(self, model) -> None:
        self.model = model
        self.form = None
        if not model.can_enter_outcomes:
            self.widget = widgets.HTML(
                f"<p class='wb-dash-note'>Signed in as {html.escape(model.user_label)}: this role looks at every "
                "record and changes none. Outcomes are entered by assessors and investigators.</p>")
            return
        options = [("ISNCSCI 2019 worksheet", ISNCSCI)] + [
            (f"{load_instrument(i).name} ({i})", i) for i in list_instruments()]
        self.instrument = widgets.Dropdown(options=options, value=None, description="Instrument",
                                           style={"description_width": "90px"}, layout=widgets.Layout(width="520px"))
        self.instrument.observe(lambda change: self.show(change["new"]), names="value")
        self.area = widgets.VBox()
        self.widget = widgets.VBox([self.instrument, self.area])
        self.widget.add_class("wb-entry")

    def show(self, instrument: str | None) -> None:
        """Open the form of ``instrument`` for the participant chosen in the dashboard."""
        if instrument is None:
            self.area.children = ()
            return
        kwargs = dict(store=self.model.store, participant_id=self.model.participant, on_saved=self._saved)
        self.form = IsncsciWorksheet(**kwargs) if instrument == ISNCSCI else InstrumentForm(instrument, **kwargs)
        self.area.children = (self.form.widget,)

    def _saved(self, assessment) -> None:
        self.model.reload()
