"""The record control's model: one run's state, what the file holds, and who is told when it changes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

from ...errors import WorkbenchError
from ...outcomes.entry import Listeners

#: A run's states, in order; "failed" when LabRecorder would not start.
STATES = ("idle", "starting", "recording", "stopping", "stopped", "failed")


@dataclass(frozen=True)
class RunView:
    """What the control shows: the state, the file, and samples *in this run* per stream."""

    state: str
    fname: str
    elapsed: float
    size_bytes: int
    samples: tuple[tuple[str, int], ...]
    message: str = ""


class RecordControlModel:
    """Start and stop runs of a Recorder factory, without any widget.

    The state changes to "starting" or "stopping" at once, before LabRecorder
    (which takes seconds to open or close a file) is called, so a view can
    answer a click immediately. Sample counts are those received since this
    run started (the monitors' totals minus their totals at the start), not
    since the stream was connected; after the stop they are the file's own
    counts from the run's manifest.

    Parameters
    ----------
    make_recorder : callable
        Returns a new, unstarted :class:`~workbench.recording.labrecorder.Recorder`.
    """

    def __init__(self, make_recorder: Callable) -> None:
        self.make_recorder = make_recorder
        self.recorder = None
        self.manifest = None
        self.state = "idle"
        self.message = ""
        self.listeners = Listeners()
        self._offsets: dict[str, int] = {}
        self._lock = threading.Lock()

    def _set(self, state: str, message: str = "") -> None:
        self.state, self.message = state, message
        self.listeners.notify()

    @property
    def can_start(self) -> bool:
        return self.state in ("idle", "stopped", "failed")

    @property
    def can_stop(self) -> bool:
        return self.state == "recording"

    def start(self) -> None:
        """Start a run (blocking while LabRecorder opens the file); "failed" with the reason on error."""
        with self._lock:
            if not self.can_start:
                raise WorkbenchError(f"cannot start a run while {self.state}")
            self._set("starting", "starting LabRecorder ...")
        try:
            recorder = self.make_recorder()
            recorder.start()
        except WorkbenchError as err:
            self.recorder = None
            self._set("failed", str(err))
            return
        self.recorder, self.manifest = recorder, None
        self._offsets = dict(recorder.status().samples)
        self._set("recording")

    def stop(self):
        """Stop the run (blocking while LabRecorder closes the file); returns the run's manifest."""
        with self._lock:
            if not self.can_stop:
                raise WorkbenchError(f"cannot stop: the control is {self.state}")
            self._set("stopping", "closing the file ...")
        self.manifest = self.recorder.stop()
        self._set("stopped", "" if self.manifest.status == "complete" else self.manifest.detail)
        return self.manifest

    def view(self) -> RunView:
        """The run as shown now."""
        if self.manifest is not None and self.state == "stopped":
            m = self.manifest
            return RunView(self.state, m.fname, 0.0, 0, tuple((s.name, s.n_samples) for s in m.streams),
                           self.message)
        if self.recorder is None or self.state in ("idle", "failed", "starting"):
            return RunView(self.state, "", 0.0, 0, (), self.message)
        s = self.recorder.status()
        samples = tuple((name, n - self._offsets.get(name, 0)) for name, n in s.samples)
        return RunView(self.state, s.fname, s.elapsed, s.size_bytes, samples, self.message)
