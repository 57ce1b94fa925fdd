"""Stream picker widget: filter by type, refresh, choose, connect, see each connection's state live."""

from __future__ import annotations

import asyncio
import html
from typing import Callable

import ipywidgets as widgets

from ._loop import KernelLoop
from .picker_model import StreamPickerModel

_ALL = "all types"


class StreamPicker:
    """A view over :class:`StreamPickerModel`.

    Parameters
    ----------
    model : StreamPickerModel | None
    on_connect : callable | None
        Called with the list of streams each Connect opened (the notebook hands
        the first signal stream to the scope).
    rate : float
        Updates per second of the connections table once :meth:`start` ran.
    """

    def __init__(self, model: StreamPickerModel | None = None, *, on_connect: Callable | None = None,
                 rate: float = 1.0) -> None:
        self.model = model or StreamPickerModel()
        self.on_connect = on_connect
        self.rate = rate
        self._loop = KernelLoop()
        self._task = None
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.type_filter = widgets.Dropdown(options=[_ALL], value=_ALL, description="Type",
                                            layout=widgets.Layout(width="220px"))
        self.choice = widgets.SelectMultiple(options=[], rows=6, layout=widgets.Layout(width="100%"))
        self.connect_button = widgets.Button(description="Connect", button_style="primary")
        self.state = widgets.HTML()
        self.refresh_button.on_click(lambda _: self.refresh())
        self.connect_button.on_click(lambda _: self.connect())
        self.choice.observe(self._on_choice, names="value")
        self.type_filter.observe(self._on_type, names="value")
        self.widget = widgets.VBox([widgets.HBox([self.refresh_button, self.type_filter, self.connect_button]),
                                    self.choice, self.state])
        self.widget.add_class("wb-stream-picker")

    def refresh(self) -> None:
        self.model.refresh()
        self.type_filter.options = [_ALL, *self.model.types]
        if self.type_filter.value not in self.type_filter.options:
            self.type_filter.value = _ALL
        self._show_choices()

    def _show_choices(self) -> None:
        self.choice.options = [(d.summary(), d.uid) for d in self.model.visible]
        self.choice.value = tuple(u for u in self.model.selected)
        self.show_state()

    def _on_type(self, change) -> None:
        self.model.set_type(None if change["new"] == _ALL else change["new"])
        self._show_choices()

    def _on_choice(self, change) -> None:
        self.model.select(change["new"])

    def connect(self) -> list:
        opened = self.model.connect_selected()
        self.show_state()
        if opened and self.on_connect is not None:
            self.on_connect(opened)
        return opened

    def show_state(self) -> None:
        rows = "".join(
            f"<tr><td>{html.escape(s.name)}</td><td>{'connected' if s.connected else 'disconnected'}</td>"
            f"<td>{s.n_samples}</td><td>{s.n_events}</td></tr>"
            for s in self.model.states()
        )
        found = f"{len(self.model.visible)} of {len(self.model.streams)} stream(s) shown"
        self.state.value = found + (
            f"<table><tr><th>stream</th><th>state</th><th>samples</th><th>events</th></tr>{rows}</table>" if rows else ""
        )

    async def _tick(self) -> None:
        while True:
            self.show_state()
            await asyncio.sleep(1.0 / self.rate)

    def start(self):
        """Keep the connections table current (samples, state) on the kernel's loop."""
        if self._task is None or self._task.done():
            self._task = self._loop.create_task(self._tick())
        return self._task

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
