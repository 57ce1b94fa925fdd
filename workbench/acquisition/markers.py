"""Event (marker) streams: irregular LSL streams of strings or integers."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from itertools import islice

import numpy as np
import pylsl

from ..errors import Problem, ValidationError
from ..utils._checks import _check_positive
from .discovery import describe
from .inlet_worker import InletWorker

#: How often a marker inlet polls (s): a marker is seen at most this late (heartbeats: 80 ms watchdog).
MARKER_POLL_INTERVAL_S = 0.004


@dataclass(frozen=True)
class Marker:
    """One marker: its LSL time stamp (clock-offset corrected) and its value."""

    timestamp: float
    value: str


class MarkerStream(InletWorker):
    """An irregular marker stream kept as a bounded list of :class:`Marker`.

    Parameters
    ----------
    name, source_id, stype : str | None
        As for :class:`~workbench.acquisition.Stream`.
    maxlen : int
        Markers kept (oldest dropped first).
    """

    # Clock-offset correction only: dejittering assumes a regular rate. Measured
    # here: the first marker after connect arrives with the first clock-offset
    # estimate (up to ~1.5 s after connect); later ones within ~1 ms. None is lost.
    _processing = pylsl.proc_clocksync

    def __init__(self, name=None, *, source_id=None, stype=None, maxlen: int = 10_000, **kwargs) -> None:
        # Markers come a few times a second: polling every 1 ms (the signal's default) woke this thread
        # 1,000 times a second for nothing, each wake taking the interpreter and a core from the loop.
        kwargs.setdefault("poll_interval", MARKER_POLL_INTERVAL_S)
        super().__init__(name, source_id=source_id, stype=stype, **kwargs)
        _check_positive("maxlen", maxlen)
        self._markers: deque[Marker] = deque(maxlen=int(maxlen))
        self._lock = threading.Lock()
        self._n_read = 0
        self._n_stored = 0

    def _setup(self, info: pylsl.StreamInfo) -> None:
        desc = describe(info)
        if desc.n_channels < 1:
            raise ValidationError([Problem("n_channels", 0, "at least 1 channel")], what=f"LSL stream {desc.name!r}")

    def _store(self, data, timestamps) -> None:
        values = []
        for row in data:
            v = row[0]
            if isinstance(v, (bytes, bytearray)):
                v = bytes(v).decode("utf-8", errors="replace")
            elif isinstance(v, (np.floating, float)) and float(v).is_integer():
                v = int(v)
            values.append(str(v))
        with self._lock:
            self._markers.extend(Marker(float(t), v) for t, v in zip(timestamps, values))
            self._n_stored += len(values)

    def get_markers(self, tmin: float | None = None) -> list[Marker]:
        """Markers kept, optionally only those at or after LSL time ``tmin``."""
        with self._lock:
            markers = list(self._markers)
        return markers if tmin is None else [m for m in markers if m.timestamp >= tmin]

    def read_new(self) -> list[Marker]:
        """Markers received since the previous call (those still kept, if more than ``maxlen`` came)."""
        # Only the new ones are copied: a live loop calls this at every step, and copying all that is kept
        # (10,000 heartbeats after 100 s) took 60-120 µs of every step, in the workbench's share of the latency.
        with self._lock:
            n_new = min(self._n_stored - self._n_read, len(self._markers))
            self._n_read = self._n_stored
            if n_new <= 0:
                return []
            new = list(islice(reversed(self._markers), n_new))
        new.reverse()
        return new

    @property
    def n_markers_received(self) -> int:
        return self._n_received
