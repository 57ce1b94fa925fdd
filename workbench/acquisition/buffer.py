"""A fixed-size ring buffer of samples and their time stamps, and its readers.

The buffer is the only state shared between an acquisition thread (one
writer) and its consumers (scope, decoder, tests); one lock guards it and every
read returns a copy, so a consumer never sees a half-written chunk. Arrays are
``(n_times, n_channels)``.

Two ways to read:

- :meth:`RingBuffer.get_last` -- the latest window, for displays and quality
  checks that may skip samples;
- :class:`StreamReader` -- every sample exactly once, for consumers that must
  not miss or double-count (decoders, closed loop). A reader that falls more
  than the buffer's length behind raises :class:`BufferOverrunError` rather
  than silently skipping data; live loops use :meth:`StreamReader.read_lossy`,
  which skips to the oldest sample still held and says how many were lost (a
  gap for the record, never a crash).

Each sample also keeps its *arrival* time (the LSL ``local_clock()`` when the
acquisition thread stored its chunk), so a consumer can split its latency into
the amplifier's share (time stamp -> arrival) and its own (arrival -> output).
A consumer waits for new samples with :meth:`StreamReader.wait` instead of
polling with a fixed sleep.
"""

from __future__ import annotations

import threading

import numpy as np

from ..errors import WorkbenchError
from ..utils._checks import _check_positive


class BufferOverrunError(WorkbenchError):
    """A reader fell so far behind that samples it never read were overwritten."""


def _touched(array: np.ndarray) -> np.ndarray:
    """``array`` filled with zeros, every page of it written (faulted in) before it is used."""
    array.fill(0)
    return array


class RingBuffer:
    """Thread-safe circular store of the last ``n_samples`` samples.

    Parameters
    ----------
    n_samples : int
        Capacity in samples (> 0).
    n_channels : int
        Number of channels (> 0).
    dtype : numpy dtype
        Storage type; the stream's own format, so counters and raw values
        come back bit-exact.
    """

    def __init__(self, n_samples: int, n_channels: int, dtype=np.float32) -> None:
        _check_positive("n_samples", n_samples)
        _check_positive("n_channels", n_channels)
        # Written through now, not on first use: numpy asks for transparent huge pages for large arrays,
        # and the kernel's first touch of each 2 MB page (zeroing, compaction) held the inlet thread
        # 5 ms every 1024 samples of a 256-channel stream, under the lock the live loop waits on.
        self._data = _touched(np.empty((int(n_samples), int(n_channels)), dtype=dtype))
        self._ts = _touched(np.empty(int(n_samples), dtype=np.float64))
        self._arrival = _touched(np.empty(int(n_samples), dtype=np.float64))
        self._n_total = 0
        self._lock = threading.Lock()
        self._new_data = threading.Condition(self._lock)  # notified at every push

    @property
    def capacity(self) -> int:
        return self._data.shape[0]

    @property
    def n_channels(self) -> int:
        return self._data.shape[1]

    @property
    def n_total(self) -> int:
        """Samples pushed since creation (monotonic; readers' positions refer to it)."""
        with self._lock:
            return self._n_total

    def push(self, data: np.ndarray, timestamps: np.ndarray, arrival: float = 0.0) -> None:
        """Append ``data`` (n_times, n_channels) with ``timestamps`` (n_times,).

        ``arrival``: LSL ``local_clock()`` when the chunk was pulled from its inlet.
        """
        n = len(timestamps)
        if n == 0:
            return
        cap = self.capacity
        if n > cap:  # only the newest ``cap`` samples can be kept
            skipped = n - cap
            data, timestamps = data[skipped:], timestamps[skipped:]
        else:
            skipped = 0
        with self._lock:
            start = (self._n_total + skipped) % cap
            m = len(timestamps)
            first = min(m, cap - start)
            self._data[start : start + first] = data[:first]
            self._ts[start : start + first] = timestamps[:first]
            self._arrival[start : start + first] = arrival
            if first < m:
                self._data[: m - first] = data[first:]
                self._ts[: m - first] = timestamps[first:]
                self._arrival[: m - first] = arrival
            self._n_total += n
            self._new_data.notify_all()

    def wait_beyond(self, position: int, timeout: float) -> bool:
        """Block until a sample at or after ``position`` exists, or ``timeout`` s pass; True if one does."""
        with self._new_data:
            return self._new_data.wait_for(lambda: self._n_total > position, timeout)

    def arrivals(self, start: int, stop: int) -> np.ndarray:
        """Arrival times of absolute samples [start, stop) still held (NaN for overwritten ones)."""
        with self._lock:
            oldest = self._n_total - min(self._n_total, self.capacity)
            out = np.full(max(0, stop - start), np.nan)
            lo = max(start, oldest)
            if stop > lo:
                cap = self.capacity
                out[lo - start:] = self._arrival[np.arange(lo, stop) % cap]
            return out

    def _copy_range(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Copy absolute sample range [start, stop); caller holds the lock."""
        cap = self.capacity
        n = stop - start
        first = start % cap
        if first + n <= cap:  # one contiguous slice: a plain copy, no index array
            return self._data[first : first + n].copy(), self._ts[first : first + n].copy()
        split = cap - first
        data = np.concatenate((self._data[first:], self._data[: n - split]))
        return data, np.concatenate((self._ts[first:], self._ts[: n - split]))

    def get_last(self, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Copy of the newest ``n`` samples (all held if None or more than held)."""
        with self._lock:
            held = min(self._n_total, self.capacity)
            n = held if n is None else max(0, min(int(n), held))
            return self._copy_range(self._n_total - n, self._n_total)

    def read_from(self, position: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Samples from absolute ``position`` to the newest, and the next position.

        Raises
        ------
        BufferOverrunError
            If samples at ``position`` were already overwritten.
        """
        with self._lock:
            oldest = self._n_total - min(self._n_total, self.capacity)
            if position < oldest:
                raise BufferOverrunError(
                    f"reader at sample {position} fell behind: samples {position}..{oldest - 1} were "
                    f"overwritten (buffer holds {self.capacity} samples); read more often or enlarge bufsize"
                )
            data, ts = self._copy_range(position, self._n_total)
            return data, ts, self._n_total


class StreamReader:
    """A consumer's position in a :class:`RingBuffer`: each sample is returned once.

    Parameters
    ----------
    buffer : RingBuffer
    position : int | None
        Absolute sample index to start at; None starts at the newest sample
        (only samples arriving after creation are returned).
    """

    def __init__(self, buffer: RingBuffer, position: int | None = None) -> None:
        self._buffer = buffer
        self._position = buffer.n_total if position is None else int(position)

    @property
    def position(self) -> int:
        """Absolute index of the next sample this reader will return."""
        return self._position

    def read(self) -> tuple[np.ndarray, np.ndarray]:
        """Every sample since the previous call: ``(data (n_times, n_channels), timestamps)``."""
        data, ts, self._position = self._buffer.read_from(self._position)
        return data, ts

    def read_lossy(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Like :meth:`read`, but a reader that fell behind skips to the oldest sample held.

        Returns ``(data, timestamps, arrivals, n_lost)``: ``arrivals`` (n_times,) is when each
        sample's chunk reached the inlet (LSL clock); ``n_lost`` how many samples were
        overwritten before this reader got to them (0 normally). For live loops, where
        falling behind is a fault to record (a gap), not a reason to stop.
        """
        buf = self._buffer
        start = self._position
        with buf._lock:
            oldest = buf._n_total - min(buf._n_total, buf.capacity)
            n_lost = max(0, oldest - start)
            start = max(start, oldest)
            data, ts = buf._copy_range(start, buf._n_total)
            stop = buf._n_total
            cap = buf.capacity
            first = start % cap
            if first + (stop - start) <= cap:
                arrivals = buf._arrival[first : first + stop - start].copy()
            else:
                arrivals = buf._arrival[np.arange(start, stop) % cap]
        self._position = stop
        return data, ts, arrivals, n_lost

    def arrivals_before(self, n: int) -> tuple[np.ndarray, int]:
        """Arrival times of the (up to) ``n`` samples before this reader's position, and the first one's index.

        The stream's recent history, for learning where its chunks end (``acquisition.chunk_phase``);
        NaN for samples no longer held (:meth:`RingBuffer.arrivals`).
        """
        first = max(0, self._position - max(0, int(n)))
        return self._buffer.arrivals(first, self._position), first

    def wait(self, timeout: float) -> bool:
        """Wait until this reader has a sample to read, at most ``timeout`` s; True if it has."""
        return self._buffer.wait_beyond(self._position, timeout)
