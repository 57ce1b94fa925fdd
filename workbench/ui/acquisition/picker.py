"""Stream picker widget: refresh, choose, connect, see each connection's state."""

from __future__ import annotations

import html

import ipywidgets as widgets

from .picker_model import StreamPickerModel


class StreamPicker:
    """A view over :class:`StreamPickerModel`."""

    def __init__(self, model: StreamPickerModel | None = None) -> None:
        self.model = model or StreamPickerModel()
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.choice = widgets.SelectMultiple(options=[], rows=6, layout=widgets.Layout(width="100%"))
        self.connect_button = widgets.Button(description="Connect", button_style="primary")
        self.state = widgets.HTML()
        self.refresh_button.on_click(lambda _: self.refresh())
        self.connect_button.on_click(lambda _: self.connect())
        self.choice.observe(self._on_choice, names="value")
        self.widget = widgets.VBox([widgets.HBox([self.refresh_button, self.connect_button]), self.choice, self.state])

    def refresh(self) -> None:
        self.model.refresh()
        self.choice.options = [(d.summary(), d.uid) for d in self.model.streams]
        self.choice.value = tuple(u for u in self.model.selected)
        self.show_state()

    def _on_choice(self, change) -> None:
        self.model.select(change["new"])

    def connect(self) -> list:
        opened = self.model.connect_selected()
        self.show_state()
        return opened

    def show_state(self) -> None:
        rows = "".join(
            f"<tr><td>{html.escape(s.name)}</td><td>{'connected' if s.connected else 'disconnected'}</td>"
            f"<td>{s.n_samples}</td><td>{s.n_events}</td></tr>"
            for s in self.model.states()
        )
        found = f"{len(self.model.streams)} stream(s) found"
        self.state.value = found + (
            f"<table><tr><th>stream</th><th>state</th><th>samples</th><th>events</th></tr>{rows}</table>" if rows else ""
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
