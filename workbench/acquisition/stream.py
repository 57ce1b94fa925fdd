"""A buffered live LSL stream of signals: :class:`Stream`.

Data are ``(n_times, n_channels)`` arrays in the stream's own format and
units (see ``Stream.units``), with LSL time stamps corrected for the clock
offset between machines and, the rate being regular, dejittered.
"""

from __future__ import annotations

import math

import numpy as np
import pylsl

from ..errors import Problem, ValidationError
from ..utils._checks import _check_positive
from .buffer import RingBuffer, StreamReader
from .channel_info import build_info, read_layout
from .discovery import describe
from .inlet_worker import InletWorker

_NUMPY_DTYPES = {
    "float32": np.float32,
    "double64": np.float64,
    "int32": np.int32,
    "int16": np.int16,
    "int8": np.int8,
    "int64": np.int64,
}

#: Time stamps may go back this far (s) without a ``time_reversed`` event: the chunk-to-chunk jitter of a
#: source that stamps chunks on arrival, and liblsl's clock-offset updates, are a few ms; a clock reset is
#: not. Ten ms is an eighth of the gate's 80 ms latency limit, so a tolerated step back cannot hide a stale
#: signal from it.
REVERSAL_TOLERANCE_S = 0.01


class Stream(InletWorker):
    """One regular LSL stream, acquired by its own thread into a ring buffer.

    A live loop that reads it can pull in its own thread instead
    (:meth:`~workbench.acquisition.inlet_worker.InletWorker.pull_here`), as
    ``run_block`` does once the block starts.

    Parameters
    ----------
    name : str | None
        Stream name to connect to.
    source_id : str | None
        Source id; with a name, picks one of several same-named streams.
        Reconnection after a loss requires the stream to have one.
    stype : str | None
        Stream type filter (``"EEG"``, ``"EMG"``...).
    bufsize : float
        Seconds of data kept (> 0). Readers more than this far behind raise
        :class:`~workbench.acquisition.BufferOverrunError`.
    poll_interval : float
        Sleep between empty polls, s. 1 ms keeps the LSL-to-buffer latency
        near a millisecond at a few percent of one core.
    retry_interval : float
        Seconds between searches for a lost source.
    reconnect : bool
        Reconnect when a stream with the same source id returns.
    stall_timeout : float
        Seconds without samples after which the stream is reported
        disconnected while its connection stays open (at least 5 sample periods).
    dejitter : bool
        Smooth time stamps with liblsl's dejitter (and keep them monotonic).
        Clock-offset correction is always on. False gives the stamps as sent,
        e.g. to measure transport latency. Dejitter also smooths over a short
        silence of a source that stays connected: the silence is then in
        ``events`` (``disconnected``/``reconnected``) but the ``gap`` event's
        time stamps barely move; with ``dejitter=False`` they show the jump.
        Dejitter also hides a clock that jumps back (monotonized stamps stop
        advancing); read as sent, the jump is the ``time_reversed`` event.
    reversal_tolerance : float
        Seconds (>= 0) a time stamp may fall below the one before it without a
        ``time_reversed`` event. A source that stamps each chunk on arrival
        (USB, Bluetooth amplifiers) overlaps its chunks by its jitter, a few ms;
        a clock reset or a replayed chunk goes back by far more.
    wake_on_arrival : bool
        Wait in liblsl for the first sample (at most ``poll_interval``) instead
        of sleeping between empty polls: a chunk is stored as it arrives, not
        up to a poll interval later, and an idle stream wakes its thread less
        often. The closed loop's signal stream uses it.

    Examples
    --------
    >>> with Stream("wb-sim", bufsize=5) as stream:      # doctest: +SKIP
    ...     data, ts = stream.get_data(1.0)               # last second
    ...     new, new_ts = stream.read_new()               # every sample once
    """

    _processing = pylsl.proc_clocksync | pylsl.proc_dejitter | pylsl.proc_monotonize

    def __init__(
        self,
        name: str | None = None,
        *,
        source_id: str | None = None,
        stype: str | None = None,
        bufsize: float = 10.0,
        poll_interval: float = 0.001,
        retry_interval: float = 0.1,
        reconnect: bool = True,
        stall_timeout: float = 0.5,
        dejitter: bool = True,
        reversal_tolerance: float = REVERSAL_TOLERANCE_S,
        wake_on_arrival: bool = False,
    ) -> None:
        if not dejitter:
            self._processing = pylsl.proc_clocksync
        super().__init__(
            name,
            source_id=source_id,
            stype=stype,
            poll_interval=poll_interval,
            retry_interval=retry_interval,
            reconnect=reconnect,
            stall_timeout=stall_timeout,
            wake_on_arrival=wake_on_arrival,
        )
        self._bufsize = _check_positive("bufsize", bufsize)
        if isinstance(reversal_tolerance, bool) or not isinstance(reversal_tolerance, (int, float)) \
                or not 0 <= reversal_tolerance < math.inf:
            raise ValidationError([Problem("reversal_tolerance", reversal_tolerance, "seconds >= 0")],
                                  what="Stream")
        self._reversal_tolerance = float(reversal_tolerance)
        self._buffer: RingBuffer | None = None
        self._info = None
        self._units: tuple[str, ...] = ()
        self._default_reader: StreamReader | None = None
        self._n_nonfinite = 0
        self._in_nonfinite = False

    # -- setup --------------------------------------------------------------
    def _setup(self, info: pylsl.StreamInfo) -> None:
        desc = describe(info)
        problems = []
        if desc.n_channels < 1:
            problems.append(Problem("n_channels", desc.n_channels, "at least 1 channel"))
        if desc.sfreq <= 0:
            problems.append(
                Problem("sfreq", desc.sfreq, "a regular rate > 0 Hz (use MarkerStream for irregular streams)")
            )
        if desc.dtype not in _NUMPY_DTYPES:
            problems.append(
                Problem("dtype", desc.dtype, "a numeric format (use MarkerStream for string streams)")
            )
        if problems:
            raise ValidationError(problems, what=f"LSL stream {desc.name!r}")
        self._info = build_info(info)
        self._units = read_layout(info).units
        n_samples = max(1, math.ceil(self._bufsize * desc.sfreq))
        self._buffer = RingBuffer(n_samples, desc.n_channels, _NUMPY_DTYPES[desc.dtype])
        self._default_reader = StreamReader(self._buffer, position=0)
        # Enough per pull to drain a 100 ms stall at once, not so much that one
        # pull of a 1024-channel stream allocates hundreds of MB.
        self._max_chunk = int(min(max(1024, desc.sfreq / 10), 2**16))

    def _store(self, data: np.ndarray, timestamps: np.ndarray) -> None:
        # Faults are counted and recorded before the chunk is stored: a loop that reads events after
        # data never acts on bad samples without having seen their fault.
        if data.dtype.kind == "f" and not np.isfinite(data).all():
            bad = ~np.isfinite(data)
            self._n_nonfinite += int(bad.sum())
            if not self._in_nonfinite:  # one event per run of bad samples, not per chunk
                names = [self._info["ch_names"][i] for i in np.flatnonzero(bad.any(axis=0))]
                self._record(
                    "nonfinite",
                    n_missing=int(bad.sum()),
                    detail="NaN/Inf samples on channel(s) " + ", ".join(names[:10]) + ("..." if len(names) > 10 else ""),
                )
            self._in_nonfinite = True
        else:
            self._in_nonfinite = False
        back = self._reversal(timestamps)
        if back is not None:
            # A clock reset or a replayed chunk: the stream's time no longer orders its samples.
            before, after = back
            self._record("time_reversed", gap_start=before, gap_stop=after,
                         detail=f"time stamps went back by {1e3 * (before - after):.1f} ms")
        # Raw data are stored as received, NaN included: nothing is altered. The arrival time is
        # when the chunk left the inlet (the amplifier's share of the latency ends there).
        self._buffer.push(data, timestamps, pylsl.local_clock())

    def _reversal(self, timestamps: np.ndarray) -> tuple[float, float] | None:
        """The largest step back in this chunk's stamps, from the stamp before it, beyond the tolerance."""
        if not len(timestamps):
            return None
        prev = timestamps[0] if self._last_ts is None else self._last_ts
        # Against the running maximum, so a reset in mid-chunk or a slow slide back over several
        # samples counts by how far below the newest time seen it goes.
        seen = np.maximum.accumulate(np.concatenate(([prev], timestamps[:-1])))
        drop = seen - timestamps
        i = int(np.argmax(drop))
        if drop[i] <= self._reversal_tolerance:
            return None
        return float(seen[i]), float(timestamps[i])

    # -- public -------------------------------------------------------------
    @property
    def info(self):
        """:class:`mne.Info` built from the stream's description."""
        self._require_setup()
        return self._info

    @property
    def ch_names(self) -> list[str]:
        return list(self.info["ch_names"])

    @property
    def sfreq(self) -> float:
        return self.description.sfreq

    @property
    def units(self) -> tuple[str, ...]:
        """Unit of each channel as the stream declares it ('' if not given)."""
        self._require_setup()
        return self._units

    @property
    def n_nonfinite(self) -> int:
        """NaN/Inf values received so far (each also noted in ``events``)."""
        return self._n_nonfinite

    def pick_indices(self, picks) -> np.ndarray | slice:
        """Column indices for channel names or indices (all if None); raises on unknown ones."""
        if picks is None:
            return slice(None)
        names = self.ch_names
        picks = [picks] if isinstance(picks, (str, int, np.integer)) else list(picks)
        idx, bad = [], []
        for p in picks:
            if isinstance(p, str):
                (idx.append(names.index(p)) if p in names else bad.append(p))
            elif 0 <= int(p) < len(names):
                idx.append(int(p))
            else:
                bad.append(p)
        if bad:
            raise ValidationError(
                [Problem("picks", bad, f"channel names of {self.name!r} or indices 0..{len(names) - 1}")],
                what="channel selection",
            )
        return np.asarray(idx, dtype=int)

    def get_data(self, winsize: float | None = None, picks=None) -> tuple[np.ndarray, np.ndarray]:
        """The newest ``winsize`` seconds (all buffered data if None).

        Safe to call while acquisition runs: returns copies.

        Parameters
        ----------
        winsize : float | None
            Window length in seconds (> 0).
        picks : str | int | list | None
            Channel names or indices; None for all.

        Returns
        -------
        data : ndarray, shape (n_times, n_channels)
        timestamps : ndarray, shape (n_times,)
            LSL time (s), clock-offset corrected and dejittered.
        """
        self._require_setup()
        n = None
        if winsize is not None:
            _check_positive("winsize", winsize)
            n = int(round(winsize * self.sfreq))
        data, ts = self._buffer.get_last(n)
        return data[:, self.pick_indices(picks)], ts

    def reader(self, from_start: bool = False) -> StreamReader:
        """A new :class:`StreamReader` for one consumer that must see every sample once.

        ``from_start=True`` starts at the oldest buffered sample, else at the next one.
        """
        self._require_setup()
        return StreamReader(self._buffer, position=0 if from_start else None)

    def note_overrun(self, n_lost: int, who: str = "reader") -> None:
        """A consumer fell behind and lost ``n_lost`` samples: a ``gap`` event, like a lost connection."""
        self._record("gap", n_missing=int(n_lost),
                     detail=f"{who} fell behind: {int(n_lost)} samples were overwritten before it read them")

    def read_new(self) -> tuple[np.ndarray, np.ndarray]:
        """Every sample since the previous call (the first call: since connect).

        Returns ``(data (n_times, n_channels), timestamps)``; raises
        BufferOverrunError if more than ``bufsize`` seconds were left unread.
        """
        self._require_setup()
        return self._default_reader.read()

    def __repr__(self) -> str:
        if self._description is None:
            return f"<Stream {self._query[0] or self._query[1]!r} (not connected)>"
        state = "connected" if self.connected else "disconnected"
        return f"<Stream {self._description.summary()} | {state}, {self._n_received} samples>"
