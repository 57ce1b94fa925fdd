"""Real LSL outlets for tests: a paced counter source in a thread.

Used where the simulated amplifier (workbench.datasets.Player) has no montage
of the needed shape (e.g. 256 channels at 2 kHz) or to build deliberately bad
streams (no channels, irregular rate, NaN samples). Channel 0 carries the
sample index, so a lost or repeated sample cannot hide.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pylsl


class CounterOutlet:
    """Push ``n_channels`` x ``sfreq`` float32 samples, channel 0 = sample index."""

    def __init__(self, name, *, n_channels=4, sfreq=500.0, source_id=None, chunk=10, stype="EEG",
                 labels=None, units=None, nan_at=None, dtype="float32", grid_stamps=False):
        self.name = name
        # True: sample i stamped t0 + i / sfreq, as an amplifier with its own clock; False: each chunk
        # stamped when pushed, as a source that stamps on arrival (its push jitter is in the stamps).
        self.grid_stamps = grid_stamps
        self.sfreq = sfreq
        self.chunk = chunk
        self.nan_at = nan_at  # sample index from which channel 1 carries NaN for one chunk
        info = pylsl.StreamInfo(name, stype, n_channels, sfreq, dtype, source_id or f"{name}-src")
        if labels:
            info.set_channel_labels(list(labels))
        if units:
            info.set_channel_units(units)
        self._info = info
        self.n_sent = 0
        self.lsl_t0 = None  # set as the thread starts
        self._stop = threading.Event()
        self.paused = threading.Event()  # set: push nothing, keep the outlet open (a hung source)
        self._thread = None
        self.outlet = None

    def start(self):
        self.outlet = pylsl.StreamOutlet(self._info, chunk_size=0, max_buffered=360)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.outlet = None  # destroys the outlet: consumers see the stream go

    def nan_in(self, n_samples):
        """Put the NaN chunk ``n_samples`` after what has been sent so far.

        Tests call this once their inlet receives data: a NaN scheduled from the
        outlet's start is lost when resolving the stream takes longer than that
        (LSL gives a new inlet no samples pushed before it subscribed).
        """
        self.nan_at = self.n_sent + int(n_samples)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _run(self):
        n_ch = self._info.channel_count()
        t0 = time.perf_counter()
        self.lsl_t0 = lsl_t0 = pylsl.local_clock()  # with grid_stamps: the stamp of sample 0
        period = self.chunk / self.sfreq
        k = 0
        while not self._stop.is_set():
            if self.paused.is_set():
                self._stop.wait(period)
                t0, k = time.perf_counter(), 0
                continue
            block = np.zeros((self.chunk, n_ch), np.float32)
            idx = np.arange(self.n_sent, self.n_sent + self.chunk)
            block[:, 0] = idx
            if n_ch > 1:
                block[:, 1:] = np.sin(idx / 10.0)[:, None]
            if self.nan_at is not None and self.n_sent <= self.nan_at < self.n_sent + self.chunk and n_ch > 1:
                block[:, 1] = np.nan
            last = self.n_sent + self.chunk - 1
            self.outlet.push_chunk(block, lsl_t0 + last / self.sfreq if self.grid_stamps else pylsl.local_clock())
            self.n_sent += self.chunk
            k += 1
            delay = t0 + k * period - time.perf_counter()
            if delay > 0:
                self._stop.wait(delay)


def wait_for(predicate, timeout=5.0, step=0.005):
    """Poll ``predicate`` until true or ``timeout`` s pass; returns its last value."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > end:
            return value
        time.sleep(step)
