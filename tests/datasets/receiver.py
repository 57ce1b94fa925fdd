"""A plain pylsl inlet polled from a thread with timeout=0.0 (the recipe in ../shared/STACK.md).

Kept independent of workbench.acquisition so the Player is checked against
liblsl itself, not against our own reader.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pylsl


class Receiver:
    """Collect every sample (and its time stamp) of the stream called ``name``."""

    def __init__(self, name: str, timeout: float = 10.0) -> None:
        infos = pylsl.resolve_byprop("name", name, minimum=1, timeout=timeout)
        assert infos, f"stream {name!r} not found within {timeout} s"
        self.info = infos[0]
        self.inlet = pylsl.StreamInlet(self.info, max_buflen=360)
        self.inlet.open_stream(timeout=timeout)
        self.full_info = self.inlet.info(timeout=timeout)
        self.values: list = []
        self.stamps: list[float] = []
        # (local clock when a chunk was pulled, time stamp of its last sample)
        self.arrivals: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            data, stamps = self.inlet.pull_chunk(timeout=0.0)
            if stamps:
                self.arrivals.append((pylsl.local_clock(), stamps[-1]))
                self.values.extend(data)
                self.stamps.extend(stamps)
            else:
                time.sleep(0.002)

    def wait_for(self, n: int, timeout: float) -> bool:
        """Wait until ``n`` samples arrived (True) or ``timeout`` seconds passed (False)."""
        deadline = time.monotonic() + timeout
        while len(self.stamps) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return len(self.stamps) >= n

    def settle(self, quiet_s: float = 0.5, timeout: float = 10.0) -> None:
        """Wait until nothing new has arrived for ``quiet_s`` (bounded by ``timeout``)."""
        deadline = time.monotonic() + timeout
        last = -1
        while time.monotonic() < deadline:
            if len(self.stamps) == last:
                return
            last = len(self.stamps)
            time.sleep(quiet_s)

    def close(self) -> tuple[np.ndarray, np.ndarray]:
        self._stop.set()
        self._thread.join(5.0)
        self.inlet.close_stream()
        return np.array(self.values), np.array(self.stamps)
