"""Stream a source (synthetic or a recording) to real LSL outlets in real time.

Pacing follows an absolute schedule: sample ``i`` is due at ``t0 + i / sfreq``
on ``pylsl.local_clock()`` and goes out stamped with exactly that time; the
thread wakes on a fixed grid of ``chunk_ms`` from ``t0`` and pushes whatever
is due. A late wake-up sends a bigger chunk, never a shifted one, so there
is no drift however long it runs (benchmarks/player_drift.py measures it).

A block source's next chunk is made half a period before it is due, so that at
the wake-up only the push is left: a real amplifier's samples exist at their
time stamps, and making them is the simulation's cost, not the amplifier's delay.
Before, a closed loop's latency held the making (256 channels, 8 samples: p50
0.24 ms, p99 0.44 ms on the 2-core soak VM) on top of the push (0.02 ms).
Half a period, not right after the push: the chunk just pushed is then still
travelling to the session and LabRecorder, which a busy core would hold up.
"""

from __future__ import annotations

import math
import os
import threading
from array import array

import numpy as np

from ..errors import Problem, ValidationError, WorkbenchError
from .outlets import Lane, StreamSpec, marker_spec, open_outlet

#: Seconds past its wake-up a chunk is made ahead for: a wake-up up to this late finds its samples made.
MAKE_AHEAD_MARGIN_S = 0.001


class _BlockFeed:
    """Pushes a block source (``generate(n) -> (block, markers)``) and its markers."""

    def __init__(self, source, n_total: float) -> None:
        self.source = source
        self.n_total = n_total
        self.n_sent = 0
        self.n_markers = 0
        self.done = False
        self.marker_outlet = None  # set by Player.start()
        self.pushes: array | None = None  # Player(keep_pushes=True): 2 doubles per signal push
        self.clock = None  # pylsl.local_clock, with pushes
        self._made: list = []  # blocks made ahead and not sent yet, in order
        self._n_made = 0  # samples in them
        self._markers: list = []  # (sample, label) made with them, sent with their sample
        self._exhausted = False  # the source gave fewer samples than asked: a file played once has ended

    def _due(self, rel: float) -> float:
        # The sample at a grid point is due there: floor() must not lose it to k * chunk_s rounding below it.
        return min(math.floor(rel * self.source.sfreq + 1e-6) + 1, self.n_total)

    def _make(self, n: int) -> None:
        if n <= 0 or self._exhausted:
            return
        block, markers = self.source.generate(n)
        if len(block):
            self._made.append(block)
            self._n_made += len(block)
        self._markers.extend(markers)
        self._exhausted = len(block) < n

    def make_ahead(self, until_rel: float) -> None:
        """Make, before they are due, the samples due at ``until_rel`` (seconds from ``t0``)."""
        self._make(int(self._due(until_rel) - self.n_sent - self._n_made))

    def _take(self, n: int):
        """The first ``n`` samples made (``n`` at most those made); the rest stay for the next push."""
        made = self._made[0] if len(self._made) == 1 else np.concatenate(self._made)
        self._made, self._n_made = ([made[n:]] if n < len(made) else []), self._n_made - n
        return made[:n]

    def push_due(self, now_rel: float, t0: float, outlet) -> None:
        sfreq = self.source.sfreq
        n = int(self._due(now_rel) - self.n_sent)
        if n <= 0:
            self.done = self.n_sent >= self.n_total
            return
        self._make(n - self._n_made)  # what a late wake-up made due beyond what was made ahead
        n = min(n, self._n_made)
        end = self.n_sent + n
        self.done = self._exhausted and n == self._n_made or end >= self.n_total
        if n:
            stamps = t0 + (self.n_sent + np.arange(n)) / sfreq
            outlet.push_chunk(self._take(n), stamps.tolist())
            if self.pushes is not None:
                self.pushes.extend((stamps[-1], self.clock()))
            self.n_sent = end
        # A cue goes out after its sample (or at the end): one made ahead never arrives before its signal.
        cut = math.inf if self.done else end
        due = [m for m in self._markers if m[0] < cut]
        self._markers = [m for m in self._markers if m[0] >= cut]
        for sample, label in due:
            self.marker_outlet.push_sample([label], t0 + sample / sfreq)
        self.n_markers += len(due)


class Player:
    """Stream a source to LSL: a signal outlet and a marker outlet (``NAME-markers``).

    Parameters
    ----------
    source : SyntheticSource | ArraySource | XdfReplay
        Anything with ``sfreq``, ``ch_names``, ``ch_types``, ``units``,
        ``n_times`` and ``generate(n)``; or an
        :class:`~workbench.datasets.xdf_replay.XdfReplay` (use :meth:`from_file`).
    name : str | None
        The signal stream's name; markers go to ``name + "-markers"``. For an
        XDF replay, None keeps every recorded name.
    source_id : str | None
        LSL source id of the signal stream (default ``"<name>-<pid>"``); the
        marker stream's is ``source_id + "-markers"``.
    chunk_ms : float
        Push period in milliseconds (1-1000): samples leave in chunks of about
        this length, each sample stamped with its own time.
    duration : float | None
        Seconds to stream; None runs until :meth:`stop` (or the end of a
        non-looping file).
    loop : bool
        Recorded for reference: looping is a property of the source
        (``ArraySource(loop=...)``, ``Player.from_file(loop=...)``).
    keep_pushes : bool
        Keep, for every chunk of a block source, when it left (:attr:`pushes`):
        what splits the amplifier's share of a closed loop's latency into the
        amplifier's own part and LSL's delivery. 16 bytes per chunk (6 MB per
        hour at 10 ms chunks), so off unless asked.

    Notes
    -----
    Outlets are created by :meth:`start` and stay open until :meth:`stop`, also
    after the last sample, so consumers receive everything that was pushed.
    A source with a counter channel is sent as ``double64``: its sample index
    stays exact up to 2**53 samples, where float32 would start rounding after
    2**24 (9.3 minutes at 30 kHz, 4.7 hours at 1 kHz).
    """

    def __init__(self, source, name: str | None = "wb-sim", source_id: str | None = None,
                 chunk_ms: float = 20, duration: float | None = None, loop: bool = False,
                 keep_pushes: bool = False) -> None:  # fmt: skip
        from .xdf_replay import XdfReplay

        problems = []
        is_xdf = isinstance(source, XdfReplay)
        if name is None and not is_xdf:
            problems.append(Problem("name", name, "a stream name (None only for XDF replay)"))
        elif name is not None and (not isinstance(name, str) or not name.strip()):
            problems.append(Problem("name", name, "a non-empty stream name"))
        if not isinstance(chunk_ms, (int, float)) or not 1 <= chunk_ms <= 1000:
            problems.append(Problem("chunk_ms", chunk_ms, "milliseconds between 1 and 1000"))
        if duration is not None and (not isinstance(duration, (int, float)) or not 0 < duration < math.inf):
            problems.append(Problem("duration", duration, "seconds > 0, or None to run until stopped"))
        if source_id is not None and (not isinstance(source_id, str) or not source_id):
            problems.append(Problem("source_id", source_id, "a non-empty string or None"))
        if problems:
            raise ValidationError(problems, what="Player")
        self.source = source
        self.chunk_ms = float(chunk_ms)
        self.duration = None if duration is None else float(duration)
        self.loop = bool(loop or getattr(source, "loop", False))
        base = name if name is not None else source.signal.name
        self.source_id = source_id or f"{base}-{os.getpid()}"
        self._lanes = self._build_lanes(name, is_xdf)
        if keep_pushes and isinstance(self._lanes[0].feed, _BlockFeed):
            import pylsl

            self._lanes[0].feed.pushes, self._lanes[0].feed.clock = array("d"), pylsl.local_clock
        signal = self._lanes[0].spec
        self.name = signal.name
        markers = [lane.spec.name for lane in self._lanes if lane.is_marker]
        self.marker_name = markers[0] if markers else None
        self.stream_names = [lane.spec.name for lane in self._lanes]
        self.sfreq = signal.sfreq
        self.ch_names = list(signal.ch_names)
        self.error: BaseException | None = None
        self.t0: float | None = None
        self._outlets: list = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_file(cls, fname, name: str | None = None, source_id: str | None = None, chunk_ms: float = 20,
                  duration: float | None = None, loop: bool = False, counter: bool = False,
                  stream: str | None = None) -> "Player":  # fmt: skip
        """Replay a recording at its own rate.

        XDF: every stream gets an outlet (see
        :meth:`~workbench.datasets.xdf_replay.XdfReplay.lanes` for names);
        EDF, BDF, BrainVision, FIF: the signal plus its annotations as markers
        (name default ``"wb-replay"``). Raises RecordingFileError for a
        missing, corrupt or truncated file or one without a signal stream.
        """
        from ..recording.read import check_recording_file, read_recording, recording_format

        path = check_recording_file(fname)
        if recording_format(path) == "XDF":
            from .xdf_replay import XdfReplay

            source = XdfReplay(path, stream=stream, counter=counter, loop=loop)
        else:
            from .array_source import ArraySource

            if stream is not None:
                raise ValidationError(
                    [Problem("stream", stream, f"None for {recording_format(path)} files (XDF only)")], what="Player"
                )
            source = ArraySource.from_raw(read_recording(path), loop=loop, counter=counter)
            name = name or "wb-replay"
        return cls(source, name=name, source_id=source_id, chunk_ms=chunk_ms, duration=duration, loop=loop)

    # ----------------------------------------------------------------- lanes
    def _build_lanes(self, name, is_xdf: bool):
        if is_xdf:
            return self.source.lanes(name, self.source_id, self.duration)
        src = self.source
        fmt = "double64" if np.dtype(getattr(src, "dtype", np.float32)) == np.float64 else "float32"
        model = getattr(src, "description", "")
        signal = StreamSpec(
            name, getattr(src, "stream_type", "EEG"), src.sfreq, fmt, self.source_id,
            tuple(src.ch_names), tuple(src.ch_types), tuple(src.units), model=model,
        )  # fmt: skip
        n_total = math.inf if self.duration is None else round(self.duration * src.sfreq)
        if src.n_times is not None:
            n_total = min(n_total, src.n_times)
        feed = _BlockFeed(src, n_total)
        markers = marker_spec(f"{name}-markers", f"{self.source_id}-markers", model)
        return [Lane(signal, feed, True, False), Lane(markers, None, False, True)]

    @property
    def specs(self) -> list[StreamSpec]:
        """What each outlet announces (signal stream first)."""
        return [lane.spec for lane in self._lanes]

    # ------------------------------------------------------------- counters
    @property
    def n_samples_sent(self) -> int:
        """Samples pushed on the signal stream so far."""
        return int(self._lanes[0].feed.n_sent)

    @property
    def n_markers_sent(self) -> int:
        """Markers pushed on all marker streams so far."""
        if isinstance(self._lanes[0].feed, _BlockFeed):
            return self._lanes[0].feed.n_markers
        return sum(int(lane.feed.n_sent) for lane in self._lanes if lane.is_marker)

    @property
    def pushes(self) -> np.ndarray | None:
        """Every signal chunk pushed so far, (n, 2) on the LSL clock: the time stamp of its last sample and
        when ``push_chunk`` returned; None unless made with ``keep_pushes=True`` (block sources only). The
        last sample is never stamped later than the clock reading that made it due, so a late wake-up of the
        Player's thread does not count (its chunk is longer, not later): the first column to the second is
        where the wake-up fell in the sampling grid and handing the chunk to liblsl (its samples were made
        half a period before, unless the wake-up came over :data:`MAKE_AHEAD_MARGIN_S` late).

        Why: the amplifier's share of a closed loop's latency (time stamp -> arrival at the inlet) is the
        amplifier's own part (stamp -> pushed: the grid and handing the chunk to liblsl) and LSL's delivery
        (pushed -> arrival: liblsl's threads in both processes and the pulling thread waking).
        """
        feed = self._lanes[0].feed
        if not isinstance(feed, _BlockFeed) or feed.pushes is None:
            return None
        return np.frombuffer(feed.pushes[:], dtype=float).reshape(-1, 2)  # a copy; each push extends by 2 at once

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def finite(self) -> bool:
        """True when the stream ends by itself (a duration, or a file played once)."""
        return self.duration is not None or not self.loop and getattr(self.source, "n_times", 0) is not None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> "Player":
        """Open the outlets and start streaming from a background thread."""
        import pylsl

        if self._thread is not None:
            raise WorkbenchError(f"player {self.name!r} was already started; make a new Player to stream again")
        self._outlets = [open_outlet(lane.spec) for lane in self._lanes]
        if isinstance(self._lanes[0].feed, _BlockFeed):
            self._lanes[0].feed.marker_outlet = self._outlets[1]
        self.t0 = pylsl.local_clock()
        self._thread = threading.Thread(target=self._run, name=f"player-{self.name}", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        import pylsl

        chunk_s = self.chunk_ms / 1000.0
        t0 = self.t0
        feeds = [(lane.feed, outlet) for lane, outlet in zip(self._lanes, self._outlets) if lane.feed is not None]
        ahead = [feed for feed, _ in feeds if isinstance(feed, _BlockFeed)]
        try:
            while not self._stop.is_set():
                now_rel = pylsl.local_clock() - t0
                for feed, outlet in feeds:
                    if not feed.done:
                        feed.push_due(now_rel, t0, outlet)
                if all(feed.done for feed, _ in feeds):
                    return
                # Wake on the absolute grid t0 + k * chunk_s: no accumulated drift.
                wake = (math.floor(now_rel / chunk_s) + 1) * chunk_s
                if ahead:  # half a period before the wake-up, make what it will push (module docstring)
                    if self._stop.wait(max(0.0, wake - chunk_s / 2 - (pylsl.local_clock() - t0))):
                        return
                    for feed in ahead:
                        feed.make_ahead(wake + MAKE_AHEAD_MARGIN_S)
                self._stop.wait(max(0.0, wake - (pylsl.local_clock() - t0)))
        except BaseException as err:  # reported by wait() / the CLI, never silently lost
            self.error = err

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the stream has ended (duration reached, file over, or stopped).

        Returns True if it has ended, False if ``timeout`` seconds passed first.
        ``timeout=None`` on an endless player (no duration, looping or
        synthetic) would never return, so it is refused.
        """
        if self._thread is None:
            raise WorkbenchError(f"player {self.name!r} has not been started")
        if timeout is None and not self.finite:
            raise ValidationError(
                [Problem("timeout", None, "a number of seconds: this player has no duration and never ends")],
                what="Player.wait",
            )
        self._thread.join(timeout)
        if self.error is not None:
            raise WorkbenchError(f"player {self.name!r} failed: {self.error!r}") from self.error
        return not self._thread.is_alive()

    def stop(self) -> None:
        """Stop streaming and close the outlets (safe to call twice)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
        self._outlets = []  # dropping the outlets withdraws the streams

    def __enter__(self) -> "Player":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (
            f"<Player {self.name!r} {self.sfreq:g} Hz, {len(self.ch_names)} ch, "
            f"{self.n_samples_sent} samples sent, {state}>"
        )
