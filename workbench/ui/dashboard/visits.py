"""Marking a planned visit done from the dashboard (roles that record visits; others see no control)."""

from __future__ import annotations

import html

import ipywidgets as widgets

from ...errors import ValidationError
from ..date_field import DateField


class VisitDonePanel:
    """Choose one of the participant's planned visits (schedule order), give the date, mark it done (audited).

    A thin view over :meth:`DashboardModel.mark_visit_done`; the store's rules
    hold (a date outside the window needs a protocol deviation).
    """

    def __init__(self, model) -> None:
        self.model = model
        wide = {"description_width": "110px"}
        self.visit = widgets.Dropdown(description="Visit", style=wide, layout=widgets.Layout(width="520px"))
        self.done_on = DateField("Date done", style=wide)
        self.button = widgets.Button(description="Mark visit done", button_style="info")
        self.status = widgets.HTML()
        self.button.on_click(lambda _: self.mark())
        self.widget = widgets.VBox([widgets.HTML("<h4>Mark a visit done</h4>"), self.visit, self.done_on,
                                    self.button, self.status])
        self.widget.add_class("wb-visit-done")
        model.listeners.add(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        options = []
        for v in self.model.visits():
            if v.status == "planned":
                first, last = v.window
                options.append((f"{v.name} · scheduled {v.scheduled_date.isoformat()} · window "
                                f"{first.isoformat()} to {last.isoformat()}", v.id))
        if tuple(options) != tuple(self.visit.options):
            self.visit.options = options
        if options and self.visit.value not in [i for _, i in options]:
            self.visit.value = options[0][1]
        self.widget.layout.display = None if options else "none"

    def mark(self):
        try:
            saved = self.model.mark_visit_done(self.visit.value, actual_date=self.done_on.value)
        except ValidationError as err:
            self.status.value = "<div class='wb-dash-message'>Not marked done: " + "; ".join(
                html.escape(f"{p.field}: {'empty' if p.value is None else p.value}; allowed: {p.allowed}")
                for p in err.problems) + "</div>"
            return None
        self.status.value = (f"<p class='wb-dash-note'>{html.escape(saved.name)} marked done on "
                             f"{saved.actual_date.isoformat()}.</p>")
        return saved
