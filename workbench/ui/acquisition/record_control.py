"""Record control widget: start, stop, elapsed time, file size, samples per stream."""

from __future__ import annotations

import asyncio
import html
import threading

import ipywidgets as widgets

from ...recording.labrecorder import Recorder


class RecordControl:
    """A view over a :class:`~workbench.recording.labrecorder.Recorder` factory.

    Parameters
    ----------
    make_recorder : callable
        Returns a new, unstarted Recorder for each run (one XDF per run).
    rate : float
        Status updates per second while recording.
    """

    def __init__(self, make_recorder, rate: float = 2.0) -> None:
        self.make_recorder = make_recorder
        self.rate = rate
        self.recorder: Recorder | None = None
        self.manifest = None
        self.start_button = widgets.Button(description="Record", button_style="danger", icon="circle")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True)
        self.status = widgets.HTML("idle")
        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop_in_background())
        self.widget = widgets.VBox([widgets.HBox([self.start_button, self.stop_button]), self.status])
        self._task = None
        self._stopper: threading.Thread | None = None

    def start(self) -> None:
        self.recorder = self.make_recorder()
        self.recorder.start()
        self.start_button.disabled, self.stop_button.disabled = True, False
        self.refresh()
        try:
            self._task = asyncio.get_event_loop().create_task(self._loop())
        except RuntimeError:  # no event loop (plain script): refresh() is called by the user
            self._task = None

    def refresh(self) -> None:
        if self.recorder is None:
            return
        s = self.recorder.status()
        per_stream = ", ".join(f"{html.escape(n)}: {k}" for n, k in s.samples) or "-"
        self.status.value = (
            f"{'recording' if s.recording else 'stopped'} {s.elapsed:.1f} s, {s.size_bytes / 1e6:.2f} MB"
            f" &nbsp; samples {per_stream}<br><code>{html.escape(s.fname)}</code>"
        )

    async def _loop(self) -> None:
        while self.recorder is not None and self.recorder.recording:
            self.refresh()
            await asyncio.sleep(1.0 / self.rate)

    def stop(self):
        """Stop the run (LabRecorder takes a few seconds to close the file) and show its manifest."""
        if self._task is not None:
            self._task.cancel()
        self.stop_button.disabled = True
        self.status.value += "<br>closing the file ..."
        self.manifest = self.recorder.stop()
        m = self.manifest
        self.status.value = (
            f"{m.status}: <code>{html.escape(m.fname)}</code><br>sha256 {m.sha256}<br>"
            + "<br>".join(f"{html.escape(s.name)}: {s.n_samples} samples" for s in m.streams)
        )
        self.start_button.disabled = False
        return m

    def stop_in_background(self) -> threading.Thread:
        """Button handler: stop without freezing the notebook while LabRecorder closes the file."""
        self._stopper = threading.Thread(target=self.stop, daemon=True)
        self._stopper.start()
        return self._stopper

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
