"""Record control widget: start, stop, elapsed time, file size, samples in this run per stream."""

from __future__ import annotations

import asyncio
import html
import threading

import ipywidgets as widgets

from ._loop import KernelLoop
from .record_control_model import RecordControlModel

_LABEL = {"idle": "ready", "starting": "starting LabRecorder ...", "recording": "recording",
          "stopping": "closing the file ...", "stopped": "stopped", "failed": "could not record"}


class RecordControl:
    """A view over :class:`RecordControlModel`.

    A click changes the buttons and the status at once; LabRecorder then
    starts or stops in a background thread, and every redraw is scheduled
    on the kernel's event loop (widgets are not thread-safe).

    Parameters
    ----------
    make_recorder : callable
        Returns a new, unstarted Recorder for each run (one XDF per run).
    rate : float
        Status updates per second while recording.
    """

    def __init__(self, make_recorder, rate: float = 2.0) -> None:
        self.model = RecordControlModel(make_recorder)
        self.rate = rate
        self._loop = KernelLoop()
        self.start_button = widgets.Button(description="Record", button_style="danger", icon="circle")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True)
        self.status = widgets.HTML(_LABEL["idle"])
        self.status.add_class("wb-record-status")
        self.start_button.on_click(lambda _: self.start_in_background())
        self.stop_button.on_click(lambda _: self.stop_in_background())
        self.widget = widgets.VBox([widgets.HBox([self.start_button, self.stop_button]), self.status])
        self.widget.add_class("wb-record-control")
        self.model.listeners.add(lambda: self._loop.call(self.refresh))
        self._task = None
        self._worker: threading.Thread | None = None

    @property
    def recorder(self):
        return self.model.recorder

    @property
    def manifest(self):
        return self.model.manifest

    def start(self) -> None:
        """Start a run now (blocks while LabRecorder opens the file)."""
        self.model.start()
        if self.model.state == "recording":
            self._task = self._loop.create_task(self._tick())

    def start_in_background(self) -> threading.Thread:
        """Button handler: the buttons change at once, LabRecorder starts in a thread."""
        self.start_button.disabled = True
        self.status.value = _LABEL["starting"]
        self._worker = threading.Thread(target=self.start, daemon=True)
        self._worker.start()
        return self._worker

    def stop(self):
        """Stop the run (LabRecorder takes a few seconds to close the file) and show its manifest."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        return self.model.stop()

    def stop_in_background(self) -> threading.Thread:
        """Button handler: stop without freezing the notebook while LabRecorder closes the file."""
        self.stop_button.disabled = True
        self.status.value += "<br>closing the file ..."
        self._worker = threading.Thread(target=self.stop, daemon=True)
        self._worker.start()
        return self._worker

    def refresh(self) -> None:
        """Draw the model's state: buttons, status, samples in this run."""
        m = self.model
        v = m.view()
        self.start_button.disabled, self.stop_button.disabled = not m.can_start, not m.can_stop
        per_stream = ", ".join(f"{html.escape(n)}: {k}" for n, k in v.samples) or "-"
        if v.state == "recording":
            text = (f"recording {v.elapsed:.1f} s, {v.size_bytes / 1e6:.2f} MB &nbsp; samples in this run "
                    f"{per_stream}<br><code>{html.escape(v.fname)}</code>")
        elif v.state == "stopped":
            mf = m.manifest
            text = (f"{mf.status}: <code>{html.escape(mf.fname)}</code><br>sha256 {mf.sha256}<br>"
                    + "<br>".join(f"{html.escape(n)}: {k} samples in the file" for n, k in v.samples))
        else:
            text = _LABEL[v.state]
        if v.message and v.state in ("failed", "stopped"):
            text += f"<br><span style='color:#c62828'>{html.escape(v.message)}</span>"
        self.status.value = text

    async def _tick(self) -> None:
        while self.model.state == "recording":
            self.refresh()
            await asyncio.sleep(1.0 / self.rate)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
