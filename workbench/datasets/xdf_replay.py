"""Replay every stream of an XDF file with its recorded relative timing.

Each stream gets its own outlet (same name and type as recorded unless the
player is given a name). Samples go out with their recorded time stamps
(after pyxdf's synchronisation), shifted to "now", so the timing between
signal and markers is preserved. Time-stamp jumps over
:data:`MAX_GAP_S` in which no regular stream has a sample (a clock reset,
as in ``clock_resets.xdf``) are shortened to one sample period so a replay
never sits silent for minutes.
"""

from __future__ import annotations

import numpy as np

from ..recording.read import XdfStream, pick_signal_stream, read_xdf_streams
from .outlets import CHANNEL_FORMATS, Lane, StreamSpec

MAX_GAP_S = 1.0


class _TimedFeed:
    """Pushes one recorded stream's samples when their (relative) time has come."""

    def __init__(self, rel_times, values, is_marker: bool, period: float | None, duration: float | None,
                 counter: bool, dtype) -> None:  # fmt: skip
        self._rel = rel_times
        self._values = values
        self._is_marker = is_marker
        self._period = period
        self._end = np.inf if duration is None else duration
        self._counter = counter
        self._dtype = dtype
        self._i = 0
        self._lap = 0
        self.n_sent = 0
        self.done = len(rel_times) == 0

    def push_due(self, now_rel: float, t0: float, outlet) -> None:
        n = len(self._rel)
        while not self.done:
            offset = self._lap * self._period if self._period else 0.0
            horizon = min(now_rel, np.nextafter(self._end, -np.inf)) - offset
            stop = int(np.searchsorted(self._rel, horizon, side="right"))
            if stop > self._i:
                stamps = t0 + offset + self._rel[self._i : stop]
                if self._is_marker:
                    for value, ts in zip(self._values[self._i : stop], stamps):
                        outlet.push_sample(list(value) if np.ndim(value) else [value], float(ts))
                else:
                    block = np.array(self._values[self._i : stop], dtype=self._dtype)
                    if self._counter:
                        block[:, 0] = self._lap * n + np.arange(self._i, stop)
                    outlet.push_chunk(block, stamps.tolist())
                self.n_sent += stop - self._i
                self._i = stop
            if self._i < n:
                # Past the duration with samples left: finished.
                self.done = offset + self._rel[self._i] >= self._end
                return
            if not self._period:
                self.done = True
                return
            self._lap, self._i = self._lap + 1, 0
            if self._lap * self._period >= self._end:
                self.done = True


class XdfReplay:
    """The streams of one XDF file, prepared for the :class:`~workbench.datasets.Player`.

    Parameters
    ----------
    fname : path-like
    stream : str | None
        Which stream is "the signal" (name or type; default the fastest
        numeric one, as in :func:`workbench.recording.read.pick_signal_stream`).
    counter : bool
        Channel 0 of the signal stream carries the running sample index
        (sent as double64: exact up to 2**53).
    loop : bool
        Start over after the end, all streams together.
    """

    def __init__(self, fname, *, stream: str | None = None, counter: bool = False, loop: bool = False) -> None:
        self.streams: list[XdfStream] = read_xdf_streams(fname)
        self.signal = pick_signal_stream(self.streams, stream, fname)
        self.counter = bool(counter)
        self.loop = bool(loop)
        self.fname = fname
        self._rel = self._relative_times()
        last = max((r[-1] for r in self._rel if len(r)), default=0.0)
        fastest = max((s.sfreq for s in self.streams), default=0.0) or 1.0
        self.period = last + 1.0 / fastest

    @property
    def sfreq(self) -> float:
        return self.signal.sfreq

    def signal_times(self) -> np.ndarray:
        """When each signal sample goes out, in seconds from the start of a pass."""
        return self._rel[self.streams.index(self.signal)].copy()

    def _relative_times(self) -> list[np.ndarray]:
        non_empty = [s for s in self.streams if s.n_times]
        start = min(s.times[0] for s in non_empty)
        regular = [s.times for s in non_empty if not s.is_marker]
        knots_in, knots_out = [0.0], [0.0]
        if regular:
            union = np.unique(np.concatenate(regular)) - start
            step = 1.0 / max(s.sfreq for s in non_empty if not s.is_marker)
            for j in np.flatnonzero(np.diff(union) > MAX_GAP_S):
                a, b = union[j], union[j + 1]
                shift = knots_in[-1] - knots_out[-1]
                knots_in += [a, b]
                knots_out += [a - shift, a - shift + step]
        rel = []
        for s in self.streams:
            t = s.times - start
            if len(knots_in) > 1:
                # Piecewise-linear time map: identical outside the gaps, each
                # gap squeezed to one sample period.
                tail = knots_in[-1] - knots_out[-1]
                t = np.where(t > knots_in[-1], t - tail, np.interp(t, knots_in, knots_out))
            rel.append(t)
        return rel

    def lanes(self, name: str | None, source_id: str, duration: float | None):
        """One :class:`~workbench.datasets.outlets.Lane` per stream: signal first, then markers, then the rest.

        With ``name`` None every outlet keeps its recorded name; otherwise the
        signal stream is ``name``, the first marker stream ``name-markers`` and
        any other stream ``name-<recorded name>``.
        """
        order = sorted(
            range(len(self.streams)),
            key=lambda i: (self.streams[i] is not self.signal, not self.streams[i].is_marker, i),
        )
        lanes, marker_named = [], False
        for rank, i in enumerate(order):
            s = self.streams[i]
            if name is None:
                out_name = s.name
            elif s is self.signal:
                out_name = name
            elif s.is_marker and not marker_named:
                out_name, marker_named = f"{name}-markers", True
            else:
                out_name = f"{name}-{s.name}"
            fmt = s.channel_format if s.channel_format in CHANNEL_FORMATS else "float32"
            ch_names = list(s.ch_names) if all(s.ch_names) else [f"ch{k + 1:02d}" for k in range(s.n_channels)]
            ch_types, units = list(s.ch_types), list(s.units)
            counter = self.counter and s is self.signal
            if counter:
                fmt = "double64"
                ch_names[0], ch_types[0], units[0] = "COUNTER", "misc", "samples"
            spec = StreamSpec(
                out_name, s.type, s.sfreq, fmt, f"{source_id}-{rank}", tuple(ch_names), tuple(ch_types),
                tuple(units), manufacturer=s.manufacturer, model=f"replay of {s.name!r} from {self.fname}",
            )  # fmt: skip
            values = s.labels() if fmt == "string" else s.data
            dtype = {"float32": np.float32, "double64": np.float64, "int32": np.int32, "int16": np.int16,
                     "int8": np.int8, "int64": np.int64}.get(fmt)  # fmt: skip
            period = self.period if self.loop else None
            feed = _TimedFeed(self._rel[i], values, fmt == "string" or s.is_marker, period, duration, counter, dtype)
            lanes.append(Lane(spec, feed, s is self.signal, s.is_marker))
        return lanes
