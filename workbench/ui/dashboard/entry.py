"""Entering outcomes from the dashboard with the workbench's own forms (read-only roles see why not)."""

from __future__ import annotations

import html

import ipywidgets as widgets

from ..forms import FormChooser


class OutcomeEntryPanel:
    """Choose an instrument; its form saves through the dashboard's store, then the views reload."""

    def __init__(self, model) -> None:
        self.model = model
        self.chooser = None
        if not model.can_enter_outcomes:
            self.widget = widgets.HTML(
                f"<p class='wb-dash-note'>Signed in as {html.escape(model.user_label)}: this role looks at every "
                "record and changes none. Outcomes are entered by assessors and investigators.</p>")
            return
        self.chooser = FormChooser(model.store, on_saved=lambda _: model.reload())
        model.listeners.add(self._follow)
        self._follow()
        self.instrument = self.chooser.instrument
        self.widget = self.chooser.widget
        self.widget.add_class("wb-entry")

    def _follow(self) -> None:
        self.chooser.participant_id = self.model.participant  # the next form opens for who is being viewed

    @property
    def form(self):
        return None if self.chooser is None else self.chooser.form

