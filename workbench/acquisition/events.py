"""What happened to a live stream: disconnections, reconnections, gaps, bad samples.

Events are kept with the stream (``Stream.events``) so a session record can
say exactly where data are missing instead of hiding it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: ``time_reversed``: a chunk stamped earlier than the sample before it; ``layout_changed``: the source
#: came back with another rate, channel count or format; ``source_changed``: a stream of the same name
#: appeared with another source id (another device). Each is a fault for a live loop.
EVENT_KINDS = ("connected", "disconnected", "reconnected", "gap", "nonfinite", "time_reversed", "layout_changed",
               "source_changed")


@dataclass(frozen=True)
class AcquisitionEvent:
    """One event on one stream.

    Attributes
    ----------
    kind : str
        One of :data:`EVENT_KINDS`.
    stream : str
        Stream name.
    wall_time : float
        ``time.time()`` when the acquisition thread saw it (for logs).
    lsl_time : float
        LSL clock (``pylsl.local_clock()``) at that moment, comparable to
        sample time stamps.
    n_samples : int
        Samples received before the event (its position in the stream).
    gap_start, gap_stop : float | None
        For ``gap``: time stamps of the last sample before and the first after.
    n_missing : int
        For ``gap``: samples the nominal rate says are missing; for
        ``nonfinite``: NaN/Inf values seen.
    detail : str
        Human-readable explanation.
    """

    kind: str
    stream: str
    wall_time: float
    lsl_time: float
    n_samples: int
    gap_start: float | None = None
    gap_stop: float | None = None
    n_missing: int = 0
    detail: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"kind: got {self.kind!r}; allowed: {', '.join(EVENT_KINDS)}")
