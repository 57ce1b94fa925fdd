"""The participant's screen: one large, plain cue, nothing else to distract.

Sources: a running block's :class:`~workbench.session.live.BlockControl`
(same kernel), or :class:`MarkerCueSource`, which follows the cue markers on
LSL, so the view can run in a second browser window with its own kernel.
"""

from __future__ import annotations

import asyncio
import html

import ipywidgets as widgets

from ...session.paradigm import CUE_TEXT, ITI


class MarkerCueSource:
    """The cue in force, from a cue marker stream (``<name>-markers`` or ``<name>-cues``)."""

    def __init__(self, marker_stream) -> None:
        self.markers = marker_stream  # a connected workbench.acquisition.MarkerStream
        self.label = ITI

    def current(self) -> str:
        new = [m.value for m in self.markers.read_new() if not m.value.startswith("gate:")]
        if new:
            self.label = new[-1]
        return self.label


class CueView:
    """A large cue for the participant: the text of the current cue, centred, high contrast."""

    def __init__(self, source, rate: float = 20.0, font_px: int = 96) -> None:
        self.source = source
        self.rate = rate
        self.font_px = font_px
        self.html = widgets.HTML(layout=widgets.Layout(width="100%", height="60vh"))
        # The black background is in the HTML itself: ipywidgets layouts have no background colour.
        self.widget = widgets.Box([self.html], layout=widgets.Layout(width="100%", justify_content="center",
                                                                     align_items="center"))
        self._task = None
        self.refresh()

    def label(self) -> str:
        if hasattr(self.source, "current"):
            return self.source.current()
        cue = getattr(self.source, "cue", None)
        return ITI if cue is None else cue.label

    def refresh(self) -> str:
        text = CUE_TEXT.get(self.label(), self.label())
        self.html.value = (f"<div style='background:black;color:white;font-size:{self.font_px}px;"
                           f"font-family:sans-serif;text-align:center;line-height:60vh'>{html.escape(text)}</div>")
        return text

    def start_updates(self) -> None:
        try:
            self._task = asyncio.get_event_loop().create_task(self._loop())
        except RuntimeError:
            self._task = None

    async def _loop(self) -> None:
        while True:
            self.refresh()
            await asyncio.sleep(1.0 / self.rate)
