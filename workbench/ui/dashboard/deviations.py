"""Closing an open protocol deviation from the dashboard (investigators; others see no control)."""

from __future__ import annotations

import html

import ipywidgets as widgets

from ...errors import ValidationError
from ..date_field import DateField


class DeviationClosePanel:
    """Choose an open deviation, give the date closed and the resolution, close it (audited).

    A thin view over :meth:`DashboardModel.close_deviation`; problems are shown
    with the labels of this panel's fields, and nothing is saved until all are fixed.
    """

    def __init__(self, model) -> None:
        self.model = model
        wide = {"description_width": "110px"}
        self.deviation = widgets.Dropdown(description="Deviation", style=wide, layout=widgets.Layout(width="520px"))
        self.closed_on = DateField("Date closed", style=wide)
        self.resolution = widgets.Textarea(description="Resolution", style=wide,
                                           placeholder="what was done; no names of people",
                                           layout=widgets.Layout(width="520px", height="60px"))
        self.button = widgets.Button(description="Close deviation", button_style="warning")
        self.status = widgets.HTML()
        self.button.on_click(lambda _: self.close())
        self.widget = widgets.VBox([widgets.HTML("<h4>Close a protocol deviation</h4>"), self.deviation,
                                    self.closed_on, self.resolution, self.button, self.status])
        self.widget.add_class("wb-deviation-close")
        model.listeners.add(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        d = self.model.data
        frame = d.deviations[d.deviations["status"] == "open"] if d is not None else None
        options = [] if frame is None else [(f"{i} · {p} · {c} · {o}", i) for i, p, c, o in zip(
            frame["id"], frame["participant_id"], frame["category"], frame["occurred_on"])]
        self.deviation.options = options
        if options and self.deviation.value not in [i for _, i in options]:
            self.deviation.value = options[0][1]
        self.widget.layout.display = None if options else "none"

    def close(self) -> None:
        try:
            saved = self.model.close_deviation(self.deviation.value, closed_on=self.closed_on.value,
                                               resolution=self.resolution.value)
        except ValidationError as err:
            self.status.value = "<div class='wb-dash-message'>Not closed: " + "; ".join(
                html.escape(f"{p.field}: {p.allowed}") for p in err.problems) + "</div>"
            return
        self.resolution.value = ""
        self.status.value = f"<p class='wb-dash-note'>Closed {html.escape(saved.id)} on {saved.closed_on}.</p>"
